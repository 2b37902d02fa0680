import { EmptyCodec } from '../records/common.js';
import { defineOp } from './op.js';

/** ping (11): xid -2, no body either way; keeps the session alive. */
export const ping = defineOp('ping', EmptyCodec, EmptyCodec);
