/**
 * Connection loss, resume and expiry, driven through a TCP proxy in front
 * of the target server.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createClient, type Client, type StateChange, type WatchEvent } from '../../src/client/index.js';
import { ClientClosedError, ConnectionLossError, SessionExpiredError } from '../../src/errors.js';
import { connect, forEachTarget, nextEvent, uniquePath, waitFor, type Target } from '../support/targets.js';
import { startProxy, type TcpProxy as Proxy } from '../support/tcp-proxy.js';

const show = (e: WatchEvent): string => `${e.type} ${e.path}`;
const fast = { backoff: { initialDelay: 20, maxDelay: 100 } };

forEachTarget('client failover through a proxy', (current) => {
  let target: Target;
  let writer: Client;
  const cleanup: (() => Promise<void>)[] = [];

  before(async () => {
    target = current();
    writer = await connect(target);
  });
  after(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => {});
    cleanup.length = 0;
  });

  async function proxied(options: { sessionTimeout?: number; requestTimeout?: number } = {}): Promise<{ proxy: Proxy; client: Client }> {
    const proxy = await startProxy(target.host, target.port);
    const client = createClient(proxy.connectionString, { sessionTimeout: 4000, ...fast, ...options });
    await client.connect();
    cleanup.push(() => proxy.close(), () => client.close());
    return { proxy, client };
  }

  it('in-flight requests fail with ConnectionLossError; the session resumes; watches catch up', async () => {
    const { proxy, client } = await proxied();
    const base = uniquePath('fo');
    await client.create(base, 'v0');
    const eph = await client.create(`${base}/eph`, 'mine', { mode: 'ephemeral' });
    const sessionId = client.sessionId;
    const events: string[] = [];
    const record = (e: WatchEvent): void => void events.push(show(e));
    await client.getData(base, { watch: record });
    await client.getChildren(base, { watch: record });
    assert.equal(await client.exists(`${base}/later`, { watch: record }), null);
    const recursive: string[] = [];
    await client.addWatch(base, 'persistentRecursive', (e) => recursive.push(show(e)));

    const states: string[] = [];
    const log = (c: StateChange): void => void states.push(`${c.from}->${c.to}`);
    client.on('disconnected', log);
    client.on('connected', log);

    // Requests in flight when the connection dies may or may not have been applied: they fail.
    proxy.blackhole(true);
    const inFlight = [client.setData(base, 'lost?'), client.getData(base), client.exists('/')];
    await new Promise((r) => setTimeout(r, 50));
    await proxy.reject(true);
    proxy.dropConnections();
    for (const p of inFlight) await assert.rejects(p, ConnectionLossError);
    await waitFor(() => client.state === 'disconnected');

    // Requests issued now wait for the reconnect.
    const queued = client.getData(eph);

    // Changes made during the outage.
    await writer.setData(base, 'changed');
    await writer.create(`${base}/later`);
    proxy.blackhole(false);
    await proxy.reject(false);
    await nextEvent(client, 'connected');
    assert.equal(client.sessionId, sessionId, 'same session');
    assert.deepEqual(states, ['connected->disconnected', 'disconnected->connected']);
    assert.equal((await queued).data?.toString(), 'mine');
    assert.notEqual(await writer.exists(eph), null, 'the ephemeral survived');

    // The one-shot watches were re-registered with the last zxid and fire for what was missed.
    await waitFor(() => events.length >= 3, 5000, 'replayed watch events');
    assert.deepEqual(events.sort(), [`nodeChildrenChanged ${base}`, `nodeCreated ${base}/later`, `nodeDataChanged ${base}`].sort());
    // The persistent watch is back for changes after the resume.
    await writer.setData(`${base}/later`, 'x');
    await waitFor(() => recursive.includes(`nodeDataChanged ${base}/later`), 5000, 'the recursive watch');
  });

  it('one-shot watches alone are re-registered with setWatches', async () => {
    const { proxy, client } = await proxied();
    const path = uniquePath('sw');
    await client.create(path, 'a');
    const events: string[] = [];
    await client.getData(path, { watch: (e) => events.push(show(e)) });
    await proxy.reject(true);
    proxy.dropConnections();
    await waitFor(() => client.state === 'disconnected');
    await writer.setData(path, 'b');
    await proxy.reject(false);
    await nextEvent(client, 'connected');
    await waitFor(() => events.length === 1, 5000, 'the replayed event');
    assert.deepEqual(events, [`nodeDataChanged ${path}`]);
  });

  it('fails over to the next host and resumes the session there', async () => {
    const a = await startProxy(target.host, target.port);
    const b = await startProxy(target.host, target.port);
    cleanup.push(() => a.close(), () => b.close());
    const client = createClient(`${a.connectionString},${b.connectionString}`, { sessionTimeout: 4000, ...fast });
    cleanup.push(() => client.close());
    await client.connect();
    const first = client.currentServer;
    const sessionId = client.sessionId;
    const firstProxy = first === a.connectionString ? a : b;
    await firstProxy.reject(true);
    firstProxy.dropConnections();
    await nextEvent(client, 'connected');
    assert.notEqual(client.currentServer, first);
    assert.equal(client.sessionId, sessionId);
    assert.notEqual(await client.exists('/'), null);
  });

  it('requests waiting for a reconnect fail after requestTimeout, never sent', async () => {
    const { proxy, client } = await proxied({ requestTimeout: 300 });
    const path = uniquePath('rt');
    await proxy.reject(true);
    proxy.dropConnections();
    await waitFor(() => client.state === 'disconnected');
    const started = Date.now();
    await assert.rejects(client.create(path), (e: unknown) => e instanceof ConnectionLossError && /not sent/.test(e.message));
    assert.ok(Date.now() - started >= 250);
    await proxy.reject(false);
    await nextEvent(client, 'connected');
    assert.equal(await client.exists(path), null, 'the timed-out create was never sent');
  });

  it('a partition longer than the session timeout expires the session', async () => {
    const { proxy, client } = await proxied({ sessionTimeout: 1000 });
    assert.ok(client.negotiatedTimeout <= 1000);
    const eph = await client.create(uniquePath('exp'), null, { mode: 'ephemeral' });
    const watched: string[] = [];
    await client.getData(eph, { watch: (e) => watched.push(show(e)) });
    const stream = client.watch(eph);
    await stream.ready;
    const oldSession = client.sessionId;
    const changes: string[] = [];
    for (const s of ['disconnected', 'expired', 'connecting', 'connected'] as const) client.on(s, (c) => changes.push(`${c.from}->${c.to}`));

    proxy.blackhole(true);
    await nextEvent(client, 'disconnected', 5000);
    const waiting = client.getData(eph);
    // The server expires the session after its timeout without traffic.
    await waitFor(async () => (await writer.exists(eph)) === null, 10000, 'the ephemeral to be deleted by expiry');
    proxy.blackhole(false);
    proxy.dropConnections();
    await nextEvent(client, 'expired', 10000);
    assert.equal(client.state, 'expired');
    await assert.rejects(waiting, SessionExpiredError);
    await assert.rejects(client.getData('/'), SessionExpiredError);
    await assert.rejects(stream.next(), SessionExpiredError, 'the watch stream ends with the session');
    assert.deepEqual(watched, [], 'one-shot watches never fire after expiry');

    // A new session on request.
    await client.connect();
    assert.equal(client.state, 'connected');
    assert.notEqual(client.sessionId, oldSession);
    assert.notEqual(client.sessionId, 0n);
    assert.notEqual(await client.exists('/'), null);
    await waitFor(() => changes.length === 4);
    assert.deepEqual(changes, ['connected->disconnected', 'disconnected->expired', 'expired->connecting', 'connecting->connected']);
  });

  it('reconnectOnExpiry starts a new session by itself', async () => {
    const proxy = await startProxy(target.host, target.port);
    const client = createClient(proxy.connectionString, { sessionTimeout: 1000, reconnectOnExpiry: true, ...fast });
    cleanup.push(() => proxy.close(), () => client.close());
    await client.connect();
    const old = client.sessionId;
    const eph = await client.create(uniquePath('roe'), null, { mode: 'ephemeral' });
    proxy.blackhole(true);
    await nextEvent(client, 'disconnected', 5000);
    await waitFor(async () => (await writer.exists(eph)) === null, 10000, 'expiry');
    const expired = nextEvent(client, 'expired', 10000);
    const connected = nextEvent(client, 'connected', 10000);
    proxy.blackhole(false);
    proxy.dropConnections();
    await expired;
    await connected;
    assert.notEqual(client.sessionId, old);
  });

  it('close() while disconnected stops reconnecting', async () => {
    const { proxy, client } = await proxied();
    await proxy.reject(true);
    proxy.dropConnections();
    await waitFor(() => client.state === 'disconnected');
    const pending = client.exists('/');
    await client.close();
    assert.equal(client.state, 'closed');
    await assert.rejects(pending, ClientClosedError);
    await assert.rejects(client.exists('/'), ClientClosedError);
    await assert.rejects(client.connect(), ClientClosedError);
    await proxy.reject(false);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(proxy.connectionCount, 0, 'no new connection after close');
  });
}, { tickTime: 200, maxSessionTimeout: 60000 });
