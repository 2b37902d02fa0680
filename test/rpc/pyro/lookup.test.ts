/**
 * Node calling a Python Pyro4 object (lookupPyro4): the Python
 * Metadata class served by a stock Pyro4 Daemon and registered in Herd's
 * name server, called from Node by name, and its exception arriving with
 * the Python traceback.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RemoteError } from '../../../src/rpc/index.js';
import { lookupPyro4, startPyroNameServer, type PyroNameServer } from '../../../src/rpc/pyro/index.js';
import { connect, forEachTarget } from '../../support/targets.js';
import { pyro4Available, requirePyro4, startSteppedPython, type SteppedPython } from './support.js';

const DAEMON = `
import sys, Pyro4
@Pyro4.expose
class Metadata(object):
    def cluster_name(self): return 'billing'
    def am_i_disabled(self, node_id): return node_id == 'node03'
    def fail(self): raise ValueError('python says no')
daemon = Pyro4.Daemon(host='127.0.0.1')
uri = daemon.register(Metadata())
Pyro4.locateNS('127.0.0.1', int(sys.argv[1])).register(sys.argv[2], uri)
print(uri, flush=True)
import threading
threading.Thread(target=daemon.requestLoop, daemon=True).start()
sys.stdin.readline()
`;

forEachTarget('pyro4 lookupPyro4', (target) => {
  let ns: PyroNameServer;
  let py: SteppedPython | undefined;
  before(async () => {
    if (!pyro4Available()) return;
    ns = await startPyroNameServer({ client: await connect(target()), port: 0 });
  });
  after(async () => {
    await py?.finish().catch(() => {});
    await ns?.close();
  });

  test('Node calls a Python Pyro4 object registered in Herd by Python', async (t) => {
    if (!requirePyro4(t)) return;
    const name = `pymeta-${process.pid}`;
    py = startSteppedPython(DAEMON, [String(ns.port), name]);
    const uri = await py.firstLine('the Python daemon');
    await using md = await lookupPyro4(await connect(target()), name, { callTimeout: 20000 });
    assert.equal(await md.cluster_name!(), 'billing');
    assert.equal(await md.am_i_disabled!('node03'), true);
    const error = await md.fail!().catch((e: unknown) => e);
    assert.ok(error instanceof RemoteError);
    assert.equal(error.name, 'ValueError');
    assert.equal(error.message, 'python says no');
    assert.match(String((error.cause as Error).stack), /Traceback[\s\S]*python says no/);
    await using direct = await lookupPyro4(await connect(target()), uri, { callTimeout: 20000 });
    assert.equal(await direct.cluster_name!(), 'billing');
  });
}, { targets: ['herd'] });
