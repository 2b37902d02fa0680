/**
 * Running an example as its README says, from a copy whose `herd-zk`
 * imports point at the built sources (the package is not installed under
 * its own name in a checkout's test build).
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const built = resolve(here, '../../src');

/** A copy of `examples/<name>` whose `herd-zk` imports point at the built sources. */
async function copyExample(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `herd-example-${name}-`));
  await cp(join(root, 'examples', name), dir, { recursive: true });
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.js'))) {
    const source = await readFile(join(dir, file), 'utf8');
    const mapped = source.replace(/from '(herd-zk(?:\/(\w+))?)'/g, (_m, _name: string, sub: string | undefined) => {
      return `from '${pathToFileURL(join(built, sub ?? '', 'index.js')).href}'`;
    });
    await writeFile(join(dir, file), mapped);
  }
  return dir;
}

/** Runs `node run.js ...args` in a copy of `examples/<name>` and resolves with its stdout (the copy is removed). */
export async function runExample(name: string, args: string[], timeout = 110_000): Promise<string> {
  const dir = await copyExample(name);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'run.js'), ...args], { cwd: dir, timeout });
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
