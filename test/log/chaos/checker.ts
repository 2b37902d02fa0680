/**
 * The independent checker of the chaos tests: it reads a log the long way
 * round and compares it with the writers' ack records (payload.ts).
 *
 * Independent of the code under test: the log's and its segments' records
 * are read as raw JSON from the coordination store (not through the
 * metadata store), every segment is read from every node of every one of
 * its ensembles over `connectLogNode` (not through `openLog`/`readLog`,
 * their replica failover or their merge), and the write sets are worked
 * out here again from docs/log.md's rule (W nodes round-robin from index
 * `entryId mod E`).
 *
 * {@link snapshotLog} collects every copy; {@link checkSnapshot} lists
 * every way the log differs from what the writers were told:
 * - a segment that is not CLOSED, or ids not increasing along the log;
 * - an entry 0..lastEntry of a segment that no node holds (a hole), copies
 *   of one entry that differ, a segment's time bounds that are not its
 *   first and last entries' timestamps, timestamps going back;
 * - an entry no writer tried to write (a payload that is not one of
 *   payload.ts's, or from a writer not in the list), the same entry twice,
 *   one writer's entries out of its own order;
 * - an acknowledged entry missing, past its segment's lastEntry, or with
 *   other bytes or another timestamp than the writer recorded;
 * - an entry with fewer than `minCopies` valid copies on its write set
 *   (default A). {@link replicaCounts} gives the count per entry.
 */
import type { Client } from '../../../src/client/index.js';
import { connectLogNode, CorruptEntryError, NoEntryError, type LogEntry, type LogNodeClient } from '../../../src/log/index.js';
import { logPath, segmentPath } from '../../../src/log/metadata/layout.js';
import { nodePath } from '../../../src/log/node/registration.js';
import { parsePayload, type AckedEntry } from './payload.js';

/** A segment's record as stored (only the fields the checker reads). */
interface RawSegment {
  log: string;
  state: string;
  writer: string;
  ensembleSize: number;
  writeQuorum: number;
  ackQuorum: number;
  ensembles: { firstEntry: number; nodes: string[] }[];
  lastEntry: number;
  minTimestamp: number | null;
  maxTimestamp: number | null;
}

/** One node's copy of an entry: the entry, or `'corrupt'` when the node refuses it as CORRUPT_ENTRY. */
export type Copy = LogEntry | 'corrupt';

/** A segment with every copy of its entries found on the nodes of its ensembles. */
export interface SegmentSnapshot {
  readonly id: number;
  readonly meta: RawSegment;
  /** entryId -> instanceId -> copy. */
  readonly copies: Map<number, Map<string, Copy>>;
  /** Nodes of its ensembles that could not be read (not registered, or not reachable), with why. */
  readonly unreachable: Map<string, string>;
}

/** Everything {@link snapshotLog} read. */
export interface LogSnapshot {
  readonly name: string;
  readonly segments: SegmentSnapshot[];
  /** Problems found while reading (the log record missing, ...). */
  readonly problems: string[];
}

/** How many valid copies of one entry its write set holds. */
export interface ReplicaCount {
  readonly segmentId: number;
  readonly entryId: number;
  readonly writeSet: readonly string[];
  /** Nodes of the write set holding a copy equal to the entry (not corrupt, same bytes and timestamp). */
  readonly valid: number;
}

/** Reads log `name`'s metadata and every copy of every entry of its segments. */
export async function snapshotLog(client: Client, name: string, options: { timeout?: number } = {}): Promise<LogSnapshot> {
  const timeout = options.timeout ?? 20_000;
  const problems: string[] = [];
  let segmentIds: number[];
  try {
    segmentIds = (JSON.parse((await client.getData(logPath(name))).data!.toString('utf8')) as { segments: number[] }).segments;
  } catch (error) {
    return { name, segments: [], problems: [`log ${name}: its record cannot be read (${String(error)})`] };
  }
  const connections = new Map<string, Promise<LogNodeClient>>();
  const connection = (instanceId: string): Promise<LogNodeClient> => {
    let c = connections.get(instanceId);
    if (c === undefined) {
      c = (async () => {
        const record = JSON.parse((await client.getData(nodePath(instanceId))).data!.toString('utf8')) as { host: string; port: number };
        const node = await connectLogNode({ host: record.host, port: record.port }, { timeout });
        if (node.instanceId !== instanceId) {
          await node.close();
          throw new Error(`${record.host}:${record.port} is instance ${node.instanceId}`);
        }
        return node;
      })();
      c.catch(() => undefined);
      connections.set(instanceId, c);
    }
    return c;
  };
  const segments: SegmentSnapshot[] = [];
  try {
    for (const id of segmentIds) {
      const meta = JSON.parse((await client.getData(segmentPath(id))).data!.toString('utf8')) as RawSegment;
      const snapshot: SegmentSnapshot = { id, meta, copies: new Map(), unreachable: new Map() };
      const nodes = [...new Set(meta.ensembles.flatMap((e) => e.nodes))];
      await Promise.all(
        nodes.map(async (instanceId) => {
          let entries: Map<number, Copy>;
          try {
            entries = await readSegment(await connection(instanceId), id, meta.lastEntry);
          } catch (error) {
            snapshot.unreachable.set(instanceId, String(error));
            return;
          }
          for (const [entryId, copy] of entries) {
            let byNode = snapshot.copies.get(entryId);
            if (byNode === undefined) snapshot.copies.set(entryId, (byNode = new Map()));
            byNode.set(instanceId, copy);
          }
        }),
      );
      segments.push(snapshot);
    }
  } finally {
    await Promise.all([...connections.values()].map((c) => c.then((n) => n.close()).catch(() => undefined)));
  }
  return { name, segments, problems };
}

