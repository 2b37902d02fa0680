/**
 * How a writer turns the adds it sends one node in one tick into requests:
 * runs of consecutive entries with one last-add-confirmed, each one
 * ADD_ENTRIES request (a lone entry goes as ADD_ENTRY), so one
 * appendBatch costs each node one frame, one reply and usually one group
 * commit. Each request's body is encoded once, here: when the nodes of a
 * write set get the same adds (E = W: every node of the ensemble), they
 * get the same bytes.
 */
import type { Message } from '../protocol/messages/message.js';
import { Messages } from '../protocol/kinds.js';
import { MAX_BATCH_ENTRIES } from '../protocol/messages/add-entries.js';
import type { LogEntry } from '../protocol/messages/entry.js';
import type { StatusContext } from '../protocol/status.js';
import { encodeRequest } from '../node/node-client-channel.js';

/**
 * Entry bytes per ADD_ENTRIES request: a run closes before it would pass
 * this (a larger entry goes alone), far below the node's frame limit.
 */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** `adds` (in entry order) cut into runs: consecutive ids, one last-add-confirmed, at most {@link MAX_REQUEST_BYTES} and MAX_BATCH_ENTRIES each. */
export function requestRuns<T extends LogEntry>(adds: readonly T[]): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const add of adds) {
    const prev = run[run.length - 1];
    const joins =
      prev !== undefined &&
      add.entryId === prev.entryId + 1 &&
      add.lastAddConfirmed === prev.lastAddConfirmed &&
      bytes + add.data.length <= MAX_REQUEST_BYTES &&
      run.length < MAX_BATCH_ENTRIES;
    if (!joins && run.length > 0) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(add);
    bytes += add.data.length;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** One request of a writer, encoded, ready for any node of its write set. */
export interface AddRequest<T> {
  /** The adds it carries, in entry order. */
  readonly adds: readonly T[];
  readonly message: Message<unknown, unknown>;
  readonly body: Uint8Array;
  readonly context: StatusContext;
  /** Names the request in errors. */
  readonly what: string;
}

/** Bytes of one entry in an ADD_ENTRIES body besides its data (timestamp, data length, CRC), and of the body's head. */
const ENTRY_OVERHEAD = 16;
const HEAD = 1 + 8 + 8 + 8 + 4;

/** The requests that carry `adds` (entries of segment `segmentId`, in entry order, with their CRC32C computed once), encoded. */
export function addRequests<T extends LogEntry & { readonly crc32c: number }>(segmentId: number, adds: readonly T[]): AddRequest<T>[] {
  return requestRuns(adds).map((run) => {
    const first = run[0]!;
    if (run.length === 1) {
      const body = encodeRequest(Messages.AddEntry as Message<unknown, unknown>, { segmentId, entryId: first.entryId, timestamp: first.timestamp, lastAddConfirmed: first.lastAddConfirmed, data: first.data, recovery: false }, HEAD + 8 + ENTRY_OVERHEAD + first.data.length);
      return { adds: run, message: Messages.AddEntry as Message<unknown, unknown>, body, context: first, what: `ADD_ENTRY segment ${segmentId} entry ${first.entryId}` };
    }
    let size = HEAD;
    for (const e of run) size += ENTRY_OVERHEAD + e.data.length;
    // The adds are the entries (timestamp, data, crc32c): the codec reads no more of them.
    const request = { recovery: false, segmentId, firstEntryId: first.entryId, lastAddConfirmed: first.lastAddConfirmed, entries: run };
    return {
      adds: run,
      message: Messages.AddEntries as Message<unknown, unknown>,
      body: encodeRequest(Messages.AddEntries as Message<unknown, unknown>, request, size),
      context: { segmentId },
      what: `ADD_ENTRIES segment ${segmentId} entries ${first.entryId}..${first.entryId + run.length - 1}`,
    };
  });
}

/** True when `a` and `b` hold the same adds in the same order (then they take the same requests). */
export function sameAdds<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
