/**
 * The JSON form of the log's metadata records. Decoding checks every field:
 * a record some other program (or a newer Herd) wrote in a form this one
 * does not know is refused with UnexpectedDataError naming its znode,
 * never half-read.
 */
import { UnexpectedDataError } from '../../recipes/errors.js';
import { checkQuorums, checkRetention, pickRetention, type Ensemble, type LogMetadata, type Retention, type SegmentMetadata, type SegmentState } from './records.js';

/** The bytes stored for a record. */
export function encodeRecord(record: LogMetadata | SegmentMetadata): Buffer {
  return Buffer.from(JSON.stringify(record));
}

type Json = Record<string, unknown>;

function parse(path: string, data: Buffer | null): Json {
  let value: unknown;
  try {
    value = JSON.parse((data ?? Buffer.alloc(0)).toString('utf8'));
  } catch (error) {
    throw new UnexpectedDataError(`${path}: not JSON`, { cause: error, path });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UnexpectedDataError(`${path}: not a JSON object`, { path });
  const record = value as Json;
  if (record.format !== 1) throw new UnexpectedDataError(`${path}: unknown format ${JSON.stringify(record.format)}`, { path });
  return record;
}

function integer(path: string, record: Json, key: string, min: number): number {
  const n = record[key];
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) {
    throw new UnexpectedDataError(`${path}: ${key} must be an integer >= ${min}, not ${JSON.stringify(n)}`, { path });
  }
  return n;
}

function timestamp(path: string, record: Json, key: string): number | null {
  return record[key] === null ? null : integer(path, record, key, 0);
}

function text(path: string, record: Json, key: string): string {
  const s = record[key];
  if (typeof s !== 'string') throw new UnexpectedDataError(`${path}: ${key} must be a string`, { path });
  return s;
}

function quorums(path: string, record: Json): { ensembleSize: number; writeQuorum: number; ackQuorum: number } {
  const q = { ensembleSize: integer(path, record, 'ensembleSize', 1), writeQuorum: integer(path, record, 'writeQuorum', 1), ackQuorum: integer(path, record, 'ackQuorum', 1) };
  try {
    checkQuorums(q);
  } catch (error) {
    throw new UnexpectedDataError(`${path}: ${(error as Error).message}`, { cause: error, path });
  }
  return q;
}

/** Reads a log's record (throws UnexpectedDataError naming `path` when it is not one). */
export function decodeLogMetadata(path: string, data: Buffer | null): LogMetadata {
  const record = parse(path, data);
  const segments = record.segments;
  if (!Array.isArray(segments) || !segments.every((id) => Number.isSafeInteger(id) && (id as number) >= 0)) {
    throw new UnexpectedDataError(`${path}: segments must be a list of segment ids`, { path });
  }
  const retention = retentionOf(path, record.retention);
  return { format: 1, ...quorums(path, record), segments: segments as number[], createdAt: integer(path, record, 'createdAt', 0), ...(retention !== undefined ? { retention } : {}) };
}

/** A log record's retention policy (absent: none); UnexpectedDataError when it is not a valid one. */
function retentionOf(path: string, value: unknown): Retention | undefined {
  if (value === undefined) return undefined;
  try {
    checkRetention(value as Retention);
  } catch (error) {
    throw new UnexpectedDataError(`${path}: ${(error as Error).message}`, { cause: error, path });
  }
  return pickRetention(value as Retention);
}

const STATES: readonly SegmentState[] = ['OPEN', 'IN_RECOVERY', 'CLOSED'];

/** Reads a segment's record (throws UnexpectedDataError naming `path` when it is not one). */
export function decodeSegmentMetadata(path: string, data: Buffer | null): SegmentMetadata {
  const record = parse(path, data);
  const state = record.state as SegmentState;
  if (!STATES.includes(state)) throw new UnexpectedDataError(`${path}: unknown state ${JSON.stringify(record.state)}`, { path });
  const ensembles = record.ensembles;
  if (!Array.isArray(ensembles) || ensembles.length === 0) throw new UnexpectedDataError(`${path}: ensembles must be a non-empty list`, { path });
  return {
    format: 1,
    log: text(path, record, 'log'),
    state,
    writer: text(path, record, 'writer'),
    ...quorums(path, record),
    ensembles: ensembles.map((e: unknown): Ensemble => {
      const ensemble = (typeof e === 'object' && e !== null ? e : {}) as Json;
      const nodes = ensemble.nodes;
      if (!Array.isArray(nodes) || !nodes.every((n) => typeof n === 'string')) {
        throw new UnexpectedDataError(`${path}: an ensemble's nodes must be a list of instance ids`, { path });
      }
      return { firstEntry: integer(path, ensemble, 'firstEntry', 0), nodes: nodes as string[] };
    }),
    lastEntry: integer(path, record, 'lastEntry', -1),
    minTimestamp: timestamp(path, record, 'minTimestamp'),
    maxTimestamp: timestamp(path, record, 'maxTimestamp'),
    createdAt: integer(path, record, 'createdAt', 0),
  };
}
