import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { herd } from '../../cli/herd.js';
import { startZooKeeper, type ZooKeeperServer } from '../../support/zookeeper.js';
import { zookeeperRequired } from '../../support/targets.js';
import { assertSameTrees, connectTo, openHerd } from './trees.js';

/**
 * `herd import-zk` and quotas: ZooKeeper does not trust the count and bytes
 * its snapshots hold in `/zookeeper/quota/<path>/zookeeper_stats`; it
 * recounts them from the tree it loaded (DataTree.setupQuota), then moves
 * them with each replayed txn, only for the deepest quota above a change.
 * With a quota nested in another, the outer one's figures after a restart
 * differ from those it served before, so a copy of the snapshot's would not
 * match. Compared against Debian's ZooKeeper restarted on the same files.
 */

const haveZk = zookeeperRequired();

describe('herd import-zk: quota stats', { skip: !haveZk, timeout: 300_000 }, () => {
  let work: string;
  let zk: ZooKeeperServer;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'herd-import-quota-'));
    zk = await startZooKeeper({ forceSync: false });
  });

  after(async () => {
    await zk?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('recounts zookeeper_stats after the snapshot and follows the replayed txns, as ZooKeeper does', async () => {
    const stats = (target: string) => `/zookeeper/quota${target}/zookeeper_stats`;
    let client = await connectTo(zk.connectionString);
    await client.create('/q', Buffer.from('q'));
    await client.create('/q/a', Buffer.from('aa'));
    await client.create('/q/a/b', Buffer.from('bbb'));
    // What zkCli's setquota creates, through the client (which, unlike zkCli, also allows a nested quota).
    for (const target of ['/q', '/q/a']) {
      await client.create(`/zookeeper/quota${target}`, null);
      await client.create(`/zookeeper/quota${target}/zookeeper_limits`, Buffer.from('count=100,bytes=-1'));
      await client.create(stats(target), Buffer.from('count=0,bytes=0'));
    }
    await client.create('/q/a/c', Buffer.from('cccc'));
    await client.create('/q/d', Buffer.from('ddddd'));
    await client.close();

    // A restart: ZooKeeper recounts and snapshots; then more txns go to the log only.
    await zk.stop();
    await zk.start();
    client = await connectTo(zk.connectionString);
    await client.create('/q/a/e', Buffer.from('eeeeee'));
    await client.setData('/q/a/b', Buffer.from('b'));
    await client.delete('/q/d');
    await client.create('/q/f', null);
    const served = (await client.getData(stats('/q'))).data!.toString();
    await client.close();
    await zk.stop();

    const target = join(work, 'imported');
    const run = herd('import-zk', '--from', zk.dataDir, '--data-dir', target);
    assert.equal(run.status, 0, run.stderr);

    await zk.start();
    const server = await openHerd(target);
    const onZk = await connectTo(zk.connectionString);
    const onHerd = await connectTo(`127.0.0.1:${server.port}`);
    try {
      const zkOuter = (await onZk.getData(stats('/q'))).data!.toString();
      // The restart changed the outer quota's figures: a copy of the stored ones could not match.
      assert.notEqual(zkOuter, served);
      assert.equal((await onHerd.getData(stats('/q'))).data!.toString(), zkOuter);
      assert.equal((await onHerd.getData(stats('/q/a'))).data!.toString(), (await onZk.getData(stats('/q/a'))).data!.toString());
      await assertSameTrees(onZk, onHerd);
    } finally {
      await onZk.close();
      await onHerd.close();
      await server.close();
      await zk.stop();
    }
  });
});
