/**
 * Read-only mode against real ZooKeeper 3.8 (`readonlymode.enabled`): a
 * server cut off from its quorum serves reads; a client with `readOnly`
 * accepts it (`connectedReadOnly`), searches in the background for a
 * read-write server, and moves there when one answers. (Real ZooKeeper only:
 * Herd's server is a single node and never read-only.)
 */
import assert from 'node:assert/strict';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/base/clock.js';
import type { HostPort } from '../../src/client/connection-string.js';
import { createClient, type Client, type ClientOptions, type StateChange } from '../../src/client/index.js';
import { RwServerSearch } from '../../src/client/rw-server-search.js';
import { NotReadOnlyError } from '../../src/errors.js';
import { requireTool } from '../support/interop.js';
import { freePort } from '../support/ports.js';
import {
  fourLetterWord,
  startEnsemble,
  startZooKeeper,
  zookeeperAvailable,
  type Ensemble,
  type ZooKeeperServer,
} from '../support/zookeeper.js';
import { waitFor } from '../support/targets.js';

const fast: ClientOptions = { sessionTimeout: 15_000, connectTimeout: 30_000, backoff: { initialDelay: 20, maxDelay: 300 } };

function recordStates(client: Client): StateChange[] {
  const seen: StateChange[] = [];
  for (const to of ['connected', 'connectedReadOnly', 'disconnected', 'expired'] as const) client.on(to, (c) => seen.push(c));
  return seen;
}

async function isro(server: ZooKeeperServer): Promise<string> {
  return (await fourLetterWord(server.host, server.port, 'isro').catch(() => '')).trim();
}

describe('read-only mode in a 3-node ZooKeeper ensemble', () => {
  let ensemble: Ensemble | undefined;
  let standalone: ZooKeeperServer | undefined;
  const clients: Client[] = [];

  before(async () => {
    if (!zookeeperAvailable()) return;
    ensemble = await startEnsemble(3, {
      tickTime: 200,
      forceSync: false,
      maxSessionTimeout: 60_000,
      jvmArgs: ['-Dreadonlymode.enabled=true'],
      // A read-only server can only create local sessions (it refuses createSession for global ones).
      extraConfig: { localSessionsEnabled: true },
    });
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await standalone?.destroy();
    await ensemble?.destroy();
  });

  it('two of three servers stop: the session is lost, a new one on the read-only survivor serves reads, writes fail with NotReadOnlyError', async (t) => {
    if (!requireTool(t, ensemble !== undefined, 'Java and the ZooKeeper jars')) return;
    const [survivor, ...others] = ensemble!.servers as [ZooKeeperServer, ...ZooKeeperServer[]];
    // ZooKeeper 3.8 refuses to move a global session to a read-only server, so the client may be turned
    // away until it declares the session lost; reconnectOnExpiry then starts a new one there.
    const client = createClient(ensemble!.connectionString, { ...fast, sessionTimeout: 4000, readOnly: true, reconnectOnExpiry: true });
    clients.push(client);
    const states = recordStates(client);
    await client.connect();
    assert.equal(client.state, 'connected');
    const firstSession = client.sessionId;
    await client.create('/ro-data', 'before the partition');

    await Promise.all(others.map((s) => s.stop()));
    await waitFor(async () => (await isro(survivor)) === 'ro', 30_000, 'the survivor in read-only mode');
    await waitFor(() => client.state === 'connectedReadOnly', 30_000, 'connectedReadOnly');
    assert.equal(client.currentServer, survivor.connectionString);
    assert.notEqual(client.sessionId, firstSession);
    const order = states.map((s) => s.to);
    assert.deepEqual(order.slice(0, 2), ['connected', 'disconnected']);
    assert.equal(order.at(-1), 'connectedReadOnly');

    assert.equal((await client.getData('/ro-data')).data?.toString(), 'before the partition');
    assert.deepEqual(await client.getChildren('/ro-data'), []);
    await assert.rejects(client.create('/ro-write', 'x'), NotReadOnlyError);
    await assert.rejects(client.setData('/ro-data', 'x'), NotReadOnlyError);
    // Still read-only after a refused write: the connection is fine.
    assert.equal(client.state, 'connectedReadOnly');

    // A client that does not allow read-only servers gets no session there.
    const strict = createClient(survivor.connectionString, { sessionTimeout: 15_000, connectTimeout: 2_000 });
    await assert.rejects(strict.connect());
    await strict.close().catch(() => {});
    // One that does, does.
    const fresh = createClient(survivor.connectionString, { ...fast, readOnly: true });
    clients.push(fresh);
    await fresh.connect();
    assert.equal(fresh.state, 'connectedReadOnly');
  });

  it('the background search finds a read-write server in the host list and moves there', async (t) => {
    if (!requireTool(t, ensemble !== undefined, 'Java and the ZooKeeper jars')) return;
    const survivor = ensemble!.servers[0]!;
    assert.equal(await isro(survivor), 'ro');
    standalone = await startZooKeeper({ tickTime: 200, forceSync: false, maxSessionTimeout: 60_000 });
    // The read-only server first, so the client lands there, then finds the other one answering `rw` to isro.
    const client = createClient(`${survivor.connectionString},${standalone.connectionString}`, {
      ...fast,
      readOnly: true,
      noShuffle: true,
    });
    clients.push(client);
    const states = recordStates(client);
    await client.connect();
    const moved = new Promise<StateChange>((resolve) => client.once('connected', resolve));
    assert.ok(
      client.state === 'connectedReadOnly' || client.state === 'connected',
      `state ${client.state}`,
    );
    const roSession = client.sessionId;
    const change = await moved;
    assert.equal(client.currentServer, standalone.connectionString);
    assert.deepEqual(
      states.map((s) => s.to),
      ['connectedReadOnly', 'disconnected', 'connected'],
    );
    assert.match(String(change.from), /disconnected/);
    assert.match(states[1]!.reason?.message ?? '', /read-write server found/);
    // A session made by a read-only server is local to it: the read-write server gave a new one.
    assert.notEqual(client.sessionId, roSession);
    await client.create('/written-after-move', 'rw');
  });

  it('the others come back: the read-only client ends up connected to a read-write server, same data', async (t) => {
    if (!requireTool(t, ensemble !== undefined, 'Java and the ZooKeeper jars')) return;
    const client = clients[0]!;
    assert.equal(client.state, 'connectedReadOnly');
    const roSession = client.sessionId;
    const [, ...others] = ensemble!.servers;
    await Promise.all(others.map((s) => s.start({ waitForServing: false })));
    await ensemble!.waitForQuorum(30_000);
    await waitFor(() => client.state === 'connected', 30_000, 'connected to a read-write server');
    // The read-only session was local to the survivor: the read-write ensemble gave a new one.
    assert.notEqual(client.sessionId, roSession);
    await client.setData('/ro-data', 'after');
    assert.equal((await client.getData('/ro-data')).data?.toString(), 'after');
  });
});

