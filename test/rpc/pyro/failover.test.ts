/**
 * Two `herd rpc pyro-ns` processes over one coordination store, driven by
 * Pyro4's own tools (`python3 -m Pyro4.nsc`) and proxies: a registration
 * made through one is seen through the other; after one is SIGKILLed, a
 * Python proxy that looks up through the other keeps working.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { servePyro4, type PyroServed } from '../../../src/rpc/pyro/index.js';
import { sigkill } from '../../support/processes.js';
import { connect, forEachTarget, waitFor } from '../../support/targets.js';
import { nsc, pyro4Available, requirePyro4, startNs, startSteppedPython, type NsProcess } from './support.js';

forEachTarget('pyro4 name server failover', (target) => {
  let a: NsProcess;
  let b: NsProcess;
  let served: PyroServed;
  const tag = `failover-${process.pid}`;
  before(async () => {
    if (!pyro4Available()) return;
    [a, b] = await Promise.all([startNs(target().connectionString), startNs(target().connectionString)]);
    served = await servePyro4(await connect(target()), `${tag}-${target().name}`, { hello: (who: string) => `hello ${who}` }, { expose: ['hello'], timeout: 20000 });
  });
  after(async () => {
    await served?.close();
    if (a) await sigkill(a.child);
    if (b) await sigkill(b.child);
  });

  test('Pyro4.nsc through one, seen through the other; one killed, the other serves', async (t) => {
    if (!requirePyro4(t)) return;
    const name = `${tag}-${target().name}`;
    await nsc(a.port, 'register', `${name}.py`, 'PYRO:thing@127.0.0.1:4242');
    let listed = '';
    // A name server sees another's write once its watch event arrives: moments later, not at once.
    await waitFor(async () => (listed = await nsc(b.port, 'list', tag)).includes(`${name}.py -->`) && listed.includes(`${name} -->`), 20000, 'both names listed by B');
    assert.match(listed, new RegExp(`${name}\\.py --> PYRO:thing@127\\.0\\.0\\.1:4242`));
    assert.match(listed, new RegExp(`${name} --> ${served.uri.replace(/[.]/g, '\\.')}`));
    // One Python process, two proxies through the two name servers; A dies between two calls.
    const script = `
import sys, Pyro4
Pyro4.config.COMMTIMEOUT = 10
a, b, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
print(Pyro4.Proxy('PYRONAME:%s@127.0.0.1:%d' % (name, a)).hello('a'), flush=True)
sys.stdin.readline()
try:
    Pyro4.locateNS('127.0.0.1', a)
    print('a still answers')
except Pyro4.errors.NamingError:
    print('a is gone')
print(Pyro4.Proxy('PYRONAME:%s@127.0.0.1:%d' % (name, b)).hello('b'))
print(Pyro4.locateNS('127.0.0.1', b).lookup(name + '.py'))
`;
    const py = startSteppedPython(script, [String(a.port), String(b.port), name]);
    assert.equal(await py.firstLine('the first call'), 'hello a');
    await sigkill(a.child);
    assert.deepEqual(await py.finish(), ['a is gone', 'hello b', 'PYRO:thing@127.0.0.1:4242']);
    assert.match(await nsc(b.port, 'remove', `${name}.py`), /removed/i);
    assert.doesNotMatch(await nsc(b.port, 'list', tag), /\.py -->/);
  });
}, { targets: ['herd'] });

forEachTarget('herd rpc pyro-ns --clean-interval', (target) => {
  let ns: NsProcess | undefined;
  after(async () => {
    if (ns) await sigkill(ns.child);
  });

  test('a name whose object no longer answers is removed; a live one stays', async (t) => {
    if (!requirePyro4(t)) return;
    ns = await startNs(target().connectionString, '--clean-interval', '1500');
    const tag = `clean-cli-${process.pid}`;
    const live = await servePyro4(await connect(target()), `${tag}-live`, { hello: () => 'hi' }, { expose: ['hello'], timeout: 20000 });
    try {
      await nsc(ns.port, 'register', `${tag}.py-live`, live.uri);
      // Port 1 on loopback: nothing listens there, so the object cannot answer.
      await nsc(ns.port, 'register', `${tag}.py-dead`, 'PYRO:gone@127.0.0.1:1');
      await waitFor(async () => !(await nsc(ns!.port, 'list', tag)).includes(`${tag}.py-dead`), 20000, 'the dead name cleaned');
      assert.match(await nsc(ns.port, 'list', tag), new RegExp(`${tag}\\.py-live -->`));
    } finally {
      await live.close();
    }
  });
}, { targets: ['herd'] });
