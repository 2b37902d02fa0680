import { BadArgumentsError } from '../errors.js';
import { invalidPathReason } from '../base/path.js';
import { CreateMode } from '../jute/enums.js';
import { Acls } from './acl.js';
import type { Chroot } from './chroot.js';
import { invalidModeReason, isSequential, isTTL, type CreateModeName } from './create-mode.js';
import { toBuffer, type Data } from './data.js';
import type { CreateOptions } from './transaction.js';

const EMPTY = Buffer.alloc(0);

/** Why a path cannot be used by `opName`, as the error to throw; undefined when it is valid. */
export function pathError(path: string, opName: string, sequential = false): BadArgumentsError | undefined {
  const reason = typeof path === 'string' ? invalidPathReason(path, sequential) : 'path must be a string';
  return reason === undefined ? undefined : new BadArgumentsError(`invalid path: ${reason}`, { op: opName, path: String(path) });
}

/** Throws {@link pathError}'s error, if any. */
export function checkPath(path: string, opName: string, sequential = false): void {
  const error = pathError(path, opName, sequential);
  if (error !== undefined) throw error;
}

/** Validates a create and builds its wire form (throws BadArgumentsError). */
export function createRequest(chroot: Chroot, path: string, data: Data | undefined, options: CreateOptions) {
  const mode: CreateModeName = options.mode ?? 'persistent';
  const modeError = invalidModeReason(mode, options.ttl);
  if (modeError !== undefined) throw new BadArgumentsError(modeError, { op: 'create', path });
  checkPath(path, 'create', isSequential(mode));
  const body = {
    path: chroot.toServer(path),
    data: toBuffer(data, EMPTY),
    acl: [...(options.acl ?? Acls.openUnsafe)],
    flags: CreateMode[mode],
    ttl: options.ttl ?? 0,
  };
  const op: 'createTTL' | 'createContainer' | 'create' = isTTL(mode) ? 'createTTL' : mode === 'container' ? 'createContainer' : 'create';
  return { op, body };
}
