import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { requireTool } from './interop.js';
import { startProxy } from './tcp-proxy.js';
import {
  fourLetterWord,
  runZkCli,
  serverMode,
  startEnsemble,
  startZooKeeper,
  zookeeperAvailable,
  type ZooKeeperServer,
} from './zookeeper.js';

const available = zookeeperAvailable();
const WHAT = 'Apache ZooKeeper (Debian zookeeper package + java)';

/** zkCli prints `get` data on stdout but confirmations such as `Created /a` on stderr. */
function output(result: { stdout: string; stderr: string }): string {
  return result.stdout + result.stderr;
}

describe('standalone ZooKeeper', () => {
  let zk: ZooKeeperServer | undefined;

  before(async () => {
    if (available) zk = await startZooKeeper();
  });
  after(async () => {
    await zk?.destroy();
  });

  it('listens on a free loopback port and answers ruok/srvr', async (t) => {
    if (!requireTool(t, available, WHAT)) return;
    assert.ok(zk);
    assert.equal(zk.host, '127.0.0.1');
    assert.notEqual(zk.port, 2181);
    assert.equal(zk.connectionString, `127.0.0.1:${zk.port}`);
    assert.equal(await fourLetterWord(zk.host, zk.port, 'ruok'), 'imok');
    const srvr = await fourLetterWord(zk.host, zk.port, 'srvr');
    assert.match(srvr, /^Zookeeper version: 3\.8\./m);
    assert.match(srvr, /^Mode: standalone$/m);
    assert.ok(existsSync(zk.logFile), 'server log is written to the temp dir');
  });

  it('round-trips a znode through zkCli', async (t) => {
    if (!requireTool(t, available, WHAT)) return;
    assert.ok(zk);
    const created = await runZkCli(zk.connectionString, ['create', '/a', 'hello']);
    assert.equal(created.code, 0, output(created));
    assert.match(output(created), /Created \/a/);

    const got = await runZkCli(zk.connectionString, ['get', '-s', '/a']);
    assert.equal(got.code, 0, output(got));
    assert.match(got.stdout, /^hello$/m);
    assert.match(got.stdout, /^dataLength = 5$/m);
    assert.match(got.stdout, /^numChildren = 0$/m);

    const missing = await runZkCli(zk.connectionString, ['get', '/does-not-exist']);
    assert.notEqual(missing.code, 0);
    assert.match(output(missing), /Node does not exist: \/does-not-exist/);
  });

  it('runs zkCli scripts from stdin', async (t) => {
    if (!requireTool(t, available, WHAT)) return;
    assert.ok(zk);
    const result = await runZkCli(zk.connectionString, 'create /script one\nset /script two\nget /script\nls /\n');
    assert.equal(result.code, 0, output(result));
    assert.match(result.stdout, /^two$/m);
    assert.match(result.stdout, /^\[.*script.*\]$/m);
  });

  it('enables extended types (TTL nodes) by default', async (t) => {
    if (!requireTool(t, available, WHAT)) return;
    assert.ok(zk);
    const created = await runZkCli(zk.connectionString, ['create', '-t', '60000', '/ttl', 'x']);
    assert.equal(created.code, 0, output(created));
    assert.match(output(created), /Created \/ttl/);
  });

  it('is reachable through the TCP proxy', async (t) => {
    if (!requireTool(t, available, WHAT)) return;
    assert.ok(zk);
    const proxy = await startProxy(zk.host, zk.port);
    try {
      const got = await runZkCli(proxy.connectionString, ['get', '/a']);
      assert.equal(got.code, 0, output(got));
      assert.match(got.stdout, /^hello$/m);
    } finally {
      await proxy.close();
    }
  });
});

describe('ZooKeeper restarts', () => {
  it('keeps data across stop/start and kill -9/start on the same port', async (t) => {
    if (!requireTool(t, available, WHAT)) return;
    const zk = await startZooKeeper();
    try {
      const { port, dataDir } = zk;
      assert.equal((await runZkCli(zk.connectionString, ['create', '/durable', 'v1'])).code, 0);

      await zk.stop();
      assert.equal(zk.running, false);
      await assert.rejects(fourLetterWord(zk.host, port, 'ruok'), 'nothing listens after stop()');
      await zk.start();
      assert.equal(zk.port, port);
      assert.equal(zk.dataDir, dataDir);
      const afterStop = await runZkCli(zk.connectionString, ['get', '/durable']);
      assert.match(afterStop.stdout, /^v1$/m, output(afterStop));

      assert.equal((await runZkCli(zk.connectionString, ['set', '/durable', 'v2'])).code, 0);
      await zk.kill();
      await zk.start();
      const afterKill = await runZkCli(zk.connectionString, ['get', '/durable']);
      assert.match(afterKill.stdout, /^v2$/m, output(afterKill));
    } finally {
      await zk.destroy();
    }
    assert.equal(existsSync(zk.dir), false, 'destroy() removes the temp dir');
  });
});

describe('ZooKeeper ensemble', () => {
  it('forms a 3-node quorum that survives losing its leader', async (t) => {
    if (!requireTool(t, available, WHAT)) return;
    const ensemble = await startEnsemble(3);
    try {
      assert.equal(ensemble.servers.length, 3);
      assert.equal(ensemble.connectionString, ensemble.servers.map((s) => s.connectionString).join(','));
      const modes = await Promise.all(ensemble.servers.map((s) => serverMode(s)));
      assert.deepEqual([...modes].sort(), ['follower', 'follower', 'leader']);

      const created = await runZkCli(ensemble.connectionString, ['create', '/quorum', 'q']);
      assert.equal(created.code, 0, output(created));

      // Killing the leader is the harder case: the survivors must hold a new election.
      const leader = await ensemble.leader();
      assert.ok(leader);
      await leader.kill();
      await ensemble.waitForQuorum(20_000);
      const survivors = ensemble.servers.filter((s) => s !== leader);
      const after = await Promise.all(survivors.map((s) => serverMode(s)));
      assert.deepEqual([...after].sort(), ['follower', 'leader']);

      const got = await runZkCli(survivors[0]!.connectionString, ['get', '/quorum']);
      assert.match(got.stdout, /^q$/m, output(got));

      // The old leader rejoins on its old ports as a follower, with the data.
      await leader.start();
      assert.equal(await serverMode(leader), 'follower');
      const rejoined = await runZkCli(leader.connectionString, ['get', '/quorum']);
      assert.match(rejoined.stdout, /^q$/m, output(rejoined));
    } finally {
      await ensemble.destroy();
    }
  });
});
