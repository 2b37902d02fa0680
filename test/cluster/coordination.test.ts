/**
 * The cluster node on the coordination backend, on Herd's server and on
 * real ZooKeeper 3.8: membership, one primary, graceful handover, version
 * policy, fencing epochs, session expiry (faults: coordination-faults.test.ts).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '../../src/client/index.js';
import {
  DuplicateMemberError,
  HerdError,
  InvalidStateError,
  joinCluster,
  NotMemberError,
  readCoordinationView,
  SessionLostError,
  type JoinClusterOptions,
  type MembersChange,
  type PrimaryChange,
} from '../../src/cluster/index.js';
import { connect, forEachTarget, sleep, waitFor } from '../recipes/harness.js';
import { startProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { clusterName, CoordinationMembers, primaries, type JoinOptions, type Recorded } from './support.js';

const SESSION_MS = 4000;

forEachTarget('cluster (coordination backend)', (target) => {
  const members = new CoordinationMembers(target, SESSION_MS);
  const join = (options: JoinOptions, shared?: string[]): Promise<Recorded> => members.join(options, shared);
  const leaveAll = (): Promise<void> => members.leaveAll();

  it('joins, sees members with their data and updates, and leaves', async () => {
    const cluster = clusterName();
    const a = await join({ cluster, identifier: 'a', address: 'h1:7000', version: '1.0.0', data: { shard: 1 } });
    const changes: MembersChange[] = [];
    a.node.on('members', (c) => changes.push(c));
    const b = await join({ cluster, identifier: 'b', address: 'h2:7000', version: '1.0.0', data: { shard: 2 } });
    assert.deepEqual(b.node.members().map((m) => [m.identifier, m.address, m.version, m.data]), [
      ['a', 'h1:7000', '1.0.0', { shard: 1 }],
      ['b', 'h2:7000', '1.0.0', { shard: 2 }],
    ]);
    await waitFor(() => changes.some((c) => c.joined.some((m) => m.identifier === 'b' && m.address === 'h2:7000')), 10_000, 'a sees b join');
    await b.node.publish({ shard: 3 });
    await waitFor(() => changes.some((c) => c.updated.some((m) => m.identifier === 'b' && JSON.stringify(m.data) === '{"shard":3}')), 10_000, 'a sees b publish');
    const reader = await connect(target());
    const view = await readCoordinationView(reader, cluster);
    assert.deepEqual(view.members.map((m) => m.identifier), ['a', 'b']);
    assert.ok(view.primary !== null && ['a', 'b'].includes(view.primary.identifier));
    await b.node.close();
    await waitFor(() => changes.some((c) => c.left.some((m) => m.identifier === 'b')), 10_000, 'a sees b leave');
    assert.deepEqual(a.node.members().map((m) => m.identifier), ['a']);
    await waitFor(() => a.node.isPrimary, 10_000, 'a primary once alone');
    await leaveAll();
    assert.deepEqual((await readCoordinationView(reader, cluster)).members, []);
  });

  it('refuses a second live member with the same identifier: DuplicateMemberError, a HerdError with code DUPLICATE_MEMBER', async () => {
    const cluster = clusterName();
    await join({ cluster, identifier: 'dup' });
    const error = await join({ cluster, identifier: 'dup' }).then(
      () => assert.fail('joined twice'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof DuplicateMemberError && error instanceof HerdError, String(error));
    assert.equal(error.code, 'DUPLICATE_MEMBER');
    assert.equal(error.name, 'DuplicateMemberError');
    assert.match(error.message, /"dup"/);
    await leaveAll();
  });

  it('lifecycle: close is idempotent, hands over, ends the tenure with SessionLostError; use after close is refused; await using closes', async () => {
    const cluster = clusterName();
    let reason: unknown;
    const a = await join({ cluster, identifier: 'a', onPrimary: ({ signal }) => void signal.addEventListener('abort', () => (reason = signal.reason)) });
    const changes: PrimaryChange[] = [];
    const b = await join({ cluster, identifier: 'b' });
    b.node.on('primaryChanged', (change) => changes.push(change));
    await waitFor(() => a.node.isPrimary && b.node.primary()?.identifier === 'a', 15_000, 'a primary, seen by b');
    const first = a.node.close();
    assert.equal(a.node.close({ timeout: 1 }), first, 'a second close returns the first one');
    await first;
    assert.ok(a.node.hasLeft);
    assert.ok(reason instanceof SessionLostError, String(reason));
    assert.equal(reason.code, 'SESSION_LOST');
    await waitFor(() => b.node.isPrimary && b.node.primary()?.identifier === 'b', 15_000, 'b primary');
    // One payload per event, chained: each change starts where the previous one ended.
    assert.ok(changes.length > 0);
    assert.equal(changes.at(-1)!.primary?.identifier, 'b');
    for (let i = 1; i < changes.length; i++) assert.deepEqual(changes[i]!.previous, changes[i - 1]!.primary);
    await assert.rejects(a.node.publish({ late: true }), NotMemberError);
    await assert.rejects(a.node.start(), InvalidStateError);
    await a.node.close();
    {
      await using c = await joinCluster({ cluster, identifier: 'c', backend: { coordination: target().connectionString, sessionTimeout: SESSION_MS } });
      await waitFor(() => b.node.members().some((m) => m.identifier === 'c'), 10_000, 'b sees c');
      assert.equal(c.hasLeft, false);
    }
    // Leaving the block closed c: its member node is gone at once.
    await waitFor(() => b.node.members().every((m) => m.identifier !== 'c'), 10_000, 'b sees c leave');
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
            identifier: name,
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
      await waitFor(() => live.every((r) => r.node.primary()?.identifier === p.node.identifier && r.node.primary()?.epoch === p.node.epoch), 10_000, 'views agree');
      await p.node.close();
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
    const a = await join({ cluster, identifier: 'a', onPrimary: longRunning('a'), onSecondary: () => void trace.push('a:secondary') });
    await waitFor(() => a.node.isPrimary, 15_000, 'a primary');
    const b = await join({ cluster, identifier: 'b', onPrimary: longRunning('b'), onSecondary: () => void trace.push('b:secondary') });
    const started = Date.now();
    await a.node.close();
    assert.ok(Date.now() - started < 8000, `leave took ${Date.now() - started} ms`);
    await waitFor(() => b.node.isPrimary && trace.includes('b:start'), 15_000, 'b primary');
    assert.deepEqual(trace, ['a:start', 'a:end', 'a:secondary', 'b:start']);
    await leaveAll();
  });

  it('version policy exit-on-newer: older nodes leave and the newer is primary', async () => {
    const cluster = clusterName();
    const old1 = await join({ cluster, identifier: 'old1', version: '1.0.0' });
    const old2 = await join({ cluster, identifier: 'old2', version: '1.0.0+build.7' });
    await waitFor(() => old1.node.isPrimary, 15_000, 'old1 primary');
    // A prerelease of a higher version still outranks 1.0.0.
    const neu = await join({ cluster, identifier: 'new', version: '1.1.0-rc.1' });
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
    const old = await join({ cluster, identifier: 'old', version: '1.0.0', versionPolicy: 'ignore' });
    await waitFor(() => old.node.isPrimary, 15_000, 'old primary');
    const neu = await join({ cluster, identifier: 'new', version: '2.0.0', versionPolicy: 'ignore' });
    await waitFor(() => neu.node.isPrimary && !old.node.isPrimary, 15_000, 'new primary');
    const old2 = await join({ cluster, identifier: 'old2', version: '1.5.0', versionPolicy: 'ignore' });
    await neu.node.close();
    // With the newest gone, the highest remaining version (old2) is the only candidate.
    await waitFor(() => old2.node.isPrimary, 15_000, 'old2 primary');
    assert.equal(old.node.isPrimary, false);
    assert.deepEqual(old.log, [`primary:${old.epochs[0]}`, `secondary:${old.epochs[0]}`]);
    assert.equal(old.node.hasLeft, false);
    await leaveAll();
  });

  it('primary cut off until its session expires: it steps down first, a successor with a higher epoch, it rejoins as secondary by itself', async () => {
    const cluster = clusterName();
    const shared: string[] = [];
    const [host, port] = target().directConnectionString.split(':');
    const proxies: TcpProxy[] = [];
    const recs: Recorded[] = [];
    try {
      for (const name of ['e0', 'e1', 'e2']) {
        // One proxy per node, so one node alone can be cut off.
        const proxy = await startProxy(host!, Number(port));
        proxies.push(proxy);
        recs.push(await join({ cluster, identifier: name, backend: { coordination: proxy.connectionString, sessionTimeout: SESSION_MS } }, shared));
      }
      await waitFor(() => primaries(recs).length === 1, 15_000, 'one primary');
      const old = primaries(recs)[0]!;
      const oldEpoch = old.node.epoch!;
      const proxy = proxies[recs.indexOf(old)]!;
      proxy.blackhole(true);
      const others = recs.filter((r) => r !== old);
      // The server expires the silent session after the timeout; the others then elect a successor.
      await waitFor(() => primaries(others).length === 1, 20_000, 'new primary');
      const successor = primaries(others)[0]!;
      assert.ok(successor.node.epoch! > oldEpoch);
      assert.ok(old.degraded > 0);
      // The old primary stepped down before the successor's onPrimary.
      const stepDown = shared.indexOf(`${old.node.identifier}:secondary:${oldEpoch}`);
      assert.ok(stepDown >= 0 && stepDown < shared.indexOf(`${successor.node.identifier}:primary:${successor.node.epoch}`), shared.join(' '));
      await waitFor(() => successor.node.members().every((m) => m.identifier !== old.node.identifier), 10_000, 'the others see it leave');
      proxy.blackhole(false);
      proxy.dropConnections();
      // Its session expired: it rejoins with a new one, by itself, as a secondary.
      await waitFor(() => successor.node.members().some((m) => m.identifier === old.node.identifier) && old.recovered > 0, 20_000, 'old node rejoins');
      await waitFor(() => old.node.primary()?.identifier === successor.node.identifier, 10_000, 'old node sees the successor');
      assert.equal(old.node.isPrimary, false);
      assert.equal(primaries(recs).length, 1);
      await leaveAll();
    } finally {
      await Promise.all(proxies.map((p) => p.close()));
    }
  });

  it('session ended by the service (expired at once): deposed, rejoins by itself, one primary with a higher epoch', async () => {
    const cluster = clusterName();
    const clients: Client[] = [];
    const recs: Recorded[] = [];
    for (const name of ['s0', 's1']) {
      const client = await connect(target(), { sessionTimeout: SESSION_MS });
      clients.push(client);
      recs.push(await join({ cluster, identifier: name, backend: { coordination: client } }));
    }
    await waitFor(() => primaries(recs).length === 1, 15_000, 'one primary');
    const old = primaries(recs)[0]!;
    const oldEpoch = old.node.epoch!;
    await target().expire(clients[recs.indexOf(old)]!);
    await waitFor(() => old.log.includes(`secondary:${oldEpoch}`), 15_000, 'old primary deposed');
    await waitFor(() => old.recovered > 0 && recs.every((r) => r.node.members().length === 2), 20_000, 'rejoined with a new session');
    await waitFor(() => primaries(recs).length === 1 && primaries(recs)[0]!.node.epoch! > oldEpoch, 15_000, 'one primary, higher epoch');
    await leaveAll();
  });

  it('members sharing one client add one listener per session state to it, none once they leave, and still follow its session', async () => {
    const client = await connect(target(), { sessionTimeout: SESSION_MS });
    const count = (): Record<string, number> => Object.fromEntries(['connected', 'disconnected', 'expired', 'closed'].map((s) => [s, client.listenerCount(s)]));
    const start = count();
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void (w.name === 'MaxListenersExceededWarning' && warnings.push(w));
    process.on('warning', onWarning);
    try {
      const cluster = clusterName();
      // More than Node's 10 listeners per event, had each backend added its own.
      const recs: Recorded[] = [];
      for (let i = 0; i < 12; i++) recs.push(await join({ cluster, identifier: `m${i}`, backend: { coordination: client } }));
      for (const [state, n] of Object.entries(count())) assert.ok(n <= start[state]! + 1, `${state}: ${n} listeners with 12 members (${start[state]} before)`);
      await waitFor(() => primaries(recs).length === 1, 15_000, 'one primary');
      const oldEpoch = primaries(recs)[0]!.node.epoch!;
      // Each backend still hears the session's events through the hub: an expiry deposes and they all rejoin.
      await target().expire(client);
      await waitFor(() => recs.every((r) => r.recovered > 0) && primaries(recs).length === 1 && primaries(recs)[0]!.node.epoch! > oldEpoch, 30_000, 'all rejoined, one primary, higher epoch');
      await leaveAll();
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(count(), start, 'leaving leaves the client as it was');
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
