/**
 * Node calling Python Pyro4 objects (lookupPyro4, batchPyro4): the issue's
 * Python Metadata class served by a stock Pyro4 Daemon and registered in
 * Herd's name server by Python, called from Node by name, by
 * `PYRONAME:name@host:port` and by `PYRO:` URI; keyword arguments, oneway
 * (per the metadata), batches, a lazily read generator, the json
 * serializer, HMAC match and mismatch, and rebinding when the object moves.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ProtocolError, RemoteError, RpcConnectionError } from '../../../src/rpc/index.js';
import { batchPyro4, lookupPyro4, pyKwargs, startPyroNameServer, type PyroNameServer } from '../../../src/rpc/pyro/index.js';
import { connect, forEachTarget, sleep, waitFor } from '../../support/targets.js';
import { pyro4Available, requirePyro4, runPython, startSteppedPython, type SteppedPython } from './support.js';

/** argv: ns port, name, HMAC key ('' for none). Prints its URI; on a stdin line prints what it saw, and exits. */
const DAEMON = `
import sys, json, threading, Pyro4
Pyro4.config.SERIALIZERS_ACCEPTED = {'serpent', 'json'}
Pyro4.config.COMPRESSION = True
@Pyro4.expose
class Metadata(object):
    def __init__(self): self.notes, self.produced = [], 0
    def cluster_name(self): return 'billing'
    def site_id(self): return 7
    def cluster_role(self, verbose=False): return 'primary (elected)' if verbose else 'primary'
    def am_i_disabled(self, node_id): return node_id == 'node03'
    def fail(self): raise ValueError('python says no')
    def echo(self, *args, **kwargs): return [list(args), kwargs]
    @Pyro4.oneway
    def note(self, text): self.notes.append(text)
    def seen(self): return self.notes
    def count(self, n):
        for i in range(n):
            self.produced = i + 1
            yield i
    def made(self): return self.produced
md = Metadata()
daemon = Pyro4.Daemon(host='127.0.0.1')
if sys.argv[3]: daemon._pyroHmacKey = sys.argv[3].encode()
uri = daemon.register(md)
Pyro4.locateNS('127.0.0.1', int(sys.argv[1])).register(sys.argv[2], uri)
print(uri, flush=True)
threading.Thread(target=daemon.requestLoop, daemon=True).start()
sys.stdin.readline()
print(json.dumps(md.notes), flush=True)
`;

