/**
 * Herd's Pyro4 name server driven by stock Pyro4 4.82 (Debian's
 * python3-pyro4): locateNS, ping, register / lookup / list / remove /
 * set_metadata / count with their filters (remove by prefix and regex
 * too), two name servers over one store seeing each other's names, and
 * one surviving the other's close.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { list } from '../../../src/rpc/index.js';
import { startPyroNameServer, type PyroNameServer } from '../../../src/rpc/pyro/index.js';
import { connect, forEachTarget, waitFor } from '../../support/targets.js';
import { pyro4Available, requirePyro4, runPython } from './support.js';

const SCRIPT = `
import json, sys, time, Pyro4, Pyro4.errors
Pyro4.config.COMMTIMEOUT = 10
def until(read, ok):
    # A name server sees another's writes once its watch event arrives: moments later, not at once.
    for _ in range(2000):
        try:
            value = read()
            if ok(value):
                return value
        except Pyro4.errors.NamingError:
            pass
        time.sleep(0.005)
    raise Exception('not seen in 10 s')
port_a, port_b, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
out = {}
a = Pyro4.locateNS('127.0.0.1', port_a)
b = Pyro4.locateNS('127.0.0.1', port_b)
a.ping()
x, y = tag + '.x', tag + '.y'
a.register(x, 'PYRO:objx@127.0.0.1:1234', metadata={'red', 'big'})
a.register(y, Pyro4.URI('PYRO:objy@localhost:5678'), safe=True)
try:
    b.register(y, 'PYRO:other@127.0.0.1:1', safe=True)
    out['safe'] = 'registered twice'
except Pyro4.errors.NamingError as e:
    out['safe'] = str(e)
until(lambda: b.lookup(y), lambda u: True)
u = b.lookup(x)
out['lookup'] = [type(u).__name__, str(u), u.object, u.host, u.port]
uri, meta = b.lookup(x, return_metadata=True)
out['lookup_meta'] = [str(uri), sorted(meta)]
out['list_prefix'] = b.list(prefix=tag + '.')
out['list_regex'] = b.list(regex=tag + r'\\.y')
out['list_all'] = sorted(b.list(metadata_all=['red', 'big']))
out['list_any'] = sorted(b.list(metadata_any={'big', 'nothing'}))
out['list_meta'] = {k: [v[0], sorted(v[1])] for k, v in b.list(prefix=tag, return_metadata=True).items()}
out['ns_listed'] = a.list(prefix='Pyro.')
b.set_metadata(y, ['small'])
out['after_set'] = sorted(until(lambda: a.lookup(y, return_metadata=True)[1], lambda m: 'small' in m))
out['count_ge_3'] = a.count() >= 3
try:
    a.lookup(tag + '.missing')
except Pyro4.errors.NamingError as e:
    out['missing'] = str(e)
try:
    a.list(prefix='a', regex='b')
except ValueError as e:
    out['two_filters'] = str(e)
out['remove'] = b.remove(x)
out['remove_again'] = a.remove(x)
out['remove_ns'] = a.remove('Pyro.NameServer')
out['after_remove'] = sorted(until(lambda: a.list(prefix=tag), lambda names: x not in names))
for i in range(3):
    a.register(tag + '.p%d' % i, 'PYRO:p@127.0.0.1:1')
a.register(tag + '.q', 'PYRO:q@127.0.0.1:1')
out['remove_prefix'] = a.remove(prefix=tag + '.p')
out['remove_regex'] = a.remove(regex=tag + r'\.q$')
out['after_filters'] = sorted(a.list(prefix=tag))
print(json.dumps(out))
`;

forEachTarget('pyro4 name server', (target) => {
  let a: PyroNameServer;
  let b: PyroNameServer;
  before(async () => {
    if (!pyro4Available()) return;
    a = await startPyroNameServer({ client: await connect(target()), port: 0 });
    b = await startPyroNameServer({ client: await connect(target()), port: 0 });
  });
  after(async () => {
    await a?.close();
    await b?.close();
  });

  test('Pyro4 clients use both name servers over one registry', async (t) => {
    if (!requirePyro4(t)) return;
    const tag = `ns${process.pid}${target().name}`;
    const out = JSON.parse(await runPython(SCRIPT, [String(a.port), String(b.port), tag])) as Record<string, unknown>;
    assert.match(String(out.safe), /name already registered/);
    assert.deepEqual(out.lookup, ['URI', 'PYRO:objx@127.0.0.1:1234', 'objx', '127.0.0.1', 1234]);
    assert.deepEqual(out.lookup_meta, ['PYRO:objx@127.0.0.1:1234', ['big', 'red']]);
    assert.deepEqual(out.list_prefix, { [`${tag}.x`]: 'PYRO:objx@127.0.0.1:1234', [`${tag}.y`]: 'PYRO:objy@localhost:5678' });
    assert.deepEqual(out.list_regex, { [`${tag}.y`]: 'PYRO:objy@localhost:5678' });
    assert.deepEqual(out.list_all, [`${tag}.x`]);
    assert.deepEqual(out.list_any, [`${tag}.x`]);
    assert.deepEqual(out.list_meta, { [`${tag}.x`]: ['PYRO:objx@127.0.0.1:1234', ['big', 'red']], [`${tag}.y`]: ['PYRO:objy@localhost:5678', []] });
    assert.deepEqual(out.ns_listed, { 'Pyro.NameServer': a.uri });
    assert.deepEqual(out.after_set, ['small']);
    assert.equal(out.count_ge_3, true);
    assert.match(String(out.missing), /unknown name/);
    assert.match(String(out.two_filters), /only filter on one thing/);
    assert.deepEqual([out.remove, out.remove_again, out.remove_ns], [1, 0, 0]);
    assert.deepEqual(out.after_remove, [`${tag}.y`]);
    assert.deepEqual([out.remove_prefix, out.remove_regex, out.after_filters], [3, 1, [`${tag}.y`]]);
    // Python's registration is in Herd's registry, as `herd rpc ls` shows it.
    const [service] = await list(await connect(target()), `${tag}.y`);
    assert.equal(service?.instances[0]?.protocol, 'pyro4');
    assert.equal(service?.instances[0]?.address, 'localhost:5678');
  });

  test('a name server that closes leaves the other serving the same names', async (t) => {
    if (!requirePyro4(t)) return;
    const tag = `fo${process.pid}${target().name}`;
    const c = await startPyroNameServer({ client: await connect(target()), port: 0 });
    await runPython(`import sys, Pyro4\nPyro4.locateNS('127.0.0.1', int(sys.argv[1])).register(sys.argv[2], 'PYRO:o@127.0.0.1:1')`, [String(c.port), `${tag}.z`]);
    await c.close();
    // B sees C's registration once its watch event arrives (the lookup fails with NamingError before).
    let out = '';
    const lookup = `import sys, Pyro4\nprint(Pyro4.locateNS('127.0.0.1', int(sys.argv[1])).lookup(sys.argv[2]))`;
    await waitFor(async () => (out = await runPython(lookup, [String(b.port), `${tag}.z`])) !== '', 20000, 'B to see the name');
    assert.equal(out.trim(), 'PYRO:o@127.0.0.1:1');
  });
});
