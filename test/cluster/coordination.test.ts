/**
 * The cluster node on the coordination backend, on Herd's server and on
 * real ZooKeeper 3.8: membership, one primary, graceful handover, version
 * policy, fencing epochs, session expiry, an unreachable service, SIGKILL.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../../src/client/index.js';
import { DuplicateNodeError, readCoordinationView, type JoinClusterOptions, type MembersChange } from '../../src/cluster/index.js';
import { connect, forEachTarget, sleep, waitFor } from '../recipes/harness.js';
import { joinRecorded, Worker, type Recorded } from './support.js';

let counter = 0;
function clusterName(): string {
  return `c-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

const SESSION_MS = 4000;

forEachTarget('cluster (coordination backend)', (target) => {
  const running: Recorded[] = [];
  const join = async (options: Omit<JoinClusterOptions, 'backend'> & { backend?: JoinClusterOptions['backend'] }, shared?: string[]): Promise<Recorded> => {
    const rec = await joinRecorded({ backend: { coordination: target().connectionString, sessionTimeoutMs: SESSION_MS }, ...options }, shared);
    running.push(rec);
    return rec;
  };
  const leaveAll = async (): Promise<void> => {
    await Promise.all(running.splice(0).map((r) => r.node.stop(5000)));
  };
  const primaries = (recs: Recorded[]): Recorded[] => recs.filter((r) => r.node.isPrimary);

  it('joins, sees members with their data and updates, and leaves', async () => {
    const cluster = clusterName();
    const a = await join({ cluster, node: 'a', address: 'h1:7000', version: '1.0.0', data: { shard: 1 } });
    const changes: MembersChange[] = [];
    a.node.on('members', (c) => changes.push(c));
    const b = await join({ cluster, node: 'b', address: 'h2:7000', version: '1.0.0', data: { shard: 2 } });
    assert.deepEqual(b.node.members().map((m) => [m.name, m.address, m.version, m.data]), [
      ['a', 'h1:7000', '1.0.0', { shard: 1 }],
      ['b', 'h2:7000', '1.0.0', { shard: 2 }],
    ]);
    await waitFor(() => changes.some((c) => c.joined.some((m) => m.name === 'b' && m.address === 'h2:7000')), 10_000, 'a sees b join');
    await b.node.publish({ shard: 3 });
    await waitFor(() => changes.some((c) => c.updated.some((m) => m.name === 'b' && JSON.stringify(m.data) === '{"shard":3}')), 10_000, 'a sees b publish');
    const reader = await connect(target());
    const view = await readCoordinationView(reader, cluster);
    assert.deepEqual(view.members.map((m) => m.name), ['a', 'b']);
    assert.ok(view.primary !== null && ['a', 'b'].includes(view.primary.name));
    await b.node.leave();
    await waitFor(() => changes.some((c) => c.left.some((m) => m.name === 'b')), 10_000, 'a sees b leave');
    assert.deepEqual(a.node.members().map((m) => m.name), ['a']);
    await waitFor(() => a.node.isPrimary, 10_000, 'a primary once alone');
    await leaveAll();
    assert.deepEqual((await readCoordinationView(reader, cluster)).members, []);
  });

  it('refuses a second live member with the same name', async () => {
    const cluster = clusterName();
    await join({ cluster, node: 'dup' });
    await assert.rejects(join({ cluster, node: 'dup' }), DuplicateNodeError);
    await leaveAll();
  });

  it('has exactly one primary among four; a leaving primary hands over before its member node goes; epochs increase', async () => {
    const cluster = clusterName();
    const observer = await connect(target());
    const order: string[] = [];
    const successorSawOldMember: boolean[] = [];
    const recs: Recorded[] = [];
    for (const name of ['n0', 'n1', 'n2', 'n3']) {
      recs.push(
        await join(
          {
            cluster,
            node: name,
            version: '2.0.0',
            onPrimary: async () => {
              // When a successor starts, the previous primary (if it left) must still be a member.
              const previous = order.filter((e) => e.includes(':secondary:')).at(-1)?.split(':')[0];
              if (previous !== undefined) successorSawOldMember.push((await observer.exists(`/${cluster}/members/${previous}`)) !== null);
            },
          },
          order,
        ),
      );
    }
    await waitFor(() => primaries(recs).length === 1, 15_000, 'one primary');
    const seen: number[] = [];
    for (let round = 0; round < 3; round++) {
      const live = recs.filter((r) => !r.node.hasLeft);
      await waitFor(() => primaries(live).length === 1, 15_000, 'one primary');
      const p = primaries(live)[0]!;
      seen.push(p.node.epoch!);
      // Every node's view names the primary once it has read the new epoch record.
      await waitFor(() => live.every((r) => r.node.primary()?.name === p.node.name && r.node.primary()?.epoch === p.node.epoch), 10_000, 'views agree');
      await p.node.leave();
      const rest = live.filter((r) => r !== p);
      await waitFor(() => primaries(rest).length === 1, 15_000, 'a successor');
      assert.equal(primaries(rest).length, 1);
    }
    const last = primaries(recs.filter((r) => !r.node.hasLeft))[0]!;
    seen.push(last.node.epoch!);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!, `epochs increase: ${seen.join(',')}`);
    assert.deepEqual(successorSawOldMember, [true, true, true], order.join(' '));
    // Every node's onSecondary came before any later onPrimary of the cluster.
    for (let i = 0; i < order.length; i++) {
      if (!order[i]!.includes(':secondary:')) continue;
      const epoch = Number(order[i]!.split(':')[2]);
      assert.ok(order.slice(i + 1).every((e) => !e.includes(':primary:') || Number(e.split(':')[2]) > epoch), order.join(' '));
    }
    await leaveAll();
  });

  it('an onPrimary that runs for the whole tenure ends on its signal; leave is prompt and ordered', async () => {
    const cluster = clusterName();
    const trace: string[] = [];
    const longRunning = (name: string): JoinClusterOptions['onPrimary'] => async ({ signal }) => {
      trace.push(`${name}:start`);
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      await sleep(100);
      trace.push(`${name}:end`);
    };
    const a = await join({ cluster, node: 'a', onPrimary: longRunning('a'), onSecondary: () => void trace.push('a:secondary') });
    await waitFor(() => a.node.isPrimary, 15_000, 'a primary');
    const b = await join({ cluster, node: 'b', onPrimary: longRunning('b'), onSecondary: () => void trace.push('b:secondary') });
    const started = Date.now();
    await a.node.leave();
    assert.ok(Date.now() - started < 8000, `leave took ${Date.now() - started} ms`);
    await waitFor(() => b.node.isPrimary && trace.includes('b:start'), 15_000, 'b primary');
    assert.deepEqual(trace, ['a:start', 'a:end', 'a:secondary', 'b:start']);
    await leaveAll();
  });

  it('version policy exit-on-newer: older nodes leave and the newer is primary', async () => {
    const cluster = clusterName();
    const old1 = await join({ cluster, node: 'old1', version: '1.0.0' });
    const old2 = await join({ cluster, node: 'old2', version: '1.0.0+build.7' });
    await waitFor(() => old1.node.isPrimary, 15_000, 'old1 primary');
    // A prerelease of a higher version still outranks 1.0.0.
    const neu = await join({ cluster, node: 'new', version: '1.1.0-rc.1' });
    await waitFor(() => neu.node.isPrimary, 15_000, 'new primary');
    await waitFor(() => old1.log.includes('exit:new') && old2.log.includes('exit:new'), 15_000, 'old nodes exit');
    assert.ok(old1.node.hasLeft && old2.node.hasLeft);
    assert.deepEqual(old1.log.slice(-2), [`secondary:${old1.epochs[0]}`, 'exit:new']);
    await waitFor(() => neu.node.members().length === 1, 10_000, 'only new left');
    assert.ok(neu.node.epoch! > old1.epochs[0]!);
    await leaveAll();
  });

  it('version policy ignore: the newer becomes primary, the older stays and is never primary', async () => {
    const cluster = clusterName();
    const old = await join({ cluster, node: 'old', version: '1.0.0', versionPolicy: 'ignore' });
    await waitFor(() => old.node.isPrimary, 15_000, 'old primary');
    const neu = await join({ cluster, node: 'new', version: '2.0.0', versionPolicy: 'ignore' });
    await waitFor(() => neu.node.isPrimary && !old.node.isPrimary, 15_000, 'new primary');
    const old2 = await join({ cluster, node: 'old2', version: '1.5.0', versionPolicy: 'ignore' });
    await neu.node.leave();
    // With the newest gone, the highest remaining version (old2) is the only candidate.
    await waitFor(() => old2.node.isPrimary, 15_000, 'old2 primary');
    assert.equal(old.node.isPrimary, false);
    assert.deepEqual(old.log, [`primary:${old.epochs[0]}`, `secondary:${old.epochs[0]}`]);
    assert.equal(old.node.hasLeft, false);
    await leaveAll();
  });

  it('primary session expiry: deposed at once, a successor with a higher epoch, the old one rejoins as secondary by itself', async () => {
    const cluster = clusterName();
    const shared: string[] = [];
    const clients: Client[] = [];
    const recs: Recorded[] = [];
    for (const name of ['e0', 'e1', 'e2']) {
      const client = await connect(target(), { sessionTimeout: SESSION_MS });
      clients.push(client);
      recs.push(await join({ cluster, node: name, backend: { coordination: client } }, shared));
    }
    await waitFor(() => primaries(recs).length === 1, 15_000, 'one primary');
    const old = primaries(recs)[0]!;
    const oldEpoch = old.node.epoch!;
    const oldClient = clients[recs.indexOf(old)]!;
    await target().expire(oldClient);
    await waitFor(() => old.log.includes(`secondary:${oldEpoch}`), 15_000, 'old primary deposed');
    const others = recs.filter((r) => r !== old);
    await waitFor(() => primaries(others).length === 1, 15_000, 'new primary');
    const successor = primaries(others)[0]!;
    assert.ok(successor.node.epoch! > oldEpoch);
    // The deposition came before the successor's onPrimary.
    assert.ok(shared.indexOf(`${old.node.name}:secondary:${oldEpoch}`) < shared.indexOf(`${successor.node.name}:primary:${successor.node.epoch}`), shared.join(' '));
    // The old node rejoins with a new session: a member again, a secondary.
    await waitFor(() => successor.node.members().some((m) => m.name === old.node.name) && old.recovered > 0, 15_000, 'old node rejoins');
    assert.ok(old.degraded > 0);
    await waitFor(() => old.node.primary()?.name === successor.node.name, 10_000, 'old node sees the successor');
    assert.equal(old.node.isPrimary, false);
    assert.equal(primaries(recs).length, 1);
    await leaveAll();
  });

  it('service unreachable: every node degraded, no promotion, recovered without restart', async () => {
    const cluster = clusterName();
    const proxy = target().proxy;
    const shared: string[] = [];
    const recs: Recorded[] = [];
    for (const name of ['u0', 'u1', 'u2']) {
      recs.push(await join({ cluster, node: name, backend: { coordination: proxy.connectionString, sessionTimeoutMs: SESSION_MS } }, shared));
    }
    await waitFor(() => primaries(recs).length === 1, 15_000, 'one primary');
    const before = shared.length;
    proxy.blackhole(true);
    try {
      await waitFor(() => recs.every((r) => r.degraded > 0), 15_000, 'all degraded');
      // The primary gives up the role after a third of the session timeout; nobody else may take it.
      await waitFor(() => primaries(recs).length === 0, 10_000, 'primary deposed');
      await sleep(500);
      assert.deepEqual(shared.slice(before).filter((e) => e.includes(':primary:')), []);
    } finally {
      proxy.blackhole(false);
      proxy.dropConnections();
    }
    await waitFor(() => recs.every((r) => r.recovered > 0), 20_000, 'all recovered');
    await waitFor(() => primaries(recs).length === 1, 20_000, 'a primary again');
    await sleep(300);
    assert.equal(primaries(recs).length, 1);
    await leaveAll();
  });

  it('SIGKILL of a primary process: the others see it leave and elect a new primary within the session timeout', { timeout: 90_000 }, async () => {
    const cluster = clusterName();
    const workers = ['k0', 'k1', 'k2'].map((node) =>
      Worker.start({ cluster, node, version: '1.0.0', backend: { coordination: target().connectionString, sessionTimeoutMs: SESSION_MS } }),
    );
    try {
      await Promise.all(workers.map((w) => w.waitFor((e) => e.event === 'joined', 30_000, 'joined')));
      await waitFor(() => workers.filter((w) => w.isPrimary).length === 1, 20_000, 'one primary');
      const victim = workers.find((w) => w.isPrimary)!;
      const oldEpoch = victim.events.find((e) => e.event === 'primary')!.epoch!;
      const killedAt = Date.now();
      victim.kill('SIGKILL');
      const rest = workers.filter((w) => w !== victim);
      await Promise.all(rest.map((w) => w.waitFor((e) => e.event === 'members' && (e.left ?? []).includes(victim.name), 30_000, 'victim left')));
      await waitFor(() => rest.filter((w) => w.isPrimary).length === 1, 30_000, 'new primary');
      const promoted = rest.find((w) => w.isPrimary)!.events.filter((e) => e.event === 'primary').at(-1)!;
      assert.ok(promoted.epoch! > oldEpoch);
      // Server-side expiry takes the session timeout (plus a tick); allow for load.
      assert.ok(promoted.at - killedAt < SESSION_MS + 6000, `failover took ${promoted.at - killedAt} ms`);
    } finally {
      for (const w of workers) w.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
    }
  });
});
