/**
 * Writing files so that they survive a crash, for every layer that keeps
 * data on disk (the server's data directory, a log storage node's). A new
 * file is complete or absent after kill -9 or power loss: written to a
 * temporary name, fsynced, renamed, and its directory fsynced so the
 * rename itself is durable.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Makes a directory's entries (new, renamed, removed files) durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Options of {@link writeFileDurably}. */
export interface DurableWriteOptions {
  /** The directory to fsync after the rename; default the file's own. */
  dir?: string;
  /** False skips both fsyncs (tests, and stores configured without fsync); default true. */
  fsync?: boolean;
}

/** Replaces `path` with `data` atomically (temporary file + rename) and, by default, durably. */
export async function writeFileDurably(path: string, data: string | Buffer | readonly Buffer[], options: DurableWriteOptions = {}): Promise<void> {
  const { dir = dirname(path), fsync = true } = options;
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    for (const chunk of Array.isArray(data) ? data : [data]) await fh.write(chunk);
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (fsync) await syncDir(dir);
}

/** Deletes a file; a file already gone is not an error. */
export async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
