/**
 * Bad input for `herd shell` (issue 15): binary, invalid UTF-8, 1 MiB and
 * JSON-bomb data, paths with unicode and blanks, and a server that goes
 * away mid-session. The shell says what happened and keeps working.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { connect, forEachTarget, uniquePath, waitFor } from '../support/targets.js';
import { runShell, startShell } from './run-shell.js';

/** Near the servers' 1 MiB packet limit (jute.maxbuffer), with room for the request around it. */
const BIG = 1_000_000;
const INVALID_UTF8 = Buffer.from([0xff, 0xfe, 0x41, 0xc3, 0x28, 0x00, 0x42]);

forEachTarget('herd shell: bad input', (target) => {
  let root = '';
  before(async () => {
    const client = await connect(target());
    root = uniquePath('shell-bad');
    await client.create(root, null);
    await client.create(`${root}/binary`, INVALID_UTF8);
    await client.create(`${root}/big`, Buffer.alloc(BIG, 'x'));
    await client.create(`${root}/bomb`, '['.repeat(100_000) + ']'.repeat(100_000));
    await client.create(`${root}/dir with spaces ünï`, 'spaced');
  });

  const cmd = (...lines: string[]) => runShell(target().connectionString, lines.flatMap((l) => ['--command', l]));

  // Each of these is a shell process or two reading nodes nobody writes: side by side. The lost server comes after, alone.
  describe('odd data and paths', { concurrency: true }, () => {
    it('prints binary and invalid UTF-8 data, and gives it exactly in --json (base64)', { timeout: 60_000 }, async () => {
      const text = await cmd(`get ${root}/binary`);
      assert.equal(text.stdout, `${INVALID_UTF8.toString('utf8')}\n`);
      const json = JSON.parse((await runShell(target().connectionString, ['--json', '--command', `get ${root}/binary`])).stdout);
      assert.deepEqual(Buffer.from(json.data.base64, 'base64'), INVALID_UTF8);
    });

    it('prints ~1 MB of data, survives a JSON bomb, and goes on with the next command', { timeout: 60_000 }, async () => {
      const r = await cmd(`get ${root}/big`, `json-get ${root}/bomb`, `stat ${root}/big`);
      assert.equal(r.stdout.split('\n')[0]!.length, BIG);
      assert.match(r.stdout, /dataLength = 1000000\n/);
      assert.equal(r.code, 1, 'the bomb is refused');
      assert.match(r.stderr, /bomb/);
    });

    it('handles quoted paths with blanks and unicode, in ls, get, find and tree', { timeout: 60_000 }, async () => {
      const r = await cmd(`ls ${root}`, `get "${root}/dir with spaces ünï"`, `find ${root} spaces`);
      assert.equal(r.stdout, `[big, binary, bomb, dir with spaces ünï]\nspaced\n${root}/dir with spaces ünï\n`);
      assert.equal(r.code, 0);
    });
  });

  it('reports a lost server on the command that met it, then works again once it is back', { timeout: 110_000 }, async () => {
    const shell = startShell(target().connectionString, ['--timeout', '3000']);
    try {
      shell.send(`get "${root}/dir with spaces ünï"`);
      await waitFor(() => shell.stdout().includes('spaced'), 30_000, 'first get');
      await target().stop();
      shell.send(`ls ${root}`);
      await waitFor(() => shell.stderr().includes('ConnectionLoss'), 30_000, 'the failure told');
      await target().start();
      // Until the client has its session again a command may still meet the loss: ask again until it answers.
      // (Spaced out, not back to back: a command pending when a slow restart expires the session fails with
      // SessionExpired, not the ConnectionLoss this test expects.)
      await waitFor(
        async () => {
          if (shell.stdout().includes('[big, binary')) return true;
          shell.send(`ls ${root}`);
          await new Promise((r) => setTimeout(r, 2000));
          return shell.stdout().includes('[big, binary');
        },
        60_000,
        'working again',
      );
      shell.send('quit');
      assert.equal(await shell.end(), 1, 'a command failed');
      const failures = shell.stderr().split('\n').filter((l) => l !== '');
      assert.ok(failures.length >= 1);
      // The command that met the loss says so; a retry while the server comes back may find the session
      // expired instead (ZooKeeper's restart outlasted its timeout), which zkCli reports the same way.
      assert.equal(failures[0], `KeeperErrorCode = ConnectionLoss for ${root}`);
      for (const line of failures.slice(1)) assert.match(line, new RegExp(`^KeeperErrorCode = (ConnectionLoss|Session expired) for ${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    } finally {
      shell.child.kill();
    }
  });
});
