import type { OpName } from '../../jute/op-codes.js';
import type { Ops, RequestOf } from '../../jute/ops/index.js';
import type { Handler } from './context.js';
import { create, create2, createContainer, createTTL } from './create.js';
import { del } from './delete.js';
import { getACL } from './get-acl.js';
import { getAllChildrenNumber, getChildren, getChildren2 } from './get-children.js';
import { exists, getData } from './get-data.js';
import { multi, multiRead } from './multi.js';
import { reconfig } from './reconfig.js';
import { auth, closeSession, ping } from './session-ops.js';
import { getEphemerals, sync, whoAmI } from './session-reads.js';
import { setACL } from './set-acl.js';
import { setData } from './set-data.js';
import { addWatch, checkWatches, removeWatches, setWatches, setWatches2 } from './watches.js';

/**
 * The one table from op to handler, session ops (ping, auth, closeSession)
 * included. An op missing here is unimplemented (check outside multi,
 * sasl, ...): the decode stage answers UNIMPLEMENTED.
 */
export const handlers: { [K in OpName]?: Handler<RequestOf<(typeof Ops)[K & keyof typeof Ops]>> } = {
  create,
  create2,
  createContainer,
  createTTL,
  delete: del,
  exists,
  getData,
  setData,
  getACL,
  setACL,
  getChildren,
  getChildren2,
  getAllChildrenNumber,
  getEphemerals,
  sync,
  multi,
  multiRead,
  reconfig,
  addWatch,
  checkWatches,
  removeWatches,
  setWatches,
  setWatches2,
  whoAmI,
  ping,
  auth,
  closeSession,
};
