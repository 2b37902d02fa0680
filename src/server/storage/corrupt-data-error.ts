/** The data directory cannot be trusted: the server refuses to start rather than lose or invent data. */
export class CorruptDataError extends Error {
  override readonly name = 'CorruptDataError';
  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string,
  ) {
    super(`corrupt data in ${file} at offset ${offset}: ${reason}`);
  }
}
