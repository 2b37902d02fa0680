import { CreateMode } from '../jute/enums.js';

/** The create modes, by name. */
export type CreateModeName = keyof typeof CreateMode;

/** True for the modes whose name gets a sequence suffix. */
export function isSequential(mode: CreateModeName): boolean {
  return mode === 'persistentSequential' || mode === 'ephemeralSequential' || mode === 'persistentSequentialWithTTL';
}

/** True for the modes that need a ttl. */
export function isTTL(mode: CreateModeName): boolean {
  return mode === 'persistentWithTTL' || mode === 'persistentSequentialWithTTL';
}

/** The largest TTL ZooKeeper accepts (2^40 - 1 ms). */
export const MAX_TTL = 2 ** 40 - 1;

/**
 * Checks mode and ttl together; returns the reason they are invalid, or
 * undefined. A ttl with a non-TTL mode is refused here: some ZooKeeper
 * versions exit on it instead of answering an error.
 */
export function invalidModeReason(mode: unknown, ttl: number | undefined): string | undefined {
  if (typeof mode !== 'string' || !Object.hasOwn(CreateMode, mode)) return `unknown create mode ${String(mode)}`;
  if (isTTL(mode as CreateModeName)) {
    if (ttl === undefined) return `mode ${mode} needs a ttl`;
    if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL) return `ttl must be an integer in [1, ${MAX_TTL}]`;
  } else if (ttl !== undefined) {
    return `a ttl needs a TTL mode, not ${mode}`;
  }
  return undefined;
}
