/**
 * The Pyro4 name server's watched in-memory copy of the registry
 * (src/rpc/pyro/cache.ts): two `herd rpc pyro-ns` processes driven by a
 * stock Pyro4 proxy (a write through one is seen through the other once
 * the watch event arrives; this one's writes are seen by its next call;
 * lookups do not read the store), and the copy's resync after a lost
 * connection and after a lost session.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RegistryCache } from '../../../src/rpc/pyro/cache.js';
import { deleteRegistration, writeRegistration } from '../../../src/rpc/pyro/entries.js';
import { sigkill } from '../../support/processes.js';
import { connect, forEachTarget, waitFor } from '../../support/targets.js';
import { pyro4Available, requirePyro4, startNs, startSteppedPython, type NsProcess } from './support.js';

/** Phase 1 prints a JSON line and waits; phase 2 (after the test slowed A's link to the store) prints another. */
const SCRIPT = `
import json, sys, time, Pyro4, Pyro4.errors
Pyro4.config.COMMTIMEOUT = 30
a = Pyro4.locateNS('127.0.0.1', int(sys.argv[1]))
b = Pyro4.locateNS('127.0.0.1', int(sys.argv[2]))
tag = sys.argv[3]
out = {'stale': []}
n = tag + '.ryw'
for i in range(15):
    uri = 'PYRO:o%d@127.0.0.1:%d' % (i, 1000 + i)
    a.register(n, uri, metadata=['v%d' % i])
    got = [str(a.lookup(n)), a.list(prefix=n).get(n), sorted(a.lookup(n, return_metadata=True)[1])]
    if got != [uri, uri, ['v%d' % i]]:
        out['stale'].append([i, got])
a.remove(n)
try:
    a.lookup(n)
    out['stale'].append('removed name still found')
except Pyro4.errors.NamingError:
    pass
def until(check):
    start = time.perf_counter()
    while time.perf_counter() - start < 10:
        if check():
            return time.perf_counter() - start
        time.sleep(0.002)
    return None
def known(ns, name):
    try:
        ns.lookup(name)
        return True
    except Pyro4.errors.NamingError:
        return False
m = tag + '.cross'
a.register(m, 'PYRO:cross@127.0.0.1:1')
out['seen_by_b'] = until(lambda: known(b, m))
b.remove(m)
out['gone_from_a'] = until(lambda: not known(a, m))
a.register(m, 'PYRO:cross@127.0.0.1:2')
print(json.dumps(out), flush=True)
sys.stdin.readline()
lat = []
for _ in range(21):
    t = time.perf_counter()
    a.lookup(m)
    lat.append(time.perf_counter() - t)
lat.sort()
print(json.dumps({'median': lat[10], 'count': a.count() >= 2, 'found': str(a.lookup(m))}), flush=True)
`;

forEachTarget('pyro4 name server cache', (target) => {
  let a: NsProcess;
  let b: NsProcess;
  before(async () => {
    if (!pyro4Available()) return;
    // A reaches the store through the target's proxy (slowed later); B directly.
    [a, b] = await Promise.all([startNs(target().proxy.connectionString), startNs(target().directConnectionString)]);
  });
  after(async () => {
    target().proxy.setLatency(0);
    if (a) await sigkill(a.child);
    if (b) await sigkill(b.child);
  });

  test('two name-server processes: read-your-writes, the other sees writes by watch, lookups from memory', { timeout: 60_000 }, async (t) => {
    if (!requirePyro4(t)) return;
    const tag = `cache${process.pid}${target().name}`;
    const py = startSteppedPython(SCRIPT, [String(a.port), String(b.port), tag]);
    const first = JSON.parse(await py.firstLine('the first phase')) as { stale: unknown[]; seen_by_b: number | null; gone_from_a: number | null };
    assert.deepEqual(first.stale, [], 'a name server answers its own writes at once');
    assert.ok(first.seen_by_b !== null, "B saw A's registration within 10 s");
    assert.ok(first.gone_from_a !== null, "A saw B's removal within 10 s");
    // Each store read now takes 2 x 200 ms; an answer from memory does not.
    target().proxy.setLatency(200);
    let second: string | undefined;
    try {
      [second] = await py.finish();
    } finally {
      target().proxy.setLatency(0);
    }
    const out = JSON.parse(second!) as { median: number; count: boolean; found: string };
    assert.ok(out.median < 0.2, `lookups answered from memory (median ${(out.median * 1000).toFixed(1)} ms, a store read takes 400 ms)`);
    assert.equal(out.found, 'PYRO:cross@127.0.0.1:2');
    assert.equal(out.count, true);
  });

  test('the copy resyncs after a lost connection and after a lost session', { timeout: 60_000 }, async () => {
    const name = `cache-resync-${process.pid}-${target().name}`;
    const other = `${name}-other`;
    const writer = await connect(target(), {}, target().directConnectionString);
    const client = await connect(target(), { reconnectOnExpiry: true }, target().proxy.connectionString);
    const cache = new RegistryCache(client);
    await cache.start();
    try {
      assert.equal(cache.fresh, true);
      await writeRegistration(writer, name, 'PYRO:one@127.0.0.1:1', [], false);
      await waitFor(() => cache.entry(name)?.uri === 'PYRO:one@127.0.0.1:1', 10000, 'the registration by watch');

      // Cut off: changes made meanwhile send no event; the reconnect's reload must find them.
      await target().proxy.reject(true);
      target().proxy.dropConnections();
      await waitFor(() => client.state !== 'connected', 10000, 'the client to see the drop');
      assert.equal(cache.fresh, false, 'a disconnected copy is not used');
      await writeRegistration(writer, name, 'PYRO:two@127.0.0.1:2', ['m'], false);
      await writeRegistration(writer, other, 'PYRO:other@127.0.0.1:3', [], false);
      await target().proxy.reject(false);
      await waitFor(() => cache.fresh, 20000, 'the copy to reload after the reconnect');
      assert.deepEqual([cache.entry(name)?.uri, cache.entry(name)?.metadata, cache.entry(other)?.uri], ['PYRO:two@127.0.0.1:2', ['m'], 'PYRO:other@127.0.0.1:3']);

      // The session ends while cut off: the new session's reload finds the changes.
      await target().proxy.reject(true);
      target().proxy.dropConnections();
      await waitFor(() => client.state !== 'connected', 10000, 'the client to see the drop');
      await target().expire(client);
      // Expiring a ZooKeeper session lets the proxy through again: cut off again before the changes.
      await target().proxy.reject(true);
      target().proxy.dropConnections();
      await writeRegistration(writer, name, 'PYRO:three@127.0.0.1:4', [], false);
      await deleteRegistration(writer, other);
      await target().proxy.reject(false);
      await waitFor(() => cache.fresh, 30000, 'the copy to reload on the new session');
      assert.deepEqual([cache.entry(name)?.uri, cache.entry(other)], ['PYRO:three@127.0.0.1:4', undefined]);
    } finally {
      await target().proxy.reject(false);
      await cache.close();
      await deleteRegistration(writer, name);
    }
  });
});
