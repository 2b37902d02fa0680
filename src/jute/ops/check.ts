import { EmptyCodec, PathVersionRequestCodec } from '../records/common.js';
import { defineOp } from './op.js';

/** check (13): a version assertion, valid only inside multi. */
export type { PathVersionRequest as CheckVersionRequest } from '../records/common.js';
export const check = defineOp('check', PathVersionRequestCodec, EmptyCodec);
