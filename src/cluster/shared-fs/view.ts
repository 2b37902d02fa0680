/**
 * The cluster as the shared directory records it, for the CLI's status
 * command: read without joining (no member file, no heartbeats).
 *
 * Without heartbeats, liveness is judged from the files alone: a member
 * counts while its file was rewritten within `staleAfter` (members
 * rewrite theirs at least every silence limit, 1.5 s with defaults), and
 * the primary is the holder of an unreleased lease that has not expired.
 * Clocks are compared with this machine's, so a skewed clock shows stale or
 * extra members.
 */
import { byIdentifier, type ClusterMember, type ClusterView } from '../backend.js';
import { BackendUnavailableError } from '../errors.js';
import { ClusterStore } from './store.js';

/** Options of {@link readSharedFsView}. */
export interface ReadSharedFsViewOptions {
  /** A member file not rewritten for longer than this (ms) is not counted. Default 6000 (the backend's default `memberStaleAfter`). */
  staleAfter?: number;
  /** The wall clock (epoch ms). Default Date.now. */
  now?: () => number;
}

/**
 * Reads the members and the primary of `cluster` under `dir` (what
 * `herd cluster status --shared-fs` prints), without joining. Rejects with
 * {@link BackendUnavailableError} when the directory cannot be read (a
 * cluster nobody ever joined has no directory: that is an error too, so a
 * typo in the path is not shown as an empty cluster).
 */
export async function readSharedFsView(dir: string, cluster: string, options: ReadSharedFsViewOptions = {}): Promise<ClusterView> {
  const store = new ClusterStore(dir, cluster);
  const now = (options.now ?? Date.now)();
  const staleAfter = options.staleAfter ?? 6000;
  try {
    const { members: records } = await store.readMembers();
    const { lease } = await store.readLease();
    const members: ClusterMember[] = [...records.values()]
      .filter((r) => now - r.writtenAt <= staleAfter)
      .map((r) => r.member)
      .sort(byIdentifier);
    const primary =
      lease !== null && !lease.released && lease.holder !== '' && now <= lease.expiresAt
        ? { identifier: lease.holder, epoch: lease.epoch, since: lease.since }
        : null;
    return { members, primary };
  } catch (error) {
    throw new BackendUnavailableError(`sharedFs: cannot read cluster ${cluster} under ${dir}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
