/**
 * Where the log layer keeps its state in the coordination store (Herd's
 * server or a ZooKeeper ensemble), under the connection string's chroot:
 * ```
 * /herd/log/nodes/<instanceId>      EPHEMERAL   a live storage node (src/log/node/registration.ts)
 * /herd/log/cookies/<host>:<port>   PERSISTENT  which instance owns an address
 * /herd/log/ids/id-<seq>            PERSISTENT_SEQUENTIAL, deleted at once:
 *                                   its sequence number is a new segment id
 * /herd/log/logs/<name>             PERSISTENT  JSON LogMetadata: quorums and the
 *                                   ordered list of the log's segment ids
 * /herd/log/segments/<id>           PERSISTENT  JSON SegmentMetadata, id as 10 digits
 * /herd/log/auditor/<uuid>__lock__<seq>  EPHEMERAL_SEQUENTIAL  the auditor election
 *                                   (src/log/repair, Herd's Election recipe);
 *                                   data: the candidate's identifier
 * ```
 * Segment ids are global, not per log, because a storage node keys its
 * entries by segment id alone. They come from the sequence counter of
 * `ids/` (BookKeeper's ZooKeeper ledger-id generator): a 32-bit counter,
 * so a coordination store hands out 2^31 segment ids in its lifetime.
 * Segments live beside the logs rather than under them so that a segment
 * can be read by id (by a storage node's auditor, say) without its log.
 */
import { BadArgumentsError } from '../../errors.js';

/** The log layer's root. */
export const LOG_ROOT = '/herd/log';
/** Parent of the storage nodes' ephemeral registrations. */
export const NODES_PATH = `${LOG_ROOT}/nodes`;
/** Parent of the address cookies. */
export const COOKIES_PATH = `${LOG_ROOT}/cookies`;
/** Parent of the transient nodes whose sequence numbers are segment ids. */
export const IDS_PATH = `${LOG_ROOT}/ids`;
/** Parent of the logs' metadata. */
export const LOGS_PATH = `${LOG_ROOT}/logs`;
/** Parent of the segments' metadata. */
export const SEGMENTS_PATH = `${LOG_ROOT}/segments`;

/**
 * Parent of the writers' liveness nodes: `writers/<segment>` is EPHEMERAL,
 * created by its writer right after the segment and
 * deleted when the segment is CLOSED; the auditor recovers an OPEN segment
 * whose writer node is gone (its session ended) after the grace period.
 */
export const WRITERS_PATH = `${LOG_ROOT}/writers`;

/** The auditor election's node (src/log/repair/auditor.ts): its lowest contender is the auditor. */
export const AUDITOR_PATH = `${LOG_ROOT}/auditor`;

/** The prefix of the id-generating nodes under {@link IDS_PATH}. */
export const ID_PREFIX = 'id-';

const LOG_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Throws BadArgumentsError unless `name` can name a log: 1–200 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit. */
export function checkLogName(name: string): void {
  if (typeof name !== 'string' || !LOG_NAME.test(name)) {
    throw new BadArgumentsError(`log name ${JSON.stringify(name)}: use 1 to 200 of A-Z a-z 0-9 . _ -, starting with a letter or digit`);
  }
}

/** The metadata node of a log. */
export function logPath(name: string): string {
  return `${LOGS_PATH}/${name}`;
}

/** The metadata node of a segment. */
export function segmentPath(id: number): string {
  return `${SEGMENTS_PATH}/${String(id).padStart(10, '0')}`;
}

/** The ephemeral liveness node of segment `id`'s writer. */
export function writerPath(id: number): string {
  return `${WRITERS_PATH}/${String(id).padStart(10, '0')}`;
}

/** The segment id a created `ids/id-<seq>` path stands for. */
export function segmentIdOf(createdPath: string): number {
  const seq = createdPath.slice(createdPath.lastIndexOf('/') + 1 + ID_PREFIX.length);
  const id = Number(seq);
  if (!/^\d{10}$/.test(seq) || !Number.isSafeInteger(id)) throw new Error(`not an id node: ${createdPath}`);
  return id;
}
