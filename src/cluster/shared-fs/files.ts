/**
 * The two file operations the sharedFs backend builds on, each safe on a
 * local file system and on NFS:
 *
 * - {@link writeAtomic}: replace a file's whole content so that a reader sees
 *   the old or the new content, never a mix or an empty file: write a temp
 *   file in the same directory, fsync it, rename it over the target.
 * - {@link createExclusive}: create a file with its whole content only if no
 *   file has that name: write and fsync a temp file, then link() it to the
 *   name. link() fails with EEXIST when the name exists, atomically, also on
 *   NFS (where O_EXCL was not atomic before NFSv3); rename() would silently
 *   replace the file, so it cannot serve as a compare-and-swap.
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temp files end with this; a crash may leave some behind ({@link isTempName}). */
export const TEMP_SUFFIX = '.tmp';

/** Whether a directory entry is one of our temp files. */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(TEMP_SUFFIX);
}

/** `code` of a Node.js system error, or undefined. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
}

async function writeTemp(path: string, text: string): Promise<string> {
  const tmp = tempPathFor(path);
  const file = await open(tmp, 'wx');
  try {
    await file.writeFile(text);
    // Without it a crash of the machine (or the NFS server) could leave a
    // renamed or linked name pointing at an empty file.
    await file.sync();
  } catch (error) {
    await file.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await file.close();
  return tmp;
}

/** Replaces `path`'s content with `text` atomically (temp, fsync, rename). */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = await writeTemp(path, text);
  try {
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}

/**
 * Creates `path` with content `text` unless it exists. Resolves true when
 * this call created it, false when the name was taken.
 */
export async function createExclusive(path: string, text: string): Promise<boolean> {
  const tmp = await writeTemp(path, text);
  try {
    await link(tmp, path);
    return true;
  } catch (error) {
    // Over NFS the reply to a link() that succeeded can be lost and the
    // retransmitted request then fails (EEXIST among others); the temp
    // file's link count tells whether our link exists.
    const linked = await stat(tmp).then((s) => s.nlink === 2, () => false);
    if (linked) return true;
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
