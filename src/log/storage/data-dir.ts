/**
 * The data directory of a storage node:
 *
 *   instance-id          this node's identity: a random UUID and a newline,
 *                        created on first open (written to a temporary
 *                        file, fsynced, renamed, directory fsynced)
 *   journal/NNNN.jnl     journal files (journal.ts)
 *   segments/N.seg       one file per segment (segment.ts)
 *
 * A wiped directory gets a new instance id, so a node that comes back
 * empty at the same address is never mistaken for the one that held the
 * data (BookKeeper #4812).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileDurably } from '../../base/durable-fs.js';
import { join } from 'node:path';
import { CorruptStorageError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Reads the node's instance id, creating it on first open. */
export async function loadInstanceId(dataDir: string, fsync: boolean): Promise<string> {
  const path = join(dataDir, 'instance-id');
  try {
    const text = (await readFile(path, 'utf8')).trim();
    if (!UUID.test(text)) throw new CorruptStorageError(path, 0, 'not an instance id');
    return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const id = randomUUID();
  await writeFileDurably(path, `${id}\n`, { fsync });
  return id;
}
