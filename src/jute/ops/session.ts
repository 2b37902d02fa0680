import { EmptyCodec } from '../records/common.js';
import { defineOp } from './op.js';

/** closeSession (-11): ends the session; the server replies, then closes the socket. */
export const closeSession = defineOp('closeSession', EmptyCodec, EmptyCodec);
