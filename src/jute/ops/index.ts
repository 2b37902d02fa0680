import { addWatch, checkWatches, removeWatches } from './watch-ops.js';
import { auth } from './auth.js';
import { check } from './check.js';
import { closeSession } from './session.js';
import { create, create2, createContainer } from './create.js';
import { createTTL } from './create-ttl.js';
import { del, deleteContainer } from './delete.js';
import { exists } from './exists.js';
import { getACL, setACL } from './acl-ops.js';
import { getAllChildrenNumber } from './children-number.js';
import { getChildren, getChildren2 } from './get-children.js';
import { getData } from './get-data.js';
import { getEphemerals } from './get-ephemerals.js';
import { multi, multiRead } from './multi.js';
import type { Op } from './op.js';
import { ping } from './ping.js';
import { reconfig } from './reconfig.js';
import { sasl } from './sasl.js';
import { setData } from './set-data.js';
import { setWatches, setWatches2 } from './set-watches.js';
import { sync } from './sync.js';
import { whoAmI } from './who-am-i.js';

/** Every request op of the client protocol, by name. */
export const Ops = {
  create,
  create2,
  createContainer,
  createTTL,
  delete: del,
  deleteContainer,
  exists,
  getData,
  setData,
  getACL,
  setACL,
  getChildren,
  getChildren2,
  sync,
  ping,
  check,
  multi,
  multiRead,
  reconfig,
  checkWatches,
  removeWatches,
  auth,
  setWatches,
  setWatches2,
  sasl,
  getEphemerals,
  getAllChildrenNumber,
  addWatch,
  whoAmI,
  closeSession,
} as const;

export type AnyOp = (typeof Ops)[keyof typeof Ops];
/** The request body type of an op. */
export type RequestOf<O> = O extends Op<infer Req, unknown> ? Req : never;
/** The response body type of an op. */
export type ResponseOf<O> = O extends Op<unknown, infer Res> ? Res : never;

const byCode = new Map<number, AnyOp>(Object.values(Ops).map((op) => [op.code, op]));

/** The op with this request type code, or undefined for a code the protocol does not define. */
export function opByCode(code: number): AnyOp | undefined {
  return byCode.get(code);
}
