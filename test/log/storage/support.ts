import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeStorage, type NodeStorageOptions, type StoredEntry } from '../../../src/log/storage/index.js';

/** Shared by the log storage tests and the crash worker: temp dirs, deterministic entries. */

export async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'herd-log-storage-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The bytes of entry `entryId` of `segmentId`: 1 to 300 bytes, different for every entry. */
export function entryData(segmentId: number, entryId: number): Buffer {
  const len = ((segmentId * 131 + entryId * 17) % 300) + 1;
  const seed = Buffer.from(`${segmentId}:${entryId};`);
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i++) out[i] = seed[i % seed.length]!;
  return out;
}

/** The timestamp of entry `entryId` of `segmentId` (monotonic in the entry id). */
export function entryTime(segmentId: number, entryId: number): number {
  return 1_700_000_000_000 + segmentId * 1_000_000 + entryId * 10;
}

/** Entry `entryId` of `segmentId`, as {@link entryData} and {@link entryTime} make it. */
export function makeEntry(segmentId: number, entryId: number): StoredEntry {
  return { segmentId, entryId, timestamp: entryTime(segmentId, entryId), lastAddConfirmed: entryId - 1, data: entryData(segmentId, entryId) };
}

/**
 * Opens a storage with fsync off: these tests close or reopen in one
 * process and never lose the page cache, so fsync would only slow them
 * down. The crash test keeps fsync on.
 */
export function openStorage(dataDir: string, extra: Partial<NodeStorageOptions> = {}): Promise<NodeStorage> {
  return NodeStorage.open({ dataDir, fsync: false, logger: () => {}, ...extra });
}

/** Adds entries `[from, to)` of a segment, all at once (they share group commits). */
export async function addEntries(storage: NodeStorage, segmentId: number, from: number, to: number): Promise<void> {
  const adds: Promise<void>[] = [];
  for (let e = from; e < to; e++) adds.push(storage.addEntry(makeEntry(segmentId, e)));
  await Promise.all(adds);
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
