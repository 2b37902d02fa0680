/**
 * sharedFs backend under faults, each node a child process, heartbeats
 * through a UDP relay: the heartbeat network down, the primary cut off from
 * the others, the shared directory gone. Event stamps come from one host
 * clock, so their order across processes is meaningful.
 */
import assert from 'node:assert/strict';
import { rename } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { createCluster, elections, primaries, type Cluster, type WorkerNode } from './shared-fs-harness.js';

const NAMES = ['n1', 'n2', 'n3'];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function formed(cluster: Cluster): Promise<{ nodes: WorkerNode[]; primary: WorkerNode }> {
  for (const name of NAMES) await cluster.start(name);
  const nodes = [...cluster.nodes.values()];
  for (const n of nodes) await n.waitForView((v) => v.members?.length === 3 && v.primary != null, 'three members and a primary');
  const ps = primaries(nodes);
  assert.equal(ps.length, 1);
  return { nodes, primary: ps[0]! };
}

// The three faults side by side: each test has its own cluster (directory, relay, processes), and most of
// each is waiting (a lease running out, a silence held): one after the other they took 25 s.
describe('sharedFs isolation', { concurrency: true }, () => {
  it('heartbeat network down, storage up: members drop out and rejoin, the primary stays primary', async () => {
    const cluster = await createCluster();
    try {
      const { nodes, primary } = await formed(cluster);
      cluster.relay.dropAll(true);
      for (const n of nodes) await n.waitForView((v) => v.members?.length === 1, 'alone');
      // Well past the silence limit and two lease lengths: the lease, on storage, keeps the role where it is.
      await sleep(7000);
      assert.ok(primary.isPrimary);
      assert.deepEqual(primary.all('deposed'), []);
      for (const n of nodes) assert.equal(n.view!.members!.length, 1);
      cluster.relay.dropAll(false);
      for (const n of nodes) await n.waitForView((v) => v.members?.length === 3, 'rejoined');
      assert.equal(elections(nodes).length, 1);
      assert.ok(primary.isPrimary);
      for (const n of nodes) assert.equal(n.view!.primary?.identifier, primary.name);
    } finally {
      await cluster.close();
    }
  });

  it('primary cut off from the others, storage up: it steps down before a successor with a higher epoch is elected, and rejoins as secondary', async () => {
    const cluster = await createCluster();
    try {
      const { nodes, primary } = await formed(cluster);
      const oldEpoch = primary.all('elected')[0]!.epoch!;
      const others = nodes.filter((n) => n !== primary);
      const isolatedAt = Date.now();
      cluster.relay.isolate(primary.name, true);
      for (const n of others) await n.waitForView((v) => v.members?.length === 2 && !v.members.includes(primary.name), 'the primary removed');
      const deposed = await primary.waitFor((e) => e.ev === 'deposed', 'the old primary to step down');
      const elected = await Promise.any(others.map((n) => n.waitFor((e) => e.ev === 'elected', 'a successor')));
      assert.ok(elected.epoch! > oldEpoch, `epoch ${elected.epoch} after ${oldEpoch}`);
      assert.ok(deposed.at <= elected.at, `deposed at ${deposed.at}, successor elected at ${elected.at}`);
      assert.equal(primaries(nodes).length, 1);
      console.log(`# isolated primary: stepped down after ${deposed.at - isolatedAt} ms, successor after ${elected.at - isolatedAt} ms`);
      // Stays a secondary while cut off: it does not take the lease back.
      await sleep(3000);
      assert.equal(primary.all('elected').length, 1);

      cluster.relay.restore();
      for (const n of nodes) await n.waitForView((v) => v.members?.length === 3 && v.primary?.epoch === elected.epoch, 'rejoined under the successor');
      assert.equal(primary.isPrimary, false);
      assert.equal(elections(nodes).length, 2);
    } finally {
      await cluster.close();
    }
  });

  it('shared directory unavailable: degraded everywhere, no promotion, recovered by itself', async () => {
    const cluster = await createCluster();
    try {
      const { nodes, primary } = await formed(cluster);
      const oldEpoch = primary.all('elected')[0]!.epoch!;
      await rename(cluster.dir, `${cluster.dir}-away`);
      const awayAt = Date.now();
      for (const n of nodes) await n.waitFor((e) => e.ev === 'degraded', 'degraded');
      // The holder cannot renew: it steps down by its lease timer.
      await primary.waitFor((e) => e.ev === 'deposed', 'the primary to step down');
      await sleep(3000);
      const backAt = Date.now();
      await rename(`${cluster.dir}-away`, cluster.dir);
      for (const n of nodes) await n.waitFor((e) => e.ev === 'recovered', 'recovered');
      const during = elections(nodes).filter((e) => e.at >= awayAt && e.at <= backAt);
      assert.deepEqual(during, []);
      for (const n of nodes) await n.waitForView((v) => v.members?.length === 3 && v.primary != null && v.primary.epoch > oldEpoch, 'a primary again');
      assert.equal(primaries(nodes).length, 1);
      for (const n of nodes) {
        const recovered = n.all('recovered')[0]!;
        assert.ok(n.all('degraded')[0]!.at < recovered.at);
        // No view while degraded: frozen.
        assert.deepEqual(n.all('view').filter((v) => v.at > n.all('degraded')[0]!.at && v.at < recovered.at), []);
      }
    } finally {
      await cluster.close();
    }
  });
});