/** A node's copies of a segment: one streamed read, or entry by entry (0..lastEntry) when the stream stops at a corrupt copy. */
async function readSegment(node: LogNodeClient, segmentId: number, lastEntry: number): Promise<Map<number, Copy>> {
  const out = new Map<number, Copy>();
  try {
    for await (const e of node.readRange(segmentId)) out.set(e.entryId, e);
    return out;
  } catch (error) {
    if (error instanceof NoEntryError) return out; // the node holds nothing of the segment
    if (!(error instanceof CorruptEntryError)) throw error;
  }
  const last = Math.max(lastEntry, ...out.keys());
  for (let entryId = 0; entryId <= last; entryId++) {
    try {
      out.set(entryId, await node.readEntry(segmentId, entryId));
    } catch (error) {
      if (error instanceof CorruptEntryError) out.set(entryId, 'corrupt');
      else if (!(error instanceof NoEntryError)) throw error;
    }
  }
  return out;
}

/** The W nodes entry `entryId` of a segment goes to (docs/log.md: round-robin over its ensemble from index entryId mod E). */
function writeSet(meta: RawSegment, entryId: number): string[] {
  let ensemble = meta.ensembles[0]!;
  for (const e of meta.ensembles) if (e.firstEntry <= entryId) ensemble = e;
  return Array.from({ length: meta.writeQuorum }, (_, i) => ensemble.nodes[(entryId + i) % ensemble.nodes.length]!);
}

/** The log's entries of one segment, 0..lastEntry: the agreed copy, or undefined for a hole or a disagreement (reported). */
function segmentEntries(s: SegmentSnapshot, problems: string[]): (LogEntry | undefined)[] {
  const out: (LogEntry | undefined)[] = [];
  for (let entryId = 0; entryId <= s.meta.lastEntry; entryId++) {
    const good = [...(s.copies.get(entryId)?.values() ?? [])].filter((c): c is LogEntry => c !== 'corrupt');
    const first = good[0];
    if (first === undefined) {
      problems.push(`segment ${s.id} entry ${entryId}: no node holds a good copy (a hole in the log)`);
      out.push(undefined);
    } else if (good.some((c) => !sameEntry(c, first))) {
      problems.push(`segment ${s.id} entry ${entryId}: its copies differ`);
      out.push(undefined);
    } else if (first.segmentId !== s.id || first.entryId !== entryId) {
      problems.push(`segment ${s.id} entry ${entryId}: a node returned ${first.segmentId}:${first.entryId} for it`);
      out.push(undefined);
    } else out.push(first);
  }
  return out;
}

function sameEntry(a: LogEntry, b: LogEntry): boolean {
  return a.segmentId === b.segmentId && a.entryId === b.entryId && a.timestamp === b.timestamp && a.data.equals(b.data);
}

/**
 * Per entry of the log (0..lastEntry of each segment), how many nodes of its
 * write set hold a valid copy. Today the tests assert at least A; once the
 * auditor repairs segments, the same counts are to equal W.
 */
export function replicaCounts(snapshot: LogSnapshot): ReplicaCount[] {
  const out: ReplicaCount[] = [];
  for (const s of snapshot.segments) {
    const entries = segmentEntries(s, []);
    for (const [entryId, entry] of entries.entries()) {
      const nodes = writeSet(s.meta, entryId);
      const copies = s.copies.get(entryId);
      const valid = entry === undefined ? 0 : nodes.filter((n) => {
        const c = copies?.get(n);
        return c !== undefined && c !== 'corrupt' && sameEntry(c, entry);
      }).length;
      out.push({ segmentId: s.id, entryId, writeSet: nodes, valid });
    }
  }
  return out;
}

/** What {@link checkSnapshot} compares the log with. */
export interface CheckOptions {
  /** Every writer's ack record. */
  readonly acks: readonly AckedEntry[];
  /** The tags of every writer that ran: payloads of anyone else were never written. */
  readonly writers: readonly string[];
  /** Fewest valid copies on its write set an entry may have; default each segment's A. */
  readonly minCopies?: number;
}

/** The log in order, and every problem found (empty: the log is what the writers were told). */
export interface CheckReport {
  readonly problems: string[];
  /** The log's entries in log order. */
  readonly entries: LogEntry[];
}

