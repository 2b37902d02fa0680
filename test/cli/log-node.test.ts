/**
 * `herd log-node` arguments: the command is listed by `herd`, and missing
 * or invalid options stop it with a message naming the option, exit 1,
 * before it opens anything. (Starting, SIGKILL and SIGTERM: test/log/node/crash.test.ts.)
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { herd } from './herd.js';

it('herd lists log-node, and herd log-node --help its options', () => {
  const overview = herd('--help');
  assert.equal(overview.status, 0);
  assert.match(overview.stdout, /log-node \[options\]\s+run a storage node of the Herd log/);
  const r = herd('log-node', '--help');
  assert.equal(r.status, 0);
  for (const flag of ['--coordination', '--data-dir', '--port', '--advertised-host', '--max-frame-size', '--session-timeout', '--close-timeout']) {
    assert.ok(r.stdout.includes(flag), flag);
  }
});

it('herd log-node refuses missing and invalid options before it opens anything', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'herd-log-cli-')), 'data');
  try {
    const cases: [string[], RegExp][] = [
      [['--data-dir', dir], /needs --coordination/],
      [['--coordination', '127.0.0.1:1'], /needs --data-dir/],
      [['--coordination', '127.0.0.1:1', '--data-dir', dir, '--port', '70000'], /--port must be an integer from 0 to 65535, got '70000'/],
      [['--coordination', '127.0.0.1:1', '--data-dir', dir, '--session-timeout', 'soon'], /--session-timeout must be an integer/],
      [['--coordination', '127.0.0.1:1', '--data-dir', dir, '--max-frame-size', '10'], /maxFrameSize must be an integer in/],
    ];
    for (const [args, message] of cases) {
      const r = herd('log-node', ...args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(existsSync(dir), false, 'nothing created');
    }
  } finally {
    await rm(dirname(dir), { recursive: true, force: true });
  }
});
