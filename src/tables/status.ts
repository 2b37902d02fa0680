/**
 * Reading a tables cluster without joining it (`herd tables ls | status |
 * dump`): its members' published data, the recorded weights, the log's
 * truncation mark, and a snapshot from a member over rpc. Creates nothing.
 */
import type { Client } from '../client/index.js';
import { NoNodeError } from '../errors.js';
import { readCoordinationView } from '../cluster/index.js';
import { closeRemote, lookup, withCallOptions } from '../rpc/index.js';
import { UnknownTableError } from './errors.js';
import type { MemberData } from './node-types.js';
import { hasQuorum, readWeights, TABLES_ROOT } from './quorum.js';
import { readTruncated, truncationInput } from './snapshots/truncation.js';
import type { Row } from './state/codec.js';
import { readSnapshot } from './state/snapshot.js';
import type { Position } from './state/store.js';

/** One member of a tables cluster as {@link readTablesStatus} reports it. */
export interface TablesMemberStatus {
  /** The member's identifier. */
  readonly identifier: string;
  /** Its weight (recorded or published). */
  readonly weight: number;
  /** True while it is a live member of the cluster. */
  readonly connected: boolean;
  /** True for the primary (the log's writer). */
  readonly primary: boolean;
  /** The last position it published as applied; null when unknown. */
  readonly position: Position | null;
  /** Its rolling checksum at that position; null when unknown. */
  readonly checksum: string | null;
  /** The position of its latest snapshot (in memory or on disk) as it published it; null when it has none or is not connected. */
  readonly snapshot: Position | null;
  /** The position of its latest snapshot written to its `dataDir` (what a restart loads); null when none, no dataDir, or not connected. */
  readonly durable: Position | null;
  /** Its rpc address; null when not connected. */
  readonly address: string | null;
}

/** A tables cluster's state as {@link readTablesStatus} reports it. */
export interface TablesStatus {
  readonly name: string;
  /** Every member recorded or live, sorted by identifier. */
  readonly members: readonly TablesMemberStatus[];
  /** The weight of the connected members. */
  readonly connectedWeight: number;
  /** The total weight (every recorded member). */
  readonly totalWeight: number;
  /** True when the connected weight is more than half the total. */
  readonly quorum: boolean;
  /** The log's truncation mark: the last position removed from the log (a node behind it loads a snapshot first); null when it was never truncated. */
  readonly truncated: Position | null;
}

/** The names of the tables clusters that recorded a member (children of `/herd/tables`). */
export async function listTables(client: Client): Promise<string[]> {
  try {
    return (await client.getChildren(TABLES_ROOT)).sort();
  } catch (err) {
    if (err instanceof NoNodeError) return [];
    throw err;
  }
}

/**
 * The members (weights, applied positions, checksums, snapshot positions),
 * the quorum and the log's truncation mark of tables cluster `name`.
 */
export async function readTablesStatus(client: Client, name: string): Promise<TablesStatus> {
  const [view, weights, truncated] = await Promise.all([readCoordinationView(client, `tables.${name}`), readWeights(client, name), readTruncated(client, name)]);
  const live = new Map(view.members.map((m) => [m.identifier, m]));
  const ids = [...new Set([...weights.keys(), ...live.keys()])].sort();
  const members = ids.map((identifier): TablesMemberStatus => {
    const m = live.get(identifier);
    const data = (m?.data ?? {}) as Partial<Record<keyof MemberData, unknown>>;
    const published = truncationInput(data);
    return {
      identifier,
      weight: weights.get(identifier) ?? (Number(data.weight) || 0),
      connected: m !== undefined,
      primary: view.primary?.identifier === identifier,
      position: published.applied,
      checksum: typeof data.checksum === 'string' ? data.checksum : null,
      snapshot: published.snapshot,
      durable: published.durable,
      address: m?.address || null,
    };
  });
  const totalWeight = members.reduce((s, m) => s + m.weight, 0);
  const connectedWeight = members.reduce((s, m) => s + (m.connected ? m.weight : 0), 0);
  return { name, members, connectedWeight, totalWeight, quorum: hasQuorum(connectedWeight, totalWeight), truncated };
}

/**
 * The rows of `table` (sorted by key) and the position they are at, from a
 * snapshot a live member serves over rpc. Rejects with UnknownTableError
 * when the snapshot has no such table, TimeoutError when no member serves
 * within `timeout` ms (default 10000), CorruptSnapshotError.
 */
export async function dumpTable(client: Client, name: string, table: string, options: { timeout?: number } = {}): Promise<{ position: Position | null; rows: Row[] }> {
  const remote = await lookup<{ snapshot(): Promise<Uint8Array> }>(client, `tables.${name}`, { timeout: options.timeout ?? 10_000 });
  try {
    const contents = readSnapshot(await withCallOptions(remote, { timeout: options.timeout ?? 10_000 }).snapshot());
    const found = contents.tables.find(([t]) => t === table);
    if (found === undefined) throw new UnknownTableError(`tables ${name}: no table ${JSON.stringify(table)} (tables: ${contents.tables.map(([t]) => t).join(', ')})`);
    return { position: contents.position, rows: found[1].map(([row]) => row) };
  } finally {
    await closeRemote(remote);
  }
}

const positionText = (p: Position | null): string => (p === null ? '-' : `${p.segmentId}:${p.entryId}`);

/** What `herd tables ls` and the shell's `tables ls` print: one row per cluster, header first. */
export function tablesListRows(all: readonly TablesStatus[]): string[][] {
  return [
    ['NAME', 'MEMBERS', 'WEIGHT', 'QUORUM', 'PRIMARY'],
    ...all.map((s) => [
      s.name,
      `${s.members.filter((m) => m.connected).length}/${s.members.length}`,
      `${s.connectedWeight}/${s.totalWeight}`,
      s.quorum ? 'yes' : 'no',
      s.members.find((m) => m.primary)?.identifier ?? '-',
    ]),
  ];
}

/**
 * What `herd tables status` and the shell's `tables status` print: a
 * headline (weights, quorum, the log's truncation mark) and the members'
 * rows (SNAPSHOT: the latest snapshot's position; ON DISK: the latest one
 * in its dataDir, what a restart loads), header first, for each to lay out
 * with its own table formatter.
 */
export function tablesStatusText(s: TablesStatus): { headline: string; rows: string[][] } {
  const quorum = s.quorum ? 'quorum' : 'NO QUORUM (writes refused)';
  const truncated = s.truncated === null ? 'log never truncated' : `log truncated through ${positionText(s.truncated)}`;
  return {
    headline: `tables ${s.name}: weight ${s.connectedWeight} of ${s.totalWeight} connected, ${quorum}; ${truncated}`,
    rows: [
      ['IDENTIFIER', 'WEIGHT', 'STATE', 'ROLE', 'APPLIED', 'CHECKSUM', 'SNAPSHOT', 'ON DISK', 'ADDRESS'],
      ...s.members.map((m) => [
        m.identifier,
        String(m.weight),
        m.connected ? 'connected' : 'disconnected',
        m.primary ? 'primary' : '-',
        positionText(m.position),
        m.checksum === null ? '-' : m.checksum.slice(0, 16),
        positionText(m.snapshot),
        positionText(m.durable),
        m.address ?? '-',
      ]),
    ],
  };
}
