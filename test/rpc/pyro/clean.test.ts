/**
 * The name server's optional liveness cleaning (cleanInterval, as Pyro5's
 * autoclean): off by default; on, a Python registration whose object is
 * gone (nothing listens, or its daemon no longer knows it) is removed, while
 * a live one (even one that needs an HMAC key the name server lacks) and a
 * Node object served by Herd stay.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadArgumentsError } from '../../../src/errors.js';
import { servePyro4, startPyroNameServer } from '../../../src/rpc/pyro/index.js';
import { readAllPyroEntries } from '../../../src/rpc/pyro/entries.js';
import { connect, forEachTarget, sleep, waitFor } from '../../support/targets.js';
import { requirePyro4, startSteppedPython } from './support.js';

/** argv: ns port, tag. Registers a live keyed object, a dead URI, and an object id its (unkeyed) daemon does not serve. */
const PYTHON = `
import sys, threading, Pyro4
@Pyro4.expose
class Thing(object):
    def ping(self): return 'pong'
daemon = Pyro4.Daemon(host='127.0.0.1')
daemon._pyroHmacKey = b'only-python-knows'
uri = daemon.register(Thing())
ns = Pyro4.locateNS('127.0.0.1', int(sys.argv[1]))
tag = sys.argv[2]
ns.register(tag + '.live', uri)
ns.register(tag + '.dead', 'PYRO:gone@127.0.0.1:1')
plain = Pyro4.Daemon(host='127.0.0.1')
ns.register(tag + '.unknown', 'PYRO:nosuchobject@%s' % plain.locationStr)
print(uri, flush=True)
threading.Thread(target=daemon.requestLoop, daemon=True).start()
threading.Thread(target=plain.requestLoop, daemon=True).start()
sys.stdin.readline()
`;

forEachTarget('pyro4 name server liveness cleaning', (target) => {
  test('off by default; on, names whose object is gone are removed and live ones stay', async (t) => {
    if (!requirePyro4(t)) return;
    const client = await connect(target());
    await assert.rejects(startPyroNameServer({ client, port: 0, cleanInterval: 0 }), BadArgumentsError);
    const tag = `clean${process.pid}`;
    const names = async (): Promise<string[]> => (await readAllPyroEntries(client)).map((e) => e.name).filter((n) => n.startsWith(tag)).sort();
    await using plain = await startPyroNameServer({ client, port: 0 });
    await using served = await servePyro4(client, `${tag}.node`, { ping: () => 'pong' }, { expose: ['ping'], timeout: 20000 });
    const py = startSteppedPython(PYTHON, [String(plain.port), tag]);
    try {
      await py.firstLine('the Python registrations');
      await sleep(600);
      assert.deepEqual(await names(), [`${tag}.dead`, `${tag}.live`, `${tag}.node`, `${tag}.unknown`], 'nothing cleans by default');
      await using cleaning = await startPyroNameServer({ client, port: 0, cleanInterval: 200 });
      await waitFor(async () => (await names()).length === 2, 20000, 'the dead names to be cleaned').catch(async (e: unknown) => assert.fail(`${String(e)}: ${(await names()).join(' ')}`));
      await sleep(600); // a few more rounds: the live ones stay
      assert.deepEqual(await names(), [`${tag}.live`, `${tag}.node`]);
    } finally {
      await py.finish();
    }
  });
}, { targets: ['herd'] });
