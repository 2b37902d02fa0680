/**
 * Field readers shared by the message decoders: each reads one jute value
 * and checks its range, so a decoder never passes on a value the storage
 * layer would misread (a segment id past 2^53, a negative entry id).
 * A violation throws BadRequestError naming the field.
 */
import type { JuteReader } from '../../../jute/reader.js';
import type { JuteWriter } from '../../../jute/writer.js';
import { BadRequestError } from '../../errors.js';

/** A long that must be a safe integer of at least `min`. */
export function readLong(r: JuteReader, field: string, min: number): number {
  const at = r.offset;
  const v = r.longNumber();
  if (!Number.isSafeInteger(v) || v < min) throw new BadRequestError(`${field} ${v} out of range (at least ${min}, a safe integer) at offset ${at}`);
  return v;
}

/** An int that must be at least `min`. */
export function readInt(r: JuteReader, field: string, min: number): number {
  const at = r.offset;
  const v = r.int();
  if (v < min) throw new BadRequestError(`${field} ${v} out of range (at least ${min}) at offset ${at}`);
  return v;
}

/** A byte string that must not be null; a copy, so it outlives the frame it came in. */
export function readData(r: JuteReader, field: string): Buffer {
  const at = r.offset;
  const v = r.buffer();
  if (v === null) throw new BadRequestError(`${field} is null at offset ${at}`);
  return Buffer.from(v);
}

/** An optional value: a presence flag, then the value when present. */
export function writeOptional<T>(w: JuteWriter, v: T | undefined, write: (w: JuteWriter, v: T) => void): void {
  w.bool(v !== undefined);
  if (v !== undefined) write(w, v);
}

/** Reads what {@link writeOptional} wrote. */
export function readOptional<T>(r: JuteReader, read: (r: JuteReader) => T): T | undefined {
  return r.bool() ? read(r) : undefined;
}

/** Throws BadRequestError when bytes are left after a body: a sender and a node that disagree on the layout. */
export function expectEnd(r: JuteReader, what: string): void {
  if (r.remaining !== 0) throw new BadRequestError(`${what}: ${r.remaining} bytes after the body at offset ${r.offset}`);
}
