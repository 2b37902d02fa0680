/**
 * The coordination backend's node layout, and reading a cluster's view from
 * it without joining (the backend's own refresh and `herd cluster status`).
 *
 * Layout, under `/<cluster>` (put it under a chroot, e.g. `host:2181/herd`):
 * - `/<cluster>/members/<identifier>`: ephemeral, one per live member; data =
 *   the member as JSON ({@link ClusterMember}: `identifier`, `address`,
 *   `version`, `data`, `joinedAt`). Its session is the member's liveness: it
 *   goes when the session ends.
 * - `/<cluster>/primary/<uuid hex>-<seq>`: ephemeral-sequential, one per
 *   candidate (only members of the highest version run); data = the
 *   member's identifier.
 *   The lowest sequence holds the primary role. The uuid prefix lets a
 *   candidate find its node again after a connection loss during the create.
 * - `/<cluster>/epoch`: persistent; data = the current tenure's
 *   {@link EpochRecord} as JSON; its znode `version` is the tenure's epoch.
 *
 * Why the epoch is the version of `/<cluster>/epoch`: a winner starts its
 * tenure with one transaction `check(own contender) + setData(epoch)`. The
 * server bumps a node's version by exactly one per setData, atomically, so
 * every tenure gets a distinct version, in the order the tenures began; the
 * check makes the write fail unless the winner's contender (hence its
 * session) is still alive, so no deposed primary can start a tenure late.
 * The czxid of the contender node would also increase, but it is a 64-bit
 * zxid (its high half is the ensemble's election epoch), too large for a
 * JavaScript number, and it would not change when a suspended primary
 * resumes its role: the epoch must, as the old tenure may have been fenced.
 * The counter only restarts if someone deletes `/<cluster>/epoch`: don't.
 */
import type { Client } from '../../client/index.js';
import { joinPath } from '../../base/path.js';
import { NoNodeError } from '../../errors.js';
import { retryWhileConnected } from '../../recipes/internal/index.js';
import { byIdentifier, type ClusterMember, type ClusterView, type JsonValue, type PrimaryInfo } from '../backend.js';

/** What `/<cluster>/epoch` holds: who began the current tenure, with which contender node. */
export interface EpochRecord {
  /** The primary's member identifier. */
  readonly identifier: string;
  readonly contender: string;
  readonly since: number;
}

/** The znode paths of one cluster. */
export class ClusterPaths {
  readonly root: string;
  readonly members: string;
  readonly primary: string;
  readonly epoch: string;
  constructor(readonly cluster: string) {
    this.root = `/${cluster}`;
    this.members = `${this.root}/members`;
    this.primary = `${this.root}/primary`;
    this.epoch = `${this.root}/epoch`;
  }
  member(identifier: string): string {
    return joinPath(this.members, identifier);
  }
  contender(node: string): string {
    return joinPath(this.primary, node);
  }
}

const SEQ = /-(\d{10})$/;

/** The sequence of a contender node name, or undefined for a foreign child. */
export function contenderSequence(node: string): string | undefined {
  return SEQ.exec(node)?.[1];
}

/** The lowest contender node among `children` (undefined when none). */
export function lowestContender(children: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestSeq = '';
  for (const c of children) {
    const seq = contenderSequence(c);
    if (seq === undefined) continue;
    if (best === undefined || seq < bestSeq) {
      best = c;
      bestSeq = seq;
    }
  }
  return best;
}

/** Parses a member node's data; undefined when it is not a member record. The znode's name is the identifier. */
export function parseMember(data: Buffer | null, identifier: string): ClusterMember | undefined {
  if (data === null) return undefined;
  try {
    const v = JSON.parse(data.toString('utf8')) as Partial<ClusterMember>;
    return {
      identifier,
      address: typeof v.address === 'string' ? v.address : '',
      version: typeof v.version === 'string' ? v.version : '0.0.0',
      data: (v.data ?? null) as JsonValue,
      joinedAt: typeof v.joinedAt === 'number' ? v.joinedAt : 0,
    };
  } catch {
    return undefined;
  }
}

/** A member node's data: the member as JSON. */
export function encodeMember(member: ClusterMember): Buffer {
  return Buffer.from(JSON.stringify(member));
}

/** Parses `/<cluster>/epoch`'s data; undefined when empty or not a record. */
export function parseEpochRecord(data: Buffer | null): EpochRecord | undefined {
  if (data === null || data.length === 0) return undefined;
  try {
    const v = JSON.parse(data.toString('utf8')) as Partial<EpochRecord>;
    if (typeof v.identifier !== 'string' || typeof v.contender !== 'string') return undefined;
    return { identifier: v.identifier, contender: v.contender, since: typeof v.since === 'number' ? v.since : 0 };
  } catch {
    return undefined;
  }
}

/** A view plus what the backend needs to decide its own role. */
export interface RawClusterState {
  readonly view: ClusterView;
  /** The lowest contender node (the one entitled to the role), if any. */
  readonly lowest: string | undefined;
  /** The current epoch record and its version, if the node exists. */
  readonly record: EpochRecord | undefined;
  readonly recordVersion: number;
  /** Member node names (identifiers) listed, including ones whose data was unreadable. */
  readonly memberNames: readonly string[];
}

async function childrenOrEmpty(client: Client, path: string): Promise<string[]> {
  try {
    return (await retryWhileConnected(client, () => client.getChildren(path))) as string[];
  } catch (error) {
    if (error instanceof NoNodeError) return [];
    throw error;
  }
}

/** Reads the whole cluster state (members, contenders, epoch record). */
export async function readRawState(client: Client, paths: ClusterPaths): Promise<RawClusterState> {
  const [names, contenders, epoch] = await Promise.all([
    childrenOrEmpty(client, paths.members),
    childrenOrEmpty(client, paths.primary),
    retryWhileConnected(client, () => client.getData(paths.epoch)).catch((error: unknown) => {
      if (error instanceof NoNodeError) return undefined;
      throw error;
    }),
  ]);
  const read = await Promise.all(
    names.map((name) =>
      retryWhileConnected(client, () => client.getData(paths.member(name))).then(
        ({ data }) => parseMember(data, name),
        (error: unknown) => {
          if (error instanceof NoNodeError) return undefined;
          throw error;
        },
      ),
    ),
  );
  const members = read.filter((m): m is ClusterMember => m !== undefined).sort(byIdentifier);
  const lowest = lowestContender(contenders);
  const record = epoch === undefined ? undefined : parseEpochRecord(epoch.data);
  const recordVersion = epoch?.stat.version ?? -1;
  // The record names a tenure; it is current only while its contender is the lowest one.
  const primary: PrimaryInfo | null =
    record !== undefined && lowest !== undefined && record.contender === lowest
      ? { identifier: record.identifier, epoch: recordVersion, since: record.since }
      : null;
  return { view: { members, primary }, lowest, record, recordVersion, memberNames: names };
}

/**
 * The view of `cluster` on a coordination service, read without joining
 * (no node is created): what `herd cluster status` prints. `client` must be
 * connected, with the chroot the members use; an unknown cluster reads as
 * empty. Rejects with the client's errors (ConnectionLossError after its
 * retries, ClientClosedError, ...).
 */
export async function readCoordinationView(client: Client, cluster: string): Promise<ClusterView> {
  return (await readRawState(client, new ClusterPaths(cluster))).view;
}
