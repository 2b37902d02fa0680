/**
 * The cluster node on the coordination backend under faults, on Herd's
 * server and on real ZooKeeper 3.8: the service unreachable (shorter and
 * longer than the session timeout) and SIGKILL of the primary's process.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { forEachTarget, sleep, waitFor } from '../recipes/harness.js';
import { startProxy } from '../support/tcp-proxy.js';
import { clusterName, CoordinationMembers, primaries, Worker, type JoinOptions, type Recorded } from './support.js';

const SESSION_MS = 4000;

// The tests run side by side (most of each is waiting out a timeout): each has its own cluster, its own
// members (so one test's leaveAll leaves only its nodes) and its own proxy to cut.
forEachTarget(
  'cluster faults (coordination backend)',
  (target) => {
    /** join and leaveAll over the test's own members. */
    const ownMembers = (): { join: (options: JoinOptions, shared?: string[]) => Promise<Recorded>; leaveAll: () => Promise<void> } => {
      const members = new CoordinationMembers(target, SESSION_MS);
      return { join: (options, shared) => members.join(options, shared), leaveAll: () => members.leaveAll() };
    };

    it('service unreachable: every node degraded, no promotion, recovered without restart', async () => {
      const { join, leaveAll } = ownMembers();
      const cluster = clusterName();
      await using proxy = await startProxy(target().host, target().port);
      const shared: string[] = [];
      const recs: Recorded[] = [];
      for (const name of ['u0', 'u1', 'u2']) {
        recs.push(await join({ cluster, identifier: name, backend: { coordination: proxy.connectionString, sessionTimeout: SESSION_MS } }, shared));
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

    it('service unreachable past the session timeout: sessions expire, every node rejoins by itself, a primary with a higher epoch', async () => {
      const { join, leaveAll } = ownMembers();
      const cluster = clusterName();
      await using proxy = await startProxy(target().host, target().port);
      const recs: Recorded[] = [];
      for (const name of ['x0', 'x1', 'x2']) {
        recs.push(await join({ cluster, identifier: name, backend: { coordination: proxy.connectionString, sessionTimeout: SESSION_MS } }));
      }
      await waitFor(() => primaries(recs).length === 1, 15_000, 'one primary');
      const epoch = primaries(recs)[0]!.node.epoch!;
      proxy.blackhole(true);
      try {
        await waitFor(() => recs.every((r) => r.degraded > 0) && primaries(recs).length === 0, 15_000, 'all degraded, no primary');
        // The server hears nothing for longer than the session timeout: it expires every session.
        await sleep(SESSION_MS + 1500);
        assert.equal(primaries(recs).length, 0);
      } finally {
        proxy.blackhole(false);
        proxy.dropConnections();
      }
      await waitFor(() => recs.every((r) => r.recovered > 0), 30_000, 'all recovered');
      await waitFor(() => primaries(recs).length === 1 && recs.every((r) => r.node.members().length === 3), 20_000, 'rejoined, one primary');
      assert.ok(primaries(recs)[0]!.node.epoch! > epoch);
      await leaveAll();
    });

    it('a member cut off while others join and leave sees the changes once it is back (persistent watches replay nothing: it re-reads)', async () => {
      const { join, leaveAll } = ownMembers();
      const cluster = clusterName();
      // A proxy of its own: the target's connection string may be its shared proxy (ZooKeeper's is).
      await using proxy = await startProxy(target().host, target().port);
      const direct = { coordination: target().connectionString, sessionTimeout: SESSION_MS };
      const away = await join({ cluster, identifier: 'w0', backend: { coordination: proxy.connectionString, sessionTimeout: SESSION_MS } });
      const leaving = await join({ cluster, identifier: 'w1', backend: direct });
      const ids = (r: Recorded): string[] => r.node.members().map((m) => m.identifier).sort();
      await waitFor(() => ids(away).join() === 'w0,w1', 15_000, 'w0 sees w1');
      proxy.blackhole(true);
      proxy.dropConnections();
      let arrived: Recorded | undefined;
      try {
        arrived = await join({ cluster, identifier: 'w2', backend: direct });
        await leaving.node.close();
        await waitFor(() => ids(arrived!).join() === 'w0,w2', 15_000, 'w2 sees w1 gone');
        // Well within the session timeout: the session survives, only the connection was lost.
        assert.deepEqual(ids(away), ['w0', 'w1'], 'the cut-off member cannot have heard yet');
      } finally {
        proxy.blackhole(false);
      }
      await waitFor(() => ids(away).join() === 'w0,w2', 15_000, 'w0 sees w2 joined and w1 gone after the reconnect');
      await leaveAll();
    });

    it('SIGKILL of a primary process: the others see it leave and elect a new primary within the session timeout', { timeout: 90_000 }, async () => {
      const cluster = clusterName();
      const workers = ['k0', 'k1', 'k2'].map((identifier) =>
        Worker.start({ cluster, identifier, version: '1.0.0', backend: { coordination: target().connectionString, sessionTimeout: SESSION_MS } }),
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
  },
  { concurrency: true },
);
