import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EphemeralOwner } from '../../../src/server/txn.js';
import { herd } from '../../cli/herd.js';
import { startZooKeeper, type ZooKeeperServer } from '../../support/zookeeper.js';
import { zookeeperRequired } from '../../support/targets.js';
import { assertSameTrees, connectTo, filesOf, filledZooKeeper, fillFirst, fillSecond, hashDir, openHerd } from './trees.js';

/**
 * `herd import-zk` against Debian's ZooKeeper 3.8: a tree filled through the
 * client (every node kind, ACLs, raised versions, a live session's
 * ephemerals) is compared znode by znode, Stat and ACL included, between
 * ZooKeeper restarted on its data and Herd on the imported data.
 */

const haveZk = zookeeperRequired();

describe('herd import-zk', { skip: !haveZk, timeout: 300_000 }, () => {
  let work: string;
  let zk: ZooKeeperServer;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'herd-import-zk-'));
    zk = await filledZooKeeper();
  });

  after(async () => {
    await zk?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('imports snapshots and logs: every znode, Stat and ACL as ZooKeeper restores them', async () => {
    assert.ok((await filesOf(zk.dataDir, 'snapshot.')).length >= 3, 'several snapshots');
    assert.ok((await filesOf(zk.dataDir, 'log.')).length >= 2, 'several logs');
    const before = await hashDir(zk.dataDir);
    const target = join(work, 'herd-imported');
    const run = herd('import-zk', '--from', zk.dataDir, '--data-dir', target);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^imported \d+ znodes and \d+ sessions up to zxid 0x[0-9a-f]+/);
    assert.match(run.stdout, /replayed {2}[1-9]\d* transactions/);
    assert.equal(await hashDir(zk.dataDir), before, 'the ZooKeeper data dir is untouched');

    await zk.start();
    const server = await openHerd(target);
    const onZk = await connectTo(zk.connectionString);
    const onHerd = await connectTo(`127.0.0.1:${server.port}`);
    try {
      const count = await assertSameTrees(onZk, onHerd);
      assert.ok(count > 40, `${count} znodes compared`);
      // The ephemerals are still there, owned by the session that was open when ZooKeeper stopped.
      const eph = await onHerd.exists('/imp/eph');
      assert.ok(eph && eph.ephemeralOwner !== 0n);
      assert.ok(await onHerd.exists('/imp/late-eph'));
      assert.ok(server.sessions.get(eph.ephemeralOwner), 'the owner session was imported');
      // Clients see 0 as the owner of containers and TTL nodes: check the encodings themselves.
      assert.ok(server.tree.containers.has('/imp/cont'));
      assert.ok(server.tree.ttls.has('/imp/ttl'));
      assert.equal(EphemeralOwner.ttlOf(server.tree.get('/imp/ttl')!.ephemeralOwner), 3_600_000);
    } finally {
      await onZk.close();
      await onHerd.close();
      await server.close();
      await zk.stop();
    }
  });
  for (const method of ['gz', 'snappy'] as const) {
    it(`reads ${method}-compressed snapshots (snapshot.compression.method=${method})`, async () => {
      const zkc = await startZooKeeper({ extraConfig: { snapCount: 20, 'snapshot.compression.method': method }, forceSync: false });
      try {
        const client = await connectTo(zkc.connectionString);
        await fillFirst(client, client);
        await fillSecond(client, client, 10);
        await client.close();
        await zkc.stop();
        assert.ok((await filesOf(zkc.dataDir, 'snapshot.')).filter((n) => n.endsWith(`.${method}`)).length >= 2, `${method} snapshots written`);
        const target = join(work, `from-${method}`);
        const run = herd('import-zk', '--from', join(zkc.dataDir, 'version-2'), '--data-dir', target);
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, new RegExp(`snapshot +\\S+\\.${method}`));
        await zkc.start();
        const server = await openHerd(target);
        const onZk = await connectTo(zkc.connectionString);
        const onHerd = await connectTo(`127.0.0.1:${server.port}`);
        try {
          await assertSameTrees(onZk, onHerd);
        } finally {
          await onZk.close();
          await onHerd.close();
          await server.close();
        }
      } finally {
        await zkc.destroy();
      }
    });
  }
});
