/**
 * `serve(client, name, object, { pyro4 })`: one call serves the object over
 * Herd's protocol and Pyro4, with one registry entry that `list` (herd rpc
 * ls), Herd's `lookup`, Python's `ns.list()` and `PYRONAME:` all see; the
 * session instance mode holds per Pyro4 connection too.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BadArgumentsError, list, lookup, serve } from '../../../src/rpc/index.js';
import { startPyroNameServer, type PyroNameServer } from '../../../src/rpc/pyro/index.js';
import { connect, forEachTarget, waitFor } from '../../support/targets.js';
import { pyro4Available, requirePyro4, runPython, waitUntilKnown } from './support.js';

class Counter {
  n = 0;
  add(by: number, options?: { twice?: boolean }): number {
    this.n += options?.twice ? 2 * by : by;
    return this.n;
  }
  async *upTo(n: number): AsyncGenerator<number> {
    for (let i = 1; i <= n; i++) yield i;
  }
}

forEachTarget('pyro4 serve() over both protocols', (target) => {
  let ns: PyroNameServer;
  before(async () => {
    if (!pyro4Available()) return;
    ns = await startPyroNameServer({ client: await connect(target()), port: 0 });
  });
  after(async () => {
    await ns?.close();
  });

  test('one serve() call, one registry entry, reached from Herd and from Python', async (t) => {
    if (!requirePyro4(t)) return;
    const client = await connect(target());
    const name = `both-${process.pid}`;
    const counter = new Counter();
    await using served = await serve(client, name, counter, { expose: ['add', 'upTo'], pyro4: { port: 0, metadata: ['counter'] }, timeout: 20000 });
    const services = (await list(client)).filter((s) => s.name === name);
    assert.equal(services.length, 1);
    assert.equal(services[0]!.instances.length, 1, 'one registry entry for both protocols');
    await using remote = await lookup<Counter>(client, name);
    assert.equal(await remote.add(1), 1);
    await waitUntilKnown(ns.port, name);
    const out = JSON.parse(
      await runPython(
        `
import json, sys, Pyro4
Pyro4.config.COMMTIMEOUT = 10
ns = Pyro4.locateNS('127.0.0.1', int(sys.argv[1]))
uri = ns.list(metadata_any=['counter'])[sys.argv[2]]
p = Pyro4.Proxy('PYRONAME:%s@127.0.0.1:%s' % (sys.argv[2], sys.argv[1]))
print(json.dumps({'uri': uri, 'add': [p.add(10), p.add(5, twice=True)], 'stream': list(p.upTo(3))}))
`,
        [String(ns.port), name],
      ),
    ) as { uri: string; add: number[]; stream: number[] };
    assert.match(out.uri, new RegExp(`^PYRO:${name}@127\\.0\\.0\\.1:\\d+$`));
    assert.deepEqual(out.add, [11, 21]);
    assert.deepEqual(out.stream, [1, 2, 3]);
    assert.equal(await remote.add(0), 21, 'both protocols reach the same object');
    await served.close();
    // The name server sees the entry go once its watch event arrives.
    const listed = `
import sys, Pyro4
print(sorted(Pyro4.locateNS('127.0.0.1', int(sys.argv[1])).list().keys()))
`;
    let gone = '';
    await waitFor(async () => !(gone = await runPython(listed, [String(ns.port)])).includes(`'${name}'`), 20000, 'the name to leave the name server').catch(() => assert.fail(gone));
  });

  test('session instance mode: one object per Pyro4 connection; bad pyro4 options refused before any I/O', async (t) => {
    if (!requirePyro4(t)) return;
    const client = await connect(target());
    const name = `both-session-${process.pid}`;
    await using served = await serve(client, name, () => new Counter(), { instanceMode: 'session', expose: ['add'], pyro4: {}, timeout: 20000 });
    await waitUntilKnown(ns.port, name);
    const out = await runPython(
      `
import sys, Pyro4
a, b = Pyro4.Proxy('PYRONAME:%s@127.0.0.1:%s' % (sys.argv[2], sys.argv[1])), Pyro4.Proxy('PYRONAME:%s@127.0.0.1:%s' % (sys.argv[2], sys.argv[1]))
print([a.add(1), a.add(1), b.add(1)])
`,
      [String(ns.port), name],
    );
    assert.equal(out.trim(), '[1, 2, 1]');
    await assert.rejects(serve(client, `${name}-bad`, new Counter(), { expose: ['add'], pyro4: { oneway: ['upTo'] } }), BadArgumentsError);
    await assert.rejects(serve(client, `${name}-bad`, new Counter(), { expose: ['add'], pyro4: { host: '0.0.0.0' } }), BadArgumentsError);
  });
}, { targets: ['herd'] });
