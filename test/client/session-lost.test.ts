import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createClient, type Client, type StateChange } from '../../src/client/index.js';
import { SessionExpiredError } from '../../src/errors.js';
import { forEachTarget, waitFor, type Target } from '../support/targets.js';
import { startProxy } from '../support/tcp-proxy.js';

/**
 * Client-side session loss: with no server reachable for as long as the
 * session timeout, the client declares the session lost itself (`expired`,
 * waiting requests fail with SessionExpiredError) instead of staying
 * suspended until a server answers; with reconnectOnExpiry it then starts a
 * new session as soon as a server is back.
 */

const SESSION_TIMEOUT = 2000;

/** Records every state event of a client, with when it happened. */
function recordStates(client: Client): { to: string; at: number; change: StateChange }[] {
  const seen: { to: string; at: number; change: StateChange }[] = [];
  for (const to of ['connecting', 'connected', 'disconnected', 'expired', 'closed'] as const) {
    client.on(to, (change) => seen.push({ to, at: Date.now(), change }));
  }
  return seen;
}

// Ticks of 200 ms allow a 2 s session timeout.
forEachTarget('client-side session loss', (current) => {
  let target: Target;
  before(() => {
    target = current();
  });

  // Side by side: each has its own proxy (black-holing it cuts only that test's client), and each is mostly waiting out a session timeout. The test that
  // stops the server comes after them, alone.
  describe('through a proxy', { concurrency: true }, () => {
    it('black-holed past the session timeout: expired, waiting requests fail, a new session once the network is back', async () => {
      await using proxy = await startProxy(target.host, target.port);
      const client = createClient(proxy.connectionString, { sessionTimeout: SESSION_TIMEOUT, reconnectOnExpiry: true });
      const states = recordStates(client);
      await client.connect();
      try {
        const timeout = client.negotiatedTimeout;
        assert.equal(timeout, SESSION_TIMEOUT);
        const oldSession = client.sessionId;
        await client.create('/lost-eph', 'e', { mode: 'ephemeral' });

        proxy.blackhole(true);
        await waitFor(() => client.state === 'disconnected', 10_000, 'disconnected');
        const suspendedAt = Date.now();
        // Issued while suspended: it waits for a connection, then fails when the session is declared lost.
        const waiting = client.getData('/lost-eph').then(
          () => null,
          (err: unknown) => err,
        );
        await waitFor(() => states.some((s) => s.to === 'expired'), 10_000, 'expired');
        const expired = states.find((s) => s.to === 'expired')!;
        const after = expired.at - suspendedAt;
        // Through the black-holed proxy a TCP connect succeeds, so a handshake may be pending at the deadline:
        // its timeout (2/3 of the session timeout) can defer the verdict; the rest is slack for a loaded machine.
        assert.ok(after >= timeout - 100 && after < timeout * 2 + 3000, `declared lost ${after} ms after suspension`);
        assert.equal(expired.change.from, 'disconnected');
        assert.ok(expired.change.reason instanceof SessionExpiredError, String(expired.change.reason));
        const failure = await waiting;
        assert.ok(failure instanceof SessionExpiredError && failure.path === '/lost-eph', String(failure));

        // The network is back: reconnectOnExpiry starts a new session; the old one's ephemeral is gone.
        proxy.blackhole(false);
        proxy.dropConnections();
        await waitFor(() => client.state === 'connected', 15_000, 'a new session');
        assert.notEqual(client.sessionId, oldSession);
        assert.equal(await client.exists('/lost-eph'), null);
        const order = states.map((s) => s.to);
        assert.deepEqual(order.slice(order.indexOf('disconnected')), ['disconnected', 'expired', 'connecting', 'connected']);
      } finally {
        proxy.blackhole(false);
        await client.close();
      }
    });

    it('reconnected within the timeout: the same session, nothing lost', async () => {
      await using proxy = await startProxy(target.host, target.port);
      const client = createClient(proxy.connectionString, { sessionTimeout: SESSION_TIMEOUT });
      await client.connect();
      try {
        const session = client.sessionId;
        await client.create('/kept-eph', 'e', { mode: 'ephemeral' });
        proxy.dropConnections();
        await waitFor(() => client.state === 'connected' && client.currentServer !== undefined, 10_000, 'reconnected');
        assert.equal(client.sessionId, session);
        // Well past the timeout after the reconnect: no stale timer declares it lost.
        await new Promise((r) => setTimeout(r, SESSION_TIMEOUT + 500));
        assert.equal(client.state, 'connected');
        assert.ok(await client.exists('/kept-eph'));
      } finally {
        await client.close();
      }
    });

    it('sessionLostTimeout: 0 waits for the server: suspended past the timeout, then expired by the server', async () => {
      await using proxy = await startProxy(target.host, target.port);
      const client = createClient(proxy.connectionString, { sessionTimeout: SESSION_TIMEOUT, sessionLostTimeout: 0 });
      const states = recordStates(client);
      await client.connect();
      try {
        proxy.blackhole(true);
        await waitFor(() => client.state === 'disconnected', 10_000, 'disconnected');
        await new Promise((r) => setTimeout(r, SESSION_TIMEOUT * 2));
        assert.equal(client.state, 'disconnected');
        proxy.blackhole(false);
        proxy.dropConnections();
        await waitFor(() => client.state === 'expired', 15_000, "the server's verdict");
        const expired = states.find((s) => s.to === 'expired')!;
        assert.match(expired.change.reason?.message ?? '', /expired/);
        assert.doesNotMatch(expired.change.reason?.message ?? '', /presumed/);
      } finally {
        proxy.blackhole(false);
        await client.close();
      }
    });

  });

  it('server stopped past the session timeout: expired on the client; restarted: a new session', async () => {
    const client = createClient(target.directConnectionString, { sessionTimeout: SESSION_TIMEOUT, reconnectOnExpiry: true });
    const states = recordStates(client);
    await client.connect();
    let stopped = false;
    try {
      const oldSession = client.sessionId;
      await client.create('/zk-lost', 'e', { mode: 'ephemeral' });
      await target.stop();
      stopped = true;
      await waitFor(() => client.state === 'disconnected', 10_000, 'disconnected');
      const waiting = client.exists('/zk-lost').then(
        () => null,
        (err: unknown) => err,
      );
      await waitFor(() => client.state === 'expired' || client.state === 'connecting', 10_000, 'expired');
      assert.ok((await waiting) instanceof SessionExpiredError);
      // Still no server: the client keeps looking for one (it does not give up and close).
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(client.state, 'connecting');
      await target.start();
      stopped = false;
      await waitFor(() => client.state === 'connected', 20_000, 'a new session');
      assert.notEqual(client.sessionId, oldSession);
      await client.create('/zk-after', 'x');
      assert.ok(states.some((s) => s.to === 'expired' && s.change.from === 'disconnected'));
    } finally {
      if (stopped) await target.start();
      await client.close();
    }
  });
}, { tickTime: 200, maxSessionTimeout: 60000 });