forEachTarget('pyro4 lookupPyro4', (target) => {
  let ns: PyroNameServer;
  const pys: SteppedPython[] = [];
  const python = async (name: string, key = ''): Promise<string> => {
    const py = startSteppedPython(DAEMON, [String(ns.port), name, key]);
    pys.push(py);
    return py.firstLine('the Python daemon');
  };
  before(async () => {
    if (!pyro4Available()) return;
    ns = await startPyroNameServer({ client: await connect(target()), port: 0 });
  });
  after(async () => {
    for (const py of pys) await py.finish().catch(() => {});
    await ns?.close();
  });

  test('Node calls a Python Pyro4 object registered in Herd by Python: kwargs, exceptions, oneway, batch, streams', async (t) => {
    if (!requirePyro4(t)) return;
    const name = `pymeta-${process.pid}`;
    const uri = await python(name);
    const client = await connect(target());
    await using md = await lookupPyro4(client, name, { callTimeout: 20000 });
    assert.equal(await md.cluster_name!(), 'billing');
    assert.equal(await md.am_i_disabled!('node03'), true);
    assert.equal(await md.cluster_role!(), 'primary');
    assert.equal(await md.cluster_role!(pyKwargs({ verbose: true })), 'primary (elected)');
    assert.deepEqual(await md.echo!(1, 2n ** 70n, pyKwargs({ k: 'v' })), [[1, 2n ** 70n], { k: 'v' }]);
    // The daemon has COMPRESSION on: a reply over 200 bytes arrives zlib-compressed.
    assert.deepEqual(await md.echo!('z'.repeat(5000)), [['z'.repeat(5000)], {}]);
    const error = await md.fail!().catch((e: unknown) => e);
    assert.ok(error instanceof RemoteError);
    assert.equal(error.name, 'ValueError');
    assert.equal(error.message, 'python says no');
    assert.match(String((error.cause as Error).stack), /Traceback[\s\S]*python says no/);
    // oneway per the metadata: resolves without a reply; the next call sees it done (Pyro4 runs it in its own thread).
    assert.equal(await md.note!('fire'), undefined);
    await waitFor(async () => ((await md.seen!()) as string[]).includes('fire'), 10000, 'the oneway call');
    assert.deepEqual(await batchPyro4(md, [['cluster_name'], ['am_i_disabled', 'node03'], ['cluster_role', pyKwargs({ verbose: true })]]), ['billing', true, 'primary (elected)']);
    const failed = await batchPyro4(md, [['cluster_name'], ['fail'], ['note', 'never']]).catch((e: unknown) => e);
    assert.ok(failed instanceof RemoteError && failed.name === 'ValueError', String(failed));
    // A generator is read lazily: three items taken, the Python side made no more than asked.
    const items = (await md.count!(1000)) as AsyncIterable<number>;
    const taken: number[] = [];
    for await (const i of items) {
      taken.push(i);
      if (taken.length === 3) break;
    }
    assert.deepEqual(taken, [0, 1, 2]);
    assert.ok(((await md.made!()) as number) <= 4, 'the generator ran ahead of the reader');
    const all: number[] = [];
    for await (const i of (await md.count!(5)) as AsyncIterable<number>) all.push(i);
    assert.deepEqual(all, [0, 1, 2, 3, 4]);
    // The same object by URI, by PYRONAME through the name server, and in json.
    await using direct = await lookupPyro4(client, uri, { callTimeout: 20000, serializer: 'json' });
    assert.equal(await direct.site_id!(), 7);
    assert.deepEqual(await direct.echo!([1.5, 'x'], null, pyKwargs({ n: NaN })), [[[1.5, 'x'], null], { n: NaN }]);
    assert.deepEqual(await batchPyro4(direct, [['cluster_name'], ['site_id']]), ['billing', 7]);
    const jsonError = await direct.fail!().catch((e: unknown) => e);
    assert.ok(jsonError instanceof RemoteError && jsonError.name === 'ValueError');
    await using named = await lookupPyro4(client, `PYRONAME:${name}@127.0.0.1:${ns.port}`, { callTimeout: 20000 });
    assert.equal(await named.cluster_name!(), 'billing');
    // The seed's scenario from Python too: the Python Metadata through Herd's name server by PYRONAME.
    const fromPython = await runPython(
      `
import sys, Pyro4
md = Pyro4.Proxy('PYRONAME:%s@127.0.0.1:%s' % (sys.argv[1], sys.argv[2]))
print([md.cluster_name(), md.site_id(), md.cluster_role(verbose=True), md.am_i_disabled('node03')])
`,
      [name, String(ns.port)],
    );
    assert.equal(fromPython.trim(), "['billing', 7, 'primary (elected)', True]");
  });

  test('HMAC must match; a proxy by name rebinds when the Python object moves', async (t) => {
    if (!requirePyro4(t)) return;
    const client = await connect(target());
    const keyedName = `pykeyed-${process.pid}`;
    await python(keyedName, 'sesame');
    await using keyed = await lookupPyro4(client, keyedName, { hmacKey: 'sesame', callTimeout: 20000 });
    assert.equal(await keyed.cluster_name!(), 'billing');
    const wrong = await lookupPyro4(client, keyedName, { hmacKey: 'wrong', callTimeout: 20000 }).catch((e: unknown) => e);
    assert.ok(wrong instanceof ProtocolError || wrong instanceof RpcConnectionError, String(wrong));
    const none = await lookupPyro4(client, keyedName, { callTimeout: 20000 }).catch((e: unknown) => e);
    assert.ok(none instanceof ProtocolError || none instanceof RpcConnectionError, String(none));

    const name = `pymoving-${process.pid}`;
    const first = await python(name);
    await using md = await lookupPyro4(client, name, { callTimeout: 20000 });
    assert.equal(await md.site_id!(), 7);
    await pys.pop()!.finish();
    const second = await python(name);
    assert.notEqual(second, first);
    await sleep(200); // the old connection's close has arrived
    assert.equal(await md.site_id!(), 7);
  });
}, { targets: ['herd'] });
