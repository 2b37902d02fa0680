import { BadArgumentsError } from '../errors.js';

/** What the API accepts as znode data: bytes, or a string sent as UTF-8; null is sent as a null buffer. */
export type Data = Uint8Array | string | null;

/** The wire form of {@link Data}. */
export function toBuffer(data: Data | undefined, fallback: Buffer | null): Buffer | null {
  if (data === undefined) return fallback;
  if (data === null) return null;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new BadArgumentsError('data must be a Buffer, Uint8Array, string or null');
}

/** A private copy of bytes read from a frame, so a kept result does not pin the whole socket chunk. */
export function copyData(data: Buffer | null): Buffer | null {
  return data === null ? null : Buffer.from(data);
}
