import { CorruptDataError } from '../corrupt-data-error.js';

/**
 * The stream format of snappy-java's SnappyOutputStream, which ZooKeeper
 * writes with `snapshot.compression.method=snappy` (it is not Snappy's own
 * framing format, so the `snappy` package's framing helpers cannot read it):
 *   header: 8 magic bytes 0x82 'SNAPPY' 0x00, int version, int compatible
 *     version (big-endian; both 1 in every release)
 *   chunks: (int compressed length, raw Snappy block)* until the end.
 * SnappyInputStream also accepts a second header where a chunk would start
 * (streams written one after another into one file), so this does too.
 */

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const HEADER_BYTES = MAGIC.length + 8;

/** The `snappy` package (native, with prebuilt binaries), loaded only when a snappy snapshot is met. */
async function loadUncompress(): Promise<(block: Buffer) => Buffer> {
  const snappy = (await import('snappy')).default;
  return (block) => snappy.uncompressSync(block, { asBuffer: true }) as Buffer;
}

function hasHeaderAt(buf: Buffer, at: number): boolean {
  return buf.length - at >= HEADER_BYTES && buf.subarray(at, at + MAGIC.length).equals(MAGIC);
}

/**
 * Decompresses a whole SnappyOutputStream file. Throws CorruptDataError
 * naming `file` and the offset (in the compressed file) of the header or
 * chunk that is damaged or cut short.
 */
export async function uncompressXerialSnappy(file: string, buf: Buffer): Promise<Buffer> {
  if (!hasHeaderAt(buf, 0)) throw new CorruptDataError(file, 0, 'not a snappy-java stream (no 0x82 SNAPPY header)');
  const uncompress = await loadUncompress();
  const parts: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    if (hasHeaderAt(buf, at)) {
      const compatible = buf.readInt32BE(at + MAGIC.length + 4);
      if (compatible !== 1) throw new CorruptDataError(file, at, `snappy-java stream version ${compatible} is not one this reader knows (1)`);
      at += HEADER_BYTES;
      continue;
    }
    if (buf.length - at < 4) throw new CorruptDataError(file, at, 'snappy-java chunk length cut short');
    const length = buf.readInt32BE(at);
    if (length < 0 || length > buf.length - at - 4) {
      throw new CorruptDataError(file, at, `snappy-java chunk of ${length} bytes runs past the end of the file (${buf.length - at - 4} left)`);
    }
    try {
      parts.push(uncompress(buf.subarray(at + 4, at + 4 + length)));
    } catch (err) {
      throw new CorruptDataError(file, at, `snappy-java chunk does not decompress: ${err instanceof Error ? err.message : String(err)}`);
    }
    at += 4 + length;
  }
  return Buffer.concat(parts);
}
