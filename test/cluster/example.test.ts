/**
 * examples/cluster-metadata runs as three processes against Herd's server
 * (importing the package as a user would, mapped to the built sources): one
 * becomes primary and runs its job; after SIGKILL another takes over.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TestingServer } from '../../src/testing/testing-server.js';
import { waitFor } from '../recipes/harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const built = resolve(here, '../../src/cluster/index.js');

describe('examples/cluster-metadata', () => {
  let server: TestingServer;
  let dir: string;
  const procs: { name: string; child: ChildProcess; lines: string[] }[] = [];
  before(async () => {
    server = await TestingServer.start();
    dir = await mkdtemp(join(tmpdir(), 'herd-example-'));
    const source = await readFile(join(root, 'examples/cluster-metadata/service.js'), 'utf8');
    assert.match(source, /from 'herd-zk\/cluster'/);
    await writeFile(join(dir, 'service.mjs'), source.replace(/from 'herd-zk\/cluster'/, `from '${pathToFileURL(built).href}'`));
  });
  after(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('three instances: one primary runs the job; SIGKILL it and another takes over', { timeout: 90_000 }, async () => {
    for (const name of ['a', 'b', 'c']) {
      const child = spawn(process.execPath, [join(dir, 'service.mjs'), name, `${server.connectionString}/herd`], {
        env: { ...process.env, SESSION_TIMEOUT: '4000', JOB_INTERVAL: '200' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const entry = { name, child, lines: [] as string[] };
      createInterface({ input: child.stdout! }).on('line', (l) => entry.lines.push(l));
      procs.push(entry);
    }
    const primaryOf = (p: (typeof procs)[number]): number | undefined => {
      const m = p.lines.map((l) => /PRIMARY \(epoch (\d+)\)/.exec(l)).filter((x) => x !== null).at(-1);
      return m ? Number(m[1]) : undefined;
    };
    await waitFor(() => procs.every((p) => p.lines.some((l) => l.includes('(3 now)') || l.includes('joined; members: a, b, c'))), 30_000, 'all see three members');
    await waitFor(() => procs.some((p) => primaryOf(p) !== undefined && p.lines.some((l) => l.includes('job #2'))), 30_000, 'a primary runs its job');
    const victim = procs.find((p) => primaryOf(p) !== undefined)!;
    const epoch = primaryOf(victim)!;
    assert.equal(procs.filter((p) => primaryOf(p) !== undefined).length, 1);
    victim.child.kill('SIGKILL');
    const rest = procs.filter((p) => p !== victim);
    await waitFor(() => rest.some((p) => (primaryOf(p) ?? 0) > epoch), 30_000, 'a new primary');
    await waitFor(() => rest.every((p) => p.lines.some((l) => l.includes(`members: -${victim.name}`))), 30_000, 'the others see it leave');
    const successor = rest.find((p) => primaryOf(p) !== undefined)!;
    await waitFor(() => successor.lines.some((l) => new RegExp(`job #1 \\(epoch ${primaryOf(successor)}\\)`).test(l)), 10_000, 'the successor runs the job');
    for (const p of rest) await waitFor(() => p.lines.some((l) => l.includes(`primary is now ${successor.name}`)), 10_000, 'all see the successor');
  });
});
