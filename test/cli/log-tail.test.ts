/**
 * `herd log tail` (src/cli/log-command.ts): prints the entries of a log as
 * they are confirmed, in the line format of `herd log read`, and ends
 * cleanly (exit 0) on SIGINT.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { after, it } from 'node:test';
import { openLog } from '../../src/log/index.js';
import { forEachTarget, waitFor } from '../support/targets.js';
import { removeDirs } from '../log/node/support.js';
import { startCluster } from '../log/writer/support.js';
import { CLI } from './herd.js';

after(removeDirs);

const base = Date.parse('2026-12-07T10:00:00.000Z');
const at = (i: number): string => new Date(base + i * 1000).toISOString();

forEachTarget('herd log tail', (target) => {
  it('prints the entries from --from on, then new ones as they come, across a roll-over; SIGINT ends it with status 0', async () => {
    await using cluster = await startCluster(target());
    const client = await cluster.client();
    await using log = await openLog(client, 'orders', { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2, maxSegmentEntries: 4 });
    await log.appendBatch(Array.from({ length: 3 }, (_, i) => ({ data: Buffer.from(`order ${i}`), timestamp: base + i * 1000 })));
    const child = spawn(process.execPath, [CLI, 'log', 'tail', 'orders', '--coordination', cluster.coordination, '--from', at(1)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // A batch's entries carry no confirmation of each other: the nodes learn of them from the appends that follow.
      for (let i = 3; i < 7; i++) await log.append(Buffer.from(`order ${i}`), { timestamp: base + i * 1000 });
      await log.append(Buffer.from('two\nlines'), { timestamp: base + 7000 });
      await log.close(); // closing the segment makes its last entry visible to readers without a writer
      await waitFor(() => out.includes('two\\x0alines'), 20_000, 'the new entries').catch((error: unknown) => {
        throw new Error(`${String(error)}: stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)}`);
      });
      child.kill('SIGINT');
      assert.equal(await exited, 0, err);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const lines = out.trimEnd().split('\n');
    const positions = lines.map((l) => l.split('  ')[0]!);
    assert.deepEqual(
      lines.map((l) => l.split('  ').slice(1).join('  ')),
      [1, 2, 3, 4, 5, 6].map((i) => `${at(i)}  order ${i}`).concat([`${at(7)}  two\\x0alines`]),
    );
    // Positions as `herd log read` prints them: segment:entry, across the roll-over after 4 entries.
    assert.ok(positions.every((p) => /^\d+:\d+$/.test(p)), positions.join(' '));
    assert.equal(new Set(positions.map((p) => p.split(':')[0])).size, 2);
    assert.equal(err, '');
  });

  it('refuses a bad --from and an unknown log with a message and status 1', async () => {
    await using cluster = await startCluster(target(), 1);
    const conn = ['--coordination', cluster.coordination];
    const bad = await run('log', 'tail', 'x', ...conn, '--from', 'yesterday');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^herd: --from must be an ISO 8601 time or epoch ms, got 'yesterday'\n/);
    const unknown = await run('log', 'tail', 'nope', ...conn);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /^herd: no log named nope\n/);
  });
});

function run(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}
