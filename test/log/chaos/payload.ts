/**
 * The chaos tests' entries and the writers' ack record, shared by the
 * writer process (writer-worker.ts), the tests and the checker.
 *
 * Every payload is a function of its writer and sequence number
 * (`<writer> <seq> <filler>`), so the checker can tell an entry some
 * writer tried to write from one nobody wrote (a bug, a torn copy served
 * as good), and can spot the same entry twice.
 *
 * The ack record is one JSON object per line, appended and fsynced per
 * acknowledged batch by the writer before it reports the batch, so a line
 * that is in the file was acknowledged, whenever the writer was killed; a
 * torn last line (killed mid-write) is ignored.
 */
import { readFile } from 'node:fs/promises';

/** One acknowledged entry, as the writer recorded it. */
export interface AckedEntry {
  /** The writer's tag (its process's name in the test). */
  readonly writer: string;
  /** The writer's sequence number of the entry: in append order, from 0. */
  readonly seq: number;
  readonly segmentId: number;
  readonly entryId: number;
  /** The timestamp the writer gave it (it keeps them non-decreasing, so the log stores this exact one). */
  readonly timestamp: number;
  /** The payload, as text. */
  readonly data: string;
}

/** The payload of entry `seq` of `writer`: 20 to 120 bytes. */
export function payload(writer: string, seq: number): string {
  const filler = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3).slice(0, (seq * 7919) % 100);
  return `${writer} ${seq} ${filler}`;
}

/** The writer and sequence number of a payload some writer could have written, or undefined. */
export function parsePayload(data: string): { writer: string; seq: number } | undefined {
  const m = /^(\S+) (\d+) /.exec(data);
  if (m === null) return undefined;
  const seq = Number(m[2]);
  return payload(m[1]!, seq) === data ? { writer: m[1]!, seq } : undefined;
}

/** Every complete line of an ack file (a torn last line, from a kill mid-write, is skipped). */
export async function readAckFile(path: string): Promise<AckedEntry[]> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? '' : Promise.reject(error)));
  const lines = text.split('\n');
  lines.pop(); // after the last newline: empty, or a torn line
  return lines.map((line) => JSON.parse(line) as AckedEntry);
}
