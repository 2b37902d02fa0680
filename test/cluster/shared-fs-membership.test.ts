/**
 * sharedFs backend, each node a child process: membership with data,
 * exactly one primary, graceful leave, and SIGKILL of the primary.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCluster, elections, primaries } from './shared-fs-harness.js';

const NAMES = ['n1', 'n2', 'n3'];

describe('sharedFs cluster of processes', () => {
  it('three nodes see each other with data, elect exactly one primary; a graceful leave is seen at once', async () => {
    const cluster = await createCluster();
    try {
      for (const name of NAMES) await cluster.start(name, { data: { name, port: 7000 + Number(name.slice(1)) } });
      const nodes = [...cluster.nodes.values()];
      for (const n of nodes) {
        const v = await n.waitForView((v) => v.members?.length === 3 && v.primary != null, 'three members and a primary');
        assert.deepEqual(v.members, NAMES);
        assert.deepEqual(v.data!['n2'], { name: 'n2', port: 7002 });
      }
      // Views agree on the primary, and that node alone says it holds the role.
      const primary = nodes[0]!.view!.primary!;
      for (const n of nodes) assert.deepEqual(n.view!.primary, primary);
      assert.deepEqual(primaries(nodes).map((n) => n.name), [primary.identifier]);
      assert.equal(elections(nodes).length, 1);

      // A secondary leaves gracefully: the others drop it on their next check, long before any timeout.
      const leaver = nodes.find((n) => n.name !== primary.identifier)!;
      const sentAt = Date.now();
      leaver.send('leave');
      await leaver.waitFor((e) => e.ev === 'closed', 'closed');
      const rest = nodes.filter((n) => n !== leaver);
      for (const n of rest) await n.waitForView((v) => v.members?.length === 2, 'two members');
      const seenAt = Math.max(...rest.map((n) => n.view!.at));
      assert.ok(seenAt - sentAt < 5000, `leave seen after ${seenAt - sentAt} ms`);
      assert.equal(await leaver.exited, 0);
      assert.deepEqual(primaries(rest).map((n) => n.name), [primary.identifier]);
    } finally {
      await cluster.close();
    }
  });

  it('SIGKILL of the primary: the others see it leave and elect a new primary with a higher epoch within the timeout', async () => {
    const cluster = await createCluster();
    try {
      for (const name of NAMES) await cluster.start(name);
      const nodes = [...cluster.nodes.values()];
      for (const n of nodes) await n.waitForView((v) => v.members?.length === 3 && v.primary != null, 'three members and a primary');
      // One tenure while the cluster formed: nobody was deposed as the others joined.
      assert.equal(elections(nodes).length, 1);
      const old = primaries(nodes)[0]!;
      const oldEpoch = old.all('elected')[0]!.epoch!;
      const rest = nodes.filter((n) => n !== old);
      const marks = rest.map((n) => n.events.length);
      const killedAt = Date.now();
      old.kill('SIGKILL');
      await old.exited;
      const elected = await Promise.any(rest.map((n, i) => n.waitFor((e) => e.ev === 'elected', 'a new primary', 20_000, marks[i])));
      const gone = await Promise.all(
        rest.map((n) => n.waitFor((e) => e.ev === 'view' && e.at >= killedAt && !e.members!.includes(old.name), 'the killed node gone')),
      );
      const failoverMs = elected.at - killedAt;
      const leftMs = Math.max(...gone.map((e) => e.at)) - killedAt;
      // Defaults: silence limit 1.5 s; lease 3 s + margin 0.5 s + a check, so at most ~3.75 s; generous under load.
      assert.ok(failoverMs < 8000, `failover took ${failoverMs} ms`);
      assert.ok(leftMs < 8000, `leave seen after ${leftMs} ms`);
      assert.ok(elected.epoch! > oldEpoch);
      assert.equal(primaries(rest).length, 1);
      for (const n of rest) await n.waitForView((v) => v.primary?.epoch === elected.epoch, 'the new primary');
      console.log(`# SIGKILL failover ${failoverMs} ms, leave seen after ${leftMs} ms`);
    } finally {
      await cluster.close();
    }
  });
});
