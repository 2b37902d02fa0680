/**
 * `herd server` log lines: pino JSON when stderr is not a terminal,
 * pino-pretty lines when it is, and `--log-format pretty|json` to choose.
 * The terminal case runs herd under `script`, which gives it a pseudo-terminal.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, herd, startHerdServer } from './herd.js';

const PRETTY_LISTENING = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: herd server listening \{"port":\d+,"host":"127\.0\.0\.1"\}$/m;
// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

const haveScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

describe('herd server --log-format', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herd-cli-logs-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const base = () => ['--host', '127.0.0.1', '--port', '0', '--data-dir', join(dir, 'data'), '--log-level', 'info'];

  it('not a terminal: JSON lines, and --log-format json says the same', async () => {
    for (const extra of [[], ['--log-format', 'json']]) {
      const server = await startHerdServer([...base(), ...extra]);
      try {
        assert.match(server.banner, /\n {2}logs +info and above, JSON lines on stderr\n/);
        const lines = server.stderr().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        assert.ok(lines.some((l) => l.msg === 'herd server listening' && l.level === 'info' && l.port === server.port), server.stderr());
      } finally {
        await server.stop();
      }
    }
  });

  it('--log-format pretty: one readable line per entry (time, level, message, fields), no colour off a terminal', async () => {
    const server = await startHerdServer([...base(), '--log-format', 'pretty']);
    try {
      assert.match(server.banner, /\n {2}logs +info and above, pretty on stderr\n/);
      const stderr = server.stderr();
      assert.match(stderr, PRETTY_LISTENING);
      assert.ok(!stderr.includes('{"level"'), stderr);
      assert.equal(stripAnsi(stderr), stderr, 'no colour codes when stderr is not a terminal');
    } finally {
      await server.stop();
    }
  });

  it('a terminal: pretty lines by default', { skip: !haveScript && 'no script command (util-linux)' }, async () => {
    const command = [process.execPath, CLI, 'server', ...base()].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const deadline = Date.now() + 20_000;
      while (!/herd server listening/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      const text = stripAnsi(out).replace(/\r\n/g, '\n');
      assert.match(text, PRETTY_LISTENING, out);
      assert.match(text, /\n {2}logs +info and above, pretty on stderr\n/);
      assert.ok(!text.includes('{"level"'), text);
    } finally {
      child.kill('SIGTERM');
      // script passes SIGTERM on to herd through the terminal's hang-up.
      await exited;
    }
  });

  it('an unknown format is refused', () => {
    const r = herd('server', ...base(), '--log-format', 'xml');
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'herd: unknown log format xml: use one of json, pretty\n');
  });
});
