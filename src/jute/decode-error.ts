/**
 * Thrown when bytes do not form the record being read: truncated input, a
 * negative or impossible length, or a count larger than the bytes left.
 * Servers and clients treat it as a protocol violation of that one connection.
 */
export class JuteDecodeError extends Error {
  override readonly name = 'JuteDecodeError';
  constructor(message: string, readonly offset: number) {
    super(`${message} at offset ${offset}`);
  }
}
