/**
 * The header example of docs/tables.md runs as a user would write it, as a
 * child process importing the package names (mapped to the built sources).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { it } from 'node:test';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const built = resolve(here, '../../src');

it('docs/tables.md: the header example runs', { timeout: 60_000 }, async () => {
  const doc = await readFile(join(root, 'docs', 'tables.md'), 'utf8');
  const code = /```js\n([\s\S]*?)```/.exec(doc)![1]!;
  const source = code.replace(/from '(herd-zk(?:\/(\w+))?)'/g, (_m, _name: string, sub: string | undefined) =>
    `from '${pathToFileURL(join(built, sub ?? '', 'index.js')).href}'`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'herd-tables-doc-'));
  try {
    const file = join(dir, 'example.mjs');
    await writeFile(file, source);
    const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: dir, timeout: 50_000 });
    assert.match(stdout, /\{ sku: 'A1', qty: 4, category: 'tools' \}/);
    assert.match(stdout, /\[ \{ sku: 'A1', qty: 4, category: 'tools' \} \]/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
