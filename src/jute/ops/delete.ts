import { EmptyCodec, PathRequestCodec, PathVersionRequestCodec } from '../records/common.js';
import { defineOp } from './op.js';

/** delete (2): path and expected version (-1 = any); no reply body. */
export type { PathVersionRequest as DeleteRequest } from '../records/common.js';
export const del = defineOp('delete', PathVersionRequestCodec, EmptyCodec);

/** deleteContainer (20): the server's own request to remove an empty container. */
export const deleteContainer = defineOp('deleteContainer', PathRequestCodec, EmptyCodec);
