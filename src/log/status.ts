/**
 * What an operator reads about the logs, writing nothing and fencing no
 * writer: the logs with their segments' time range and the live storage
 * nodes (`herd log ls`), and a log's segments with the nodes holding them
 * and which of those are live (`herd log status`, the shell's `log status`
 * and the dashboard's log view all read it here).
 */
import type { Client } from '../client/index.js';
import { NoSuchSegmentError } from './metadata/errors.js';
import { LogMetadataStore } from './metadata/metadata-store.js';
import type { SegmentMetadata, SegmentState } from './metadata/records.js';
import type { NodeRecord } from './node/registration.js';
import { lastConfirmed } from './reader/read-log.js';
import { segmentReplication } from './repair/replication.js';
import { NodePool } from './writer/node-pool.js';
import { checkClientTls, type LogTlsOptions } from './node/tls.js';

/** A log as `herd log ls` shows it. */
export interface LogSummary {
  readonly name: string;
  readonly ensembleSize: number;
  readonly writeQuorum: number;
  readonly ackQuorum: number;
  readonly segments: number;
  /** The state of its last segment; null when it has none. */
  readonly lastSegmentState: SegmentState | null;
  /** The first and last entry timestamps its segments' metadata records, epoch ms; null when unknown. */
  readonly firstTimestamp: number | null;
  readonly lastTimestamp: number | null;
}

/** A segment as `herd log status` shows it. */
export interface SegmentStatus {
  readonly id: number;
  readonly state: SegmentState;
  readonly writer: string;
  /** Entries it holds: all of a CLOSED segment's; of an open one, those its nodes confirmed so far. */
  readonly entries: number;
  readonly minTimestamp: number | null;
  readonly maxTimestamp: number | null;
  readonly ensembles: readonly { readonly firstEntry: number; readonly nodes: readonly { readonly id: string; readonly live: boolean }[] }[];
  /** True when a node that should hold some of its entries is not live. */
  readonly underReplicated: boolean;
  /** Its entries with at least one copy on a node that is not live. */
  readonly underReplicatedEntries: number;
}

/** A log's segments as `herd log status` shows them. */
export interface LogStatus {
  readonly name: string;
  readonly segments: readonly SegmentStatus[];
  /** How many segments are under-replicated. */
  readonly underReplicated: number;
  /** The instance ids of the live storage nodes, sorted. */
  readonly liveNodes: readonly string[];
}

// liveNodes only reads registrations and lastConfirmed asks the nodes: these bound each.
const POOL_OPTIONS = { timeout: 10_000, connectTimeout: 5_000 };

/** The logs and the live storage nodes (nothing is written). */
export async function listLogs(client: Client): Promise<{ logs: LogSummary[]; nodes: NodeRecord[] }> {
  const store = new LogMetadataStore(client);
  const logs: LogSummary[] = [];
  for (const name of await store.listLogs()) {
    const log = (await store.readLog(name)).value;
    const segments = await readSegments(store, log.segments);
    const timed = segments.filter((s) => s.minTimestamp !== null);
    logs.push({
      name,
      ensembleSize: log.ensembleSize,
      writeQuorum: log.writeQuorum,
      ackQuorum: log.ackQuorum,
      segments: log.segments.length,
      lastSegmentState: segments.at(-1)?.state ?? null,
      firstTimestamp: timed[0]?.minTimestamp ?? null,
      lastTimestamp: timed.at(-1)?.maxTimestamp ?? null,
    });
  }
  return { logs, nodes: await new NodePool(client, POOL_OPTIONS).liveNodes() };
}

/**
 * A log's segments with the liveness of the nodes holding them (nothing is
 * written; no writer is fenced). `tls`: as openLog's, for storage nodes that
 * serve over TLS (an open segment's last entry is asked of its nodes).
 *
 * @throws NoSuchLogError when there is no log `name`
 */
export async function readLogStatus(client: Client, name: string, options: { readonly tls?: LogTlsOptions } = {}): Promise<LogStatus> {
  const store = new LogMetadataStore(client);
  const pool = new NodePool(client, { ...POOL_OPTIONS, tls: checkClientTls(options.tls, 'readLogStatus') });
  try {
    const log = (await store.readLog(name)).value;
    const live = new Set((await pool.liveNodes()).map((n) => n.instanceId));
    const segments: SegmentStatus[] = [];
    for (const s of await readSegments(store, log.segments)) {
      const last = s.state === 'CLOSED' ? s.lastEntry : await lastConfirmed(pool, s.id, s);
      const r = segmentReplication(s, last, (n) => live.has(n));
      segments.push({
        id: s.id,
        state: s.state,
        writer: s.writer,
        entries: last + 1,
        minTimestamp: s.minTimestamp,
        maxTimestamp: s.maxTimestamp,
        ensembles: s.ensembles.map((e) => ({ firstEntry: e.firstEntry, nodes: e.nodes.map((n) => ({ id: n, live: live.has(n) })) })),
        underReplicated: r.missing.length > 0,
        underReplicatedEntries: r.underReplicatedEntries,
      });
    }
    return { name, segments, underReplicated: segments.filter((s) => s.underReplicated).length, liveNodes: [...live].sort() };
  } finally {
    await pool.close();
  }
}

/** The segments that still exist (retention may remove some while we read), in the order of `ids`. */
async function readSegments(store: LogMetadataStore, ids: readonly number[]): Promise<(SegmentMetadata & { id: number })[]> {
  const all = await Promise.all(
    ids.map(async (id) => {
      try {
        return { ...(await store.readSegment(id)).value, id };
      } catch (error) {
        if (error instanceof NoSuchSegmentError) return undefined;
        throw error;
      }
    }),
  );
  return all.filter((s) => s !== undefined);
}
