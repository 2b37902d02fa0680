import { CreateMode, Perms } from '../../jute/enums.js';
import { ErrorCode } from '../../jute/error-codes.js';
import { OpCode } from '../../jute/op-codes.js';
import type { CreateRequest } from '../../jute/ops/create.js';
import type { CreateTTLRequest } from '../../jute/ops/create-ttl.js';
import type { JuteWriter } from '../../jute/writer.js';
import { checkACL, fixupACL } from '../acl.js';
import { changedRecord, type ChangeView } from '../change-view.js';
import type { ApplyResult } from '../data-tree.js';
import { parentPath } from '../data-tree.js';
import { invalidPathReason } from '../../base/path.js';
import { parentForCreate } from '../path.js';
import { EphemeralOwner, type Txn } from '../txn.js';
import { fail, ownCopy, type RequestContext, type WriteHandler } from './context.js';

/**
 * create, create2, createContainer and createTTL. Checks run in ZooKeeper's
 * order, since clients see which error wins: mode and TTL, the cheap path
 * check, ACL fixup, parent lookup, CREATE on the parent, sequence suffix,
 * full path validation, existence, ephemeral parent.
 */

const SEQUENTIAL_MODES = new Set<number>([
  CreateMode.persistentSequential,
  CreateMode.ephemeralSequential,
  CreateMode.persistentSequentialWithTTL,
]);
const TTL_MODES = new Set<number>([CreateMode.persistentWithTTL, CreateMode.persistentSequentialWithTTL]);
const EPHEMERAL_MODES = new Set<number>([CreateMode.ephemeral, CreateMode.ephemeralSequential]);

export function prepareCreate(
  ctx: RequestContext,
  view: ChangeView,
  req: CreateRequest | CreateTTLRequest,
  opCode: number,
): Txn {
  const mode = req.flags;
  if (mode < CreateMode.persistent || mode > CreateMode.persistentSequentialWithTTL) {
    return fail(ErrorCode.BADARGUMENTS);
  }
  const isTtl = TTL_MODES.has(mode);
  if (isTtl && !ctx.state.settings.extendedTypes) return fail(ErrorCode.UNIMPLEMENTED);
  const ttl = opCode === OpCode.createTTL ? (req as CreateTTLRequest).ttl : -1;
  // A TTL mode needs a ttl in (0, 2^40-1]; any other mode must not carry one, nor come through createTTL.
  if (isTtl ? ttl <= 0 || BigInt(ttl) > EphemeralOwner.maxTtl : ttl !== -1 || opCode === OpCode.createTTL) {
    return fail(ErrorCode.BADARGUMENTS);
  }

  let path = req.path;
  if (parentForCreate(path) === null) return fail(ErrorCode.BADARGUMENTS);
  const fixed = fixupACL(req.acl, ctx.authIds, ctx.state.settings.auth);
  if (!fixed.ok) return fail(fixed.err);
  const parentKey = parentPath(path);
  const parent = view.get(parentKey);
  if (!parent) return fail(ErrorCode.NONODE);
  if (!checkACL(parent.acl, Perms.create, ctx.authIds, ctx.state.settings.auth)) return fail(ErrorCode.NOAUTH);
  if (SEQUENTIAL_MODES.has(mode)) path += String(parent.cversion).padStart(10, '0');
  if (invalidPathReason(path) !== undefined) return fail(ErrorCode.BADARGUMENTS);
  if (view.get(path)) return fail(ErrorCode.NODEEXISTS);
  if (EphemeralOwner.isSession(parent.ephemeralOwner)) return fail(ErrorCode.NOCHILDRENFOREPHEMERALS);

  // The opcode decides the node's type, as ZooKeeper's txn types do: createContainer always makes a
  // container (whatever the mode), createTTL a TTL node, create and create2 a persistent or
  // ephemeral node (the container mode through create gives a persistent node).
  const ephemeralOwner =
    opCode === OpCode.createContainer
      ? EphemeralOwner.container
      : opCode === OpCode.createTTL
        ? EphemeralOwner.ttl(ttl)
        : EPHEMERAL_MODES.has(mode)
          ? ctx.sessionId
          : EphemeralOwner.none;
  const parentCVersion = parent.cversion + 1;
  if (view.recording) {
    view.set(parentKey, changedRecord(parent, { cversion: parentCVersion, numChildren: parent.numChildren + 1 }));
    view.set(path, { acl: fixed.acl, version: 0, aversion: 0, cversion: 0, numChildren: 0, ephemeralOwner });
  }
  return { type: 'create', path, data: ownCopy(req.data), acl: fixed.acl, ephemeralOwner, parentCVersion };
}

function createdPath(result: ApplyResult): Extract<ApplyResult, { type: 'create' }> {
  if (result.type !== 'create') throw new TypeError(`create applied as ${result.type}`);
  return result;
}

export const create: WriteHandler<CreateRequest> = {
  kind: 'write',
  prepare: (ctx, view, req) => prepareCreate(ctx, view, req, OpCode.create),
  respond(result, w: JuteWriter) {
    w.ustring(createdPath(result).path);
  },
};

function create2Like(opCode: number): WriteHandler<CreateRequest> {
  return {
    kind: 'write',
    prepare: (ctx, view, req) => prepareCreate(ctx, view, req, opCode),
    respond(result, w: JuteWriter) {
      const created = createdPath(result);
      w.ustring(created.path);
      created.stat.write(w);
    },
  };
}

export const create2 = create2Like(OpCode.create2);
export const createContainer = create2Like(OpCode.createContainer);
export const createTTL = create2Like(OpCode.createTTL) as WriteHandler<CreateTTLRequest>;
