import { PathWatchRequestCodec } from '../records/common.js';
import { StatCodec } from '../records/stat.js';
import { defineOp } from './op.js';

/** exists (3): the node's Stat; err NoNode when missing (a watch is still set). */
export const exists = defineOp('exists', PathWatchRequestCodec, StatCodec);
