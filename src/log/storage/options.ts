/**
 * {@link NodeStorageOptions} checked and completed with their defaults, and
 * the id check every NodeStorage method applies to its arguments.
 */
import { systemClock, type Clock } from '../../base/clock.js';
import { BadArgumentsError } from '../../errors.js';
import { ENTRY_BODY, MAX_BODY } from './record.js';
import type { NodeStorageOptions } from './types.js';

/** Every option set. */
export type ResolvedOptions = Required<Omit<NodeStorageOptions, 'clock'>> & { clock: Clock };

const DEFAULTS = { maxBatchDelay: 2, maxBatchBytes: 512 * 1024, maxEntrySize: 5 * 1024 * 1024, journalFileSize: 64 * 1024 * 1024, fsync: true };

/** Whether `n` is a segment or entry id: a non-negative safe integer. */
export function isId(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 0;
}

function checkNumber(name: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max)) {
    throw new BadArgumentsError(`NodeStorage: ${name} must be a number from ${min} to ${max}, got ${String(value)}`);
  }
}

/**
 * Checks `options` and fills in the defaults.
 * @throws BadArgumentsError for a missing dataDir or a number out of range.
 */
export function resolveOptions(options: NodeStorageOptions): ResolvedOptions {
  if (typeof options?.dataDir !== 'string' || options.dataDir === '') throw new BadArgumentsError('NodeStorage: dataDir is required');
  checkNumber('maxBatchDelay', options.maxBatchDelay, 0);
  checkNumber('maxBatchBytes', options.maxBatchBytes, 1);
  checkNumber('maxEntrySize', options.maxEntrySize, 0, MAX_BODY - ENTRY_BODY);
  checkNumber('journalFileSize', options.journalFileSize, 1024);
  return {
    ...DEFAULTS,
    logger: (message: string) => process.emitWarning(message, 'HerdLogStorage'),
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    clock: options.clock ?? systemClock,
  } as ResolvedOptions;
}
