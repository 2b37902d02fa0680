import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { writeFileDurably } from '../../base/durable-fs.js';
import { join } from 'node:path';

/**
 * The files of a data directory: `log.<first zxid>` transaction logs,
 * `snapshot.<zxid>` tree snapshots (zxids as 16 hex digits, so names sort
 * in zxid order), and `secret`, the key of session passwords, so sessions
 * can resume across restarts.
 */

export interface DataFile {
  name: string;
  path: string;
  zxid: bigint;
}

export function zxidName(prefix: 'log' | 'snapshot', zxid: bigint): string {
  return `${prefix}.${zxid.toString(16).padStart(16, '0')}`;
}

export async function listFiles(dir: string, prefix: 'log' | 'snapshot'): Promise<DataFile[]> {
  const names = await readdir(dir);
  const re = new RegExp(`^${prefix}\\.([0-9a-f]{16})$`);
  const files: DataFile[] = [];
  for (const name of names) {
    const m = re.exec(name);
    if (m) files.push({ name, path: join(dir, name), zxid: BigInt(`0x${m[1]}`) });
  }
  return files.sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));
}

export async function ensureDataDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}

/** The session-password key, created on first start. */
export async function loadSecret(dir: string): Promise<Buffer> {
  const path = join(dir, 'secret');
  try {
    const secret = await readFile(path);
    if (secret.length === 32) return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32);
  await writeFileDurably(path, secret);
  return secret;
}
