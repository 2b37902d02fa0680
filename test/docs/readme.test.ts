import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';

/** Every ```js example in the README runs, importing the package as a user would (mapped to the built sources). */

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const built = resolve(here, '../../src');
/** Each import name of package.json's exports, mapped to its built module. */
const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
const PACKAGES: Record<string, string> = Object.fromEntries(
  Object.keys(manifest.exports).map((key) => [key === '.' ? 'herd-zk' : `herd-zk/${key.slice(2)}`, join(built, key === '.' ? '' : key.slice(2), 'index.js')]),
);

async function examples(): Promise<string[]> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  return [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('README examples', async () => {
  const blocks = await examples();
  it('has examples', () => assert.ok(blocks.length >= 3));
  for (const [i, code] of blocks.entries()) {
    it(`example ${i + 1} runs`, { timeout: 60_000 }, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'herd-readme-'));
      try {
        const source = code.replace(/from '(herd-zk(?:\/\w+)?)'/g, (_m, name: string) => {
          const target = PACKAGES[name];
          assert.ok(target, `unknown import ${name}`);
          return `from '${pathToFileURL(target).href}'`;
        });
        const file = join(dir, 'example.mjs');
        await writeFile(file, source);
        const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: dir, timeout: 50_000 });
        assert.ok(stdout.length > 0, 'the example printed nothing');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