describe('RwServerSearch (isro probes)', () => {
  /** A server that answers isro with `answer(n)` for its n-th probe (from 0), recording when each came. */
  async function isroServer(answer: (n: number) => string): Promise<{ host: HostPort; probes: number[]; close(): Promise<void> }> {
    const probes: number[] = [];
    const server = createNetServer((socket) => {
      let got = '';
      socket.on('data', (chunk: Buffer) => {
        got += chunk.toString('latin1');
        if (got === 'isro') socket.end(answer(probes.push(Date.now()) - 1));
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return { host: { host: '127.0.0.1', port }, probes, close: () => new Promise((r) => server.close(() => r())) };
  }

  it('probes the other hosts in turn with a doubling pause, never the current one, and reports the first rw', async () => {
    const current = await isroServer(() => 'ro');
    const readOnly = await isroServer(() => 'ro');
    const soonRw = await isroServer((n) => (n < 1 ? 'ro' : 'rw'));
    const started = Date.now();
    try {
      const found = await new Promise<HostPort>((resolve) => {
        const search = new RwServerSearch([current.host, readOnly.host, soonRw.host], systemClock, undefined, resolve);
        search.start(`127.0.0.1:${current.host.port}`);
      });
      assert.deepEqual(found, soonRw.host);
      assert.equal(current.probes.length, 0, 'the current server is not probed');
      assert.equal(readOnly.probes.length, 2);
      assert.equal(soonRw.probes.length, 2);
      // Pauses of 100, 200, 400 and 800 ms before the four probes.
      const all = [...readOnly.probes, ...soonRw.probes].sort((a, b) => a - b);
      const expected = [100, 300, 700, 1500];
      all.forEach((at, i) => assert.ok(at - started >= expected[i]! - 5, `probe ${i} after ${at - started} ms`));
    } finally {
      await current.close();
      await readOnly.close();
      await soonRw.close();
    }
  });

  it('a host that refuses connections is skipped', async () => {
    const rw = await isroServer(() => 'rw');
    const dead = { host: '127.0.0.1', port: await freePort() };
    try {
      const found = await new Promise<HostPort>((resolve) => new RwServerSearch([dead, rw.host], systemClock, undefined, resolve).start(undefined));
      assert.deepEqual(found, rw.host);
    } finally {
      await rw.close();
    }
  });

  it('stop() ends the search: no probe after it', async () => {
    const rw = await isroServer(() => 'rw');
    let found = 0;
    const search = new RwServerSearch([rw.host], systemClock, undefined, () => found++);
    search.start(undefined);
    search.stop();
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(rw.probes.length, 0);
    assert.equal(found, 0);
    assert.equal(search.active, false);
    await rw.close();
  });
});
