/**
 * The requests of a storage node client, one method per message kind
 * (src/log/protocol/messages): each checks its arguments (a
 * BadArgumentsError before anything is sent), then sends through the
 * request channel (./node-client-channel.ts). Range reads are
 * ./node-client-reads.ts.
 */
import { BadArgumentsError } from '../../errors.js';
import { Messages } from '../protocol/kinds.js';
import type { LogEntry } from '../protocol/messages/entry.js';
import { MAX_BATCH_ENTRIES } from '../protocol/messages/add-entries.js';
import type { FenceReply } from '../protocol/messages/fence.js';
import type { InfoReply } from '../protocol/messages/info.js';
import type { EntryRange } from '../protocol/messages/held-entries.js';
import type { LastEntryReply } from '../protocol/messages/read-last-entry.js';
import type { WaitConfirmedReply } from '../protocol/messages/wait-confirmed.js';
import { PROTOCOL_VERSION } from '../protocol/frame.js';
import { MAX_REQUEST_ID, RequestChannel, versionError } from './node-client-channel.js';
import { rangeRead } from './node-client-reads.js';
import type { LogNodeClient, RangeRead, ReadRangeBounds } from './node-client-api.js';
import { checkEntry, checkId } from './request-checks.js';

/** A client of one storage node (made by connectLogNode, ./node-client.ts). */
export class NodeClient extends RequestChannel implements LogNodeClient {
  instanceId = '';

  async hello(timeout: number): Promise<void> {
    const info = await this.call(Messages.Info, {}, 'INFO', timeout);
    if (info.protocolVersion !== PROTOCOL_VERSION) throw versionError(this.address, info.protocolVersion);
    this.instanceId = info.instanceId;
  }

  addEntry(entry: LogEntry, options: { recovery?: boolean } = {}): Promise<void> {
    const what = `ADD_ENTRY segment ${entry?.segmentId} entry ${entry?.entryId}`;
    const invalid = checkEntry(entry, what);
    if (invalid) return Promise.reject(invalid);
    return this.call(Messages.AddEntry, { ...entry, recovery: options.recovery === true }, what).then(() => undefined);
  }

  addEntries(
    batch: { segmentId: number; firstEntryId: number; lastAddConfirmed: number; entries: readonly { timestamp: number; data: Buffer }[] },
    options: { recovery?: boolean } = {},
  ): Promise<void> {
    const n = Array.isArray(batch?.entries) ? batch.entries.length : 0;
    const what = `ADD_ENTRIES segment ${batch?.segmentId} entries ${batch?.firstEntryId}..${batch?.firstEntryId + n - 1}`;
    const invalid =
      n < 1 || n > MAX_BATCH_ENTRIES
        ? new BadArgumentsError(`${what}: a batch holds 1..${MAX_BATCH_ENTRIES} entries, got ${n}`)
        : (checkId(batch.segmentId, 'segmentId', what) ??
          checkId(batch.firstEntryId, 'firstEntryId', what) ??
          checkId(batch.lastAddConfirmed, 'lastAddConfirmed', what, -1) ??
          batch.entries
            .map((e, i) => (e?.data instanceof Uint8Array ? checkId(e.timestamp, `entries[${i}].timestamp`, what) : new BadArgumentsError(`${what}: entries[${i}].data must be a Buffer`)))
            .find((e) => e !== undefined));
    if (invalid) return Promise.reject(invalid);
    const { segmentId, firstEntryId, lastAddConfirmed, entries } = batch;
    return this.call(Messages.AddEntries, { recovery: options.recovery === true, segmentId, firstEntryId, lastAddConfirmed, entries }, what).then(() => undefined);
  }

  readEntry(segmentId: number, entryId: number, options: { fence?: boolean } = {}): Promise<LogEntry> {
    const what = `READ_ENTRY segment ${segmentId} entry ${entryId}`;
    const invalid = checkId(segmentId, 'segmentId', what) ?? checkId(entryId, 'entryId', what);
    if (invalid) return Promise.reject(invalid);
    return this.call(Messages.ReadEntry, { segmentId, entryId, fence: options.fence === true }, what);
  }

  readRange(segmentId: number, bounds: ReadRangeBounds = {}): RangeRead {
    return rangeRead(this, segmentId, bounds);
  }

  fence(segmentId: number): Promise<FenceReply> {
    const what = `FENCE segment ${segmentId}`;
    const invalid = checkId(segmentId, 'segmentId', what);
    return invalid ? Promise.reject(invalid) : this.call(Messages.Fence, { segmentId }, what);
  }

  readLastEntry(segmentId: number): Promise<LastEntryReply> {
    const what = `READ_LAST_ENTRY segment ${segmentId}`;
    const invalid = checkId(segmentId, 'segmentId', what);
    return invalid ? Promise.reject(invalid) : this.call(Messages.ReadLastEntry, { segmentId }, what);
  }

  waitConfirmed(segmentId: number, afterEntry: number, options: { timeout?: number } = {}): Promise<WaitConfirmedReply> {
    const what = `WAIT_CONFIRMED segment ${segmentId} after entry ${afterEntry}`;
    const wait = options.timeout ?? 10_000;
    const invalid =
      checkId(segmentId, 'segmentId', what) ??
      checkId(afterEntry, 'afterEntry', what, -1) ??
      (Number.isInteger(wait) && wait >= 0 && wait <= MAX_REQUEST_ID ? undefined : new BadArgumentsError(`${what}: timeout must be an integer number of ms, at least 0, got ${wait}`));
    if (invalid) return Promise.reject(invalid);
    return this.call(Messages.WaitConfirmed, { segmentId, afterEntry, timeout: wait }, what, this.timeout === 0 ? 0 : this.timeout + wait);
  }

  confirm(segmentId: number, lastAddConfirmed: number): Promise<void> {
    const what = `CONFIRM segment ${segmentId} up to entry ${lastAddConfirmed}`;
    const invalid = checkId(segmentId, 'segmentId', what) ?? checkId(lastAddConfirmed, 'lastAddConfirmed', what);
    return invalid ? Promise.reject(invalid) : this.call(Messages.Confirm, { segmentId, lastAddConfirmed }, what).then(() => {});
  }

  async heldEntries(segmentId: number, options: { fromEntry?: number; toEntry?: number; verify?: boolean } = {}): Promise<EntryRange[]> {
    const { fromEntry = 0, toEntry = Number.MAX_SAFE_INTEGER, verify = false } = options;
    const what = `HELD_ENTRIES segment ${segmentId} entries ${fromEntry}..${toEntry}`;
    const invalid =
      checkId(segmentId, 'segmentId', what) ??
      checkId(fromEntry, 'fromEntry', what) ??
      checkId(toEntry, 'toEntry', what, fromEntry);
    if (invalid) throw invalid;
    const ranges: EntryRange[] = [];
    for (let from = fromEntry; from !== -1; ) {
      const reply = await this.call(Messages.HeldEntries, { segmentId, fromEntry: from, toEntry, verify }, what);
      ranges.push(...reply.ranges);
      from = reply.next;
    }
    return ranges;
  }

  info(): Promise<InfoReply> {
    return this.call(Messages.Info, {}, 'INFO');
  }
}