/** Compares a snapshot with the ack records; see the file comment for what counts as a problem. */
export function checkSnapshot(snapshot: LogSnapshot, options: CheckOptions): CheckReport {
  const problems = [...snapshot.problems];
  const entries: LogEntry[] = [];
  const bySegment = new Map<number, { meta: RawSegment; entries: (LogEntry | undefined)[] }>();
  let previousId = -1;
  for (const s of snapshot.segments) {
    if (s.id <= previousId) problems.push(`segment ${s.id} comes after segment ${previousId} in the log`);
    previousId = s.id;
    if (s.meta.state !== 'CLOSED') problems.push(`segment ${s.id} is ${s.meta.state}, not CLOSED`);
    if (s.meta.log !== snapshot.name) problems.push(`segment ${s.id} belongs to log ${s.meta.log}`);
    for (const [node, why] of s.unreachable) problems.push(`segment ${s.id}: node ${node} could not be read (${why})`);
    const own = segmentEntries(s, problems);
    bySegment.set(s.id, { meta: s.meta, entries: own });
    const present = own.filter((e): e is LogEntry => e !== undefined);
    if (present.length > 0 && (s.meta.minTimestamp !== present[0]!.timestamp || s.meta.maxTimestamp !== present[present.length - 1]!.timestamp)) {
      problems.push(`segment ${s.id}: time bounds [${s.meta.minTimestamp}, ${s.meta.maxTimestamp}] are not its entries' [${present[0]!.timestamp}, ${present[present.length - 1]!.timestamp}]`);
    }
    entries.push(...present);
  }

  const writers = new Set(options.writers);
  const seen = new Map<string, string>();
  const lastSeq = new Map<string, number>();
  let lastTimestamp = -Infinity;
  for (const e of entries) {
    const where = `${e.segmentId}:${e.entryId}`;
    if (e.timestamp < lastTimestamp) problems.push(`entry ${where}: timestamp ${e.timestamp} goes back from ${lastTimestamp}`);
    lastTimestamp = Math.max(lastTimestamp, e.timestamp);
    const parsed = parsePayload(e.data.toString('utf8'));
    if (parsed === undefined || !writers.has(parsed.writer)) {
      problems.push(`entry ${where}: ${JSON.stringify(e.data.toString('utf8').slice(0, 60))} is no entry any writer tried to write`);
      continue;
    }
    const key = `${parsed.writer} ${parsed.seq}`;
    const before = seen.get(key);
    if (before !== undefined) problems.push(`entry ${where}: ${key} is in the log twice (also at ${before})`);
    seen.set(key, where);
    const previous = lastSeq.get(parsed.writer) ?? -1;
    if (parsed.seq <= previous) problems.push(`entry ${where}: ${key} comes after ${parsed.writer}'s seq ${previous}, out of its order`);
    lastSeq.set(parsed.writer, Math.max(previous, parsed.seq));
  }

  for (const ack of options.acks) {
    const where = `${ack.segmentId}:${ack.entryId}`;
    const segment = bySegment.get(ack.segmentId);
    if (segment === undefined) {
      problems.push(`acknowledged ${ack.writer} ${ack.seq} at ${where}: segment ${ack.segmentId} is not in the log`);
      continue;
    }
    if (ack.entryId > segment.meta.lastEntry) {
      problems.push(`acknowledged ${ack.writer} ${ack.seq} at ${where}: past its segment's lastEntry ${segment.meta.lastEntry}`);
      continue;
    }
    const e = segment.entries[ack.entryId];
    if (e === undefined) problems.push(`acknowledged ${ack.writer} ${ack.seq} at ${where}: missing from the log`);
    else if (e.data.toString('utf8') !== ack.data) problems.push(`acknowledged ${ack.writer} ${ack.seq} at ${where}: the log holds ${JSON.stringify(e.data.toString('utf8').slice(0, 60))} there`);
    else if (e.timestamp !== ack.timestamp) problems.push(`acknowledged ${ack.writer} ${ack.seq} at ${where}: timestamp ${e.timestamp} in the log, ${ack.timestamp} acknowledged`);
  }

  const quorum = new Map(snapshot.segments.map((s) => [s.id, options.minCopies ?? s.meta.ackQuorum]));
  for (const r of replicaCounts(snapshot)) {
    const min = quorum.get(r.segmentId)!;
    if (r.valid < min) problems.push(`entry ${r.segmentId}:${r.entryId}: ${r.valid} valid copies on its write set [${r.writeSet.join(', ')}], fewer than ${min}`);
  }
  return { problems, entries };
}

/** {@link snapshotLog} then {@link checkSnapshot}. */
export async function checkLog(client: Client, name: string, options: CheckOptions): Promise<CheckReport & { snapshot: LogSnapshot }> {
  const snapshot = await snapshotLog(client, name);
  return { ...checkSnapshot(snapshot, options), snapshot };
}
