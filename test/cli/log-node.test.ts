/**
 * `herd log-node` arguments: the command is listed by `herd`, and missing
 * or invalid options stop it with a message naming the option, exit 1,
 * before it opens anything; `--metrics-port`, `--no-auditor` and
 * `--grace-period` take effect on a running node. (Starting, SIGKILL and
 * SIGTERM: test/log/node/crash.test.ts.)
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, it } from 'node:test';
import { forEachTarget, uniquePath, connect } from '../support/targets.js';
import { removeDirs, startNodeProcess, tempDir } from '../log/node/support.js';
import { herd } from './herd.js';
import { connectLogNode, NodeAuthenticationError } from '../../src/log/index.js';
import { makeCerts } from '../support/tls-certs.js';

after(removeDirs);

it('herd lists log-node, and herd log-node --help its options', () => {
  const overview = herd('--help');
  assert.equal(overview.status, 0);
  assert.match(overview.stdout, /log-node \[options\]\s+run a storage node of the Herd log/);
  const r = herd('log-node', '--help');
  assert.equal(r.status, 0);
  for (const flag of ['--coordination', '--data-dir', '--port', '--advertised-host', '--max-frame-size', '--session-timeout', '--close-timeout', '--metrics-port', '--no-auditor', '--grace-period', '--gc-interval', '--scrub-interval', '--tls-key', '--tls-cert', '--tls-ca']) {
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
      [['--coordination', '127.0.0.1:1', '--data-dir', dir, '--metrics-port', '70000'], /--metrics-port must be an integer from 0 to 65535/],
      [['--coordination', '127.0.0.1:1', '--data-dir', dir, '--gc-interval', '-1'], /--gc-interval must be an integer from 0/],
      [['--coordination', '127.0.0.1:1', '--data-dir', dir, '--grace-period', 'soon'], /--grace-period must be an integer from 0/],
      [['--coordination', '127.0.0.1:1', '--data-dir', dir, '--no-auditor', '--grace-period', '100'], /--grace-period is an auditor option/],
      [['--coordination', '127.0.0.1:1', '--data-dir', dir, '--scrub-interval', 'soon'], /--scrub-interval must be an integer from 0/],
      [['--coordination', '127.0.0.1:1', '--data-dir', dir, '--no-auditor', '--scrub-interval', '100'], /--scrub-interval is an auditor option/],
      [['--coordination', '127.0.0.1:1', '--data-dir', dir, '--tls-key', 'k.pem'], /--tls-key and --tls-cert go together/],
      [['--coordination', '127.0.0.1:1', '--data-dir', dir, '--tls-ca', 'ca.pem'], /--tls-ca needs --tls-key and --tls-cert/],
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

forEachTarget('herd log-node flags', (target) => {
  it('--tls-key, --tls-cert and --tls-ca: serves over mutual TLS', async () => {
    const certs = await makeCerts();
    const root = uniquePath('log-node-cli');
    await (await connect(target())).mkdirp(root);
    const coordination = `${target().connectionString}${root}`;
    const file = (name: string) => join(certs.dir, name);
    const node = await startNodeProcess(coordination, await tempDir('log-node-cli'), { args: ['--tls-key', file('server.key'), '--tls-cert', file('server.crt'), '--tls-ca', file('herd-test-ca.crt')] });
    try {
      await using c = await connectLogNode(node.address, { tls: { ca: certs.ca, key: certs.clientKey, cert: certs.clientCert } });
      assert.equal(c.instanceId, node.instanceId);
      await assert.rejects(connectLogNode(node.address, { tls: { ca: certs.ca } }), NodeAuthenticationError);
      await assert.rejects(connectLogNode(node.address), /serves over TLS/);
    } finally {
      await node.kill();
      await rm(certs.dir, { recursive: true, force: true });
    }
  });

  it('--metrics-port serves /metrics (with the auditor gauge unless --no-auditor); --grace-period and --gc-interval are accepted', async () => {
    const root = uniquePath('log-node-cli');
    await (await connect(target())).mkdirp(root);
    const coordination = `${target().connectionString}${root}`;
    const withAuditor = await startNodeProcess(coordination, await tempDir('log-node-cli'), { args: ['--metrics-port', '0', '--grace-period', '500', '--gc-interval', '0'] });
    const without = await startNodeProcess(coordination, await tempDir('log-node-cli'), { args: ['--metrics-port', '0', '--no-auditor'] });
    try {
      assert.match(withAuditor.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const scrape = async (url: string | undefined): Promise<string> => {
        const res = await fetch(url!);
        assert.equal(res.status, 200);
        return res.text();
      };
      assert.match(await scrape(withAuditor.metricsUrl), /^herd_log_node_under_replicated_segments 0$/m);
      const plain = await scrape(without.metricsUrl);
      assert.match(plain, /^herd_log_node_open_connections 0$/m);
      assert.doesNotMatch(plain, /under_replicated/, '--no-auditor: no auditor, no gauge');
      const candidates = await (await connect(target(), {}, coordination)).getChildren('/herd/log/auditor');
      assert.equal(candidates.length, 1, `one auditor candidate (the other node has --no-auditor): ${candidates.join(', ')}`);
    } finally {
      await withAuditor.kill();
      await without.kill();
    }
  });
});
