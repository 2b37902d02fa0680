/**
 * The `herd` command line itself: `--help` and `--version` for herd and for
 * every command, unknown options and commands refused with exit 1 and a
 * hint, and the block `herd server` prints once it serves.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../src/client/index.js';
import { herd, herdAll, startHerdServer } from './herd.js';

const VERSION = (JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../package.json'), 'utf8')) as { version: string }).version;

describe('herd --help and --version', () => {
  it('herd --help lists every command; herd alone prints the same', () => {
    for (const args of [['--help'], ['-h'], []]) {
      const r = herd(...args);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^Usage: herd /);
      assert.match(r.stdout, /\n {2}server \[options\] +start a Herd coordination server/);
      assert.match(r.stdout, /\n {2}cluster +read the state of a Herd cluster/);
      assert.match(r.stdout, /\n {2}log-node \[options\] +run a storage node of the Herd log/);
    }
  });

  it('herd --version prints the version of package.json', () => {
    for (const flag of ['--version', '-V']) {
      const r = herd(flag);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${VERSION}\n`);
    }
  });

  it('every command has --help with its own options', async () => {
    const cases: [string[], string[]][] = [
      [['server'], ['--port', '--host', '--data-dir', '--tick-time', '--log-level', '--log-format', '--4lw', '--admin-port', '--admin-host', '--secure-port', '--tls-key', '--tls-cert', '--tls-ca', '--tls-client-auth', '--tls-super-user', '--super-digest', '--config', '--max-client-connections', '--max-outstanding-requests', '--max-frame-size', '--max-send-buffer']],
      [['cluster'], ['status']],
      [['cluster', 'status'], ['--cluster', '--backend', '--shared-fs', '--json']],
      [['log-node'], ['--coordination', '--data-dir', '--port', '--advertised-host', '--max-frame-size', '--session-timeout', '--close-timeout']],
      [['log'], ['ls', 'status', 'read', 'tail']],
      [['log', 'read'], ['--coordination', '--from', '--to', '--format', '--tls-ca', '--tls-cert', '--tls-key', '--tls-servername']],
      [['log', 'tail'], ['--coordination', '--from', '--format', '--tls-ca', '--tls-cert', '--tls-key', '--tls-servername']],
      [['shell'], ['--command', '--json', '--admin-url', '--history-file', '--no-history', '--timeout']],
      [['import-zk'], ['--from', '--log-dir', '--data-dir', '--allow-torn-log', '--trust-empty-snapshot']],
      [['export-zk'], ['--data-dir', '--to']],
      [['rpc'], ['ls', 'call']],
      [['rpc', 'ls'], ['--coordination', '--json']],
      [['rpc', 'call'], ['--coordination', '--timeout', '--tags', '--tls-ca', '--tls-cert', '--tls-key', '--tls-servername', '--secret-file']],
      [['rpc', 'pyro-ns'], ['--coordination', '--connect', '--host', '--port', '--advertised-host', '--hmac-key-env', '--clean-interval']],
      [['tables'], ['ls', 'status', 'dump']],
      [['tables', 'status'], ['--coordination', '--json']],
      [['dashboard'], ['--connect', '--port', '--host', '--allow-writes', '--admin-url', '--timeout']],
    ];
    // Each command line is a node start-up: run them side by side, check them in order.
    const lines = cases.flatMap(([command]) => [
      [...command, '--help'],
      [...command, '-h'],
      ...(command.length === 1 ? [['help', ...command]] : []),
    ]);
    const runs = new Map((await herdAll(lines)).map((r, i) => [lines[i]!.join(' '), r]));
    for (const [command, flags] of cases) {
      for (const help of ['--help', '-h']) {
        const r = runs.get([...command, help].join(' '))!;
        assert.equal(r.status, 0, `${command.join(' ')}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^Usage: herd ${command.join(' ')} `));
        for (const flag of flags) assert.ok(r.stdout.includes(flag), `${command.join(' ')} --help lists ${flag}:\n${r.stdout}`);
      }
      // `herd help <command>` is the same page (commander's help command takes one level).
      if (command.length === 1) assert.equal(runs.get(['help', ...command].join(' '))!.stdout, runs.get([...command, '--help'].join(' '))!.stdout);
    }
  });
});

describe('herd refuses what it does not know', () => {
  it('an unknown option, command or argument: exit 1, a message naming it and where to look', () => {
    const cases: [string[], RegExp][] = [
      [['server', '--bogus'], /^herd: unknown option '--bogus'\n\(run 'herd server --help' for usage\)\n$/],
      [['server', '--port'], /^herd: option '--port <n>' argument missing\n/],
      [['server', 'extra'], /^herd: too many arguments for 'server'/],
      [['cluster', 'status', '--clutser', 'x'], /^herd: unknown option '--clutser'\n\(Did you mean --cluster\?\)/],
      [['log-node', '--bogus'], /^herd: unknown option '--bogus'\n\(run 'herd log-node --help' for usage\)\n$/],
      [['serve'], /^herd: unknown command 'serve'\n\(Did you mean server\?\)/],
      [['--bogus'], /^herd: unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = herd(...args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
    }
  });

  it('a bad value for a server option: exit 1, naming the option and the value, before it listens', () => {
    const cases: [string[], RegExp][] = [
      [['--port', '70000'], /^herd: --port must be an integer from 0 to 65535, got '70000'\n$/],
      [['--tick-time', 'soon'], /^herd: --tick-time must be an integer from 1 to \d+, got 'soon'\n$/],
      [['--admin-port', '-1'], /^herd: --admin-port must be an integer from 0 to 65535, got '-1'\n$/],
      [['--max-client-connections', '1.5'], /^herd: --max-client-connections must be an integer/],
      [['--secure-port', '0'], /^herd: --secure-port needs a key and certificate: --tls-key and --tls-cert, or ssl.keyStore.location \(PEM\) in the config\n$/],
    ];
    for (const [args, message] of cases) {
      const r = herd('server', '--host', '127.0.0.1', ...args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
  });
});

describe('herd server startup block', () => {
  it('says where it listens, its data dir and its admin URLs, on stdout; the URLs answer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herd-cli-banner-'));
    const server = await startHerdServer(['--host', '127.0.0.1', '--port', '0', '--admin-port', '0', '--data-dir', join(dir, 'data'), '--log-level', 'warn']);
    try {
      const { banner, port } = server;
      assert.match(banner, new RegExp(`^herd server ${VERSION.replace(/\./g, '\\.')} is serving \\(standalone\\)\n`));
      assert.match(banner, new RegExp(`\n {2}clients +127\\.0\\.0\\.1:${port}\n`));
      assert.match(banner, new RegExp(`\n {2}data dir +${join(dir, 'data').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));
      const urls = [...banner.matchAll(/http:\/\/127\.0\.0\.1:\d+\/(commands|metrics)/g)].map((m) => m[0]);
      assert.equal(urls.length, 2, banner);
      assert.deepEqual(await (await fetch(`${urls[0]!}/ruok`)).json(), { command: 'ruok', error: null });
      assert.match(await (await fetch(urls[1]!)).text(), /^# HELP /m);
      const client = createClient(`127.0.0.1:${port}`);
      await client.connect();
      assert.deepEqual(await client.getChildren('/'), ['zookeeper']);
      await client.close();
      assert.equal(await server.stop(), 0);
      assert.equal(server.stderr(), '', 'nothing at warn or above');
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('listening on every interface, the block gives the address to connect to; admin off says how to turn it on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herd-cli-banner-'));
    const server = await startHerdServer(['--port', '0', '--data-dir', dir, '--log-level', 'warn']);
    try {
      assert.match(server.banner, new RegExp(`\n {2}clients +0\\.0\\.0\\.0:${server.port} \\(every interface; connect string 127\\.0\\.0\\.1:${server.port}\\)\n`));
      assert.match(server.banner, /\n {2}admin +off \(--admin-port <n> turns it on\)\n/);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
