/**
 * The recipe toolkit (docs/conventions.md, section 8): what the recipes
 * share, and what the layers above them (src/cluster, and rpc, log, tables
 * to come) import to coordinate on ZooKeeper the same way: unique names,
 * retrying across connection loss while the session lives, `ensurePath`,
 * waiting for a watch under the wait contract, and the session guard that
 * turns the client's state events into "lost" for whatever is held, and
 * the one per-client hub every one of them subscribes to those events through.
 *
 * Internal: not exported from `herd-zk/recipes`; its names may change with
 * any release.
 */
export { joinPath, parentPath } from '../../base/path.js';
export { decodeText, defaultIdentifier, protectedPrefix, uuidHex } from './names.js';
export { isSessionGone, retryWhileConnected } from './retry.js';
export { createOwnEphemeral, deleteIfExists, ensurePath, readChildTexts } from './tree.js';
export { Wakeup, checkWaitOptions, sessionEndedError, waitForWake, type WakeOptions } from './wait-for-wake.js';
export { SessionGuard, type HoldOptions } from './session-guard.js';
export { onSessionEvents, type SessionHandlers } from './session-events.js';
export { holdOf, runHeld, type AcquireOptions, type Held, type Holder } from './holder.js';

