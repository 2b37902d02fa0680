import { PathRequestCodec } from '../records/common.js';
import { defineOp } from './op.js';

/** sync (9): answers the path once the server has caught up with the leader. */
export const sync = defineOp('sync', PathRequestCodec, PathRequestCodec);
