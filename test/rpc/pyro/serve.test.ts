/**
 * Node objects served to stock Python Pyro4 4.82 proxies (servePyro4),
 * found through Herd's Pyro4 name server: the Metadata class
 * written in TypeScript, keyword arguments, exceptions with the remote
 * traceback, oneway, batch, a lazily consumed item stream, HMAC match and
 * mismatch, a refused pickle serializer, and deny-by-default exposure.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { callContext } from '../../../src/rpc/index.js';
import { PythonError, servePyro4, startPyroNameServer, type PyroNameServer, type PyroServed } from '../../../src/rpc/pyro/index.js';
import { connect, forEachTarget, waitFor } from '../../support/targets.js';
import { pyro4Available, requirePyro4, runPython, startSteppedPython, waitUntilKnown } from './support.js';

class Metadata {
  readonly disabled = new Set(['node03']);
  notes: string[] = [];
  produced = 0;
  cluster_name(): string {
    return 'billing';
  }
  site_id(): number {
    return 7;
  }
  async cluster_role(options?: { verbose?: boolean }): Promise<string> {
    return options?.verbose ? 'primary (elected)' : 'primary';
  }
  am_i_disabled(nodeId: string): boolean {
    return this.disabled.has(nodeId);
  }
  echo(...args: unknown[]): unknown[] {
    return args;
  }
  fail(kind: string): never {
    if (kind === 'value') throw new RangeError('bad value');
    if (kind === 'key') throw Object.assign(new Error('no such key'), { name: 'KeyError' });
    if (kind === 'python') throw new PythonError('Pyro4.errors.NamingError', 'as Pyro would');
    throw new Error('plain failure');
  }
  note(text: string): void {
    this.notes.push(text);
  }
  async *count(n: number): AsyncGenerator<number> {
    for (let i = 0; i < n; i++) {
      this.produced = i + 1;
      yield i;
    }
  }
  deadline(): boolean {
    return callContext() !== undefined;
  }
  hidden(): string {
    return 'never';
  }
}

const EXPOSE = ['cluster_name', 'site_id', 'cluster_role', 'am_i_disabled', 'echo', 'fail', 'note', 'count', 'deadline'];

const SCRIPT = `
import json, sys, Pyro4, Pyro4.errors, Pyro4.util
Pyro4.config.COMMTIMEOUT = 10
ns_port, name = int(sys.argv[1]), sys.argv[2]
out = {}
md = Pyro4.Proxy('PYRONAME:%s@127.0.0.1:%d' % (name, ns_port))
out['calls'] = [md.cluster_name(), md.site_id(), md.cluster_role(), md.cluster_role(verbose=True), md.am_i_disabled('node03'), md.am_i_disabled('node01')]
out['echo'] = repr(md.echo(1, 2**70, 1.5, 'x', b'by', [1, (2, 3)], {'k': None}, {4}))
out['context'] = md.deadline()
Pyro4.config.COMPRESSION = True
out['compressed'] = md.echo('z' * 5000) == ['z' * 5000]
Pyro4.config.COMPRESSION = False
for kind in ['value', 'key', 'python', 'plain']:
    try:
        md.fail(kind)
    except Exception as e:
        out[kind] = [type(e).__module__ + '.' + type(e).__name__, str(e), 'Node.js' in ''.join(Pyro4.util.getPyroTraceback())]
try:
    md.hidden()
except Exception as e:
    out['hidden'] = type(e).__name__
out['oneway'] = sorted(md._pyroOneway)
md.note('fire and forget')
with Pyro4.batch(md) as b:
    b.cluster_name()
    b.am_i_disabled('node03')
    b.fail('value')
    b.site_id()
    results = b()
collected = []
try:
    for r in results:
        collected.append(r)
except ValueError as e:
    collected.append('raised ' + str(e))
out['batch'] = collected
it = md.count(1000)
out['stream_first'] = [next(it), next(it), next(it)]
print(json.dumps(out))
sys.stdout.flush()
sys.stdin.readline()
out2 = {'stream_rest': sum(1 for _ in it)}
print(json.dumps(out2))
`;

forEachTarget('pyro4 servePyro4', (target) => {
  let ns: PyroNameServer;
  let served: PyroServed;
  let md: Metadata;
  let name: string;
  before(async () => {
    if (!pyro4Available()) return;
    const client = await connect(target());
    ns = await startPyroNameServer({ client, port: 0 });
    md = new Metadata();
    name = `metadata-${process.pid}-${target().name}`;
    served = await servePyro4(client, name, md, { expose: EXPOSE, oneway: ['note'], metadata: ['cluster'], timeout: 20000 });
    await waitUntilKnown(ns.port, name);
  });
  after(async () => {
    await served?.close();
    await ns?.close();
  });

  test('a Python proxy calls the TypeScript Metadata through PYRONAME', async (t) => {
    if (!requirePyro4(t)) return;
    const py = startSteppedPython(SCRIPT, [String(ns.port), name]);
    const out = JSON.parse(await py.firstLine('the first part of the Python script')) as Record<string, unknown>;
    // The stream is lazy: the Python side took three items, the generator made no more than that.
    assert.ok(md.produced <= 4, `produced ${md.produced} items for 3 read`);
    const rest = JSON.parse((await py.finish())[0]!) as Record<string, unknown>;
    assert.deepEqual(out.calls, ['billing', 7, 'primary', 'primary (elected)', true, false]);
    assert.equal(out.echo, "[1, 1180591620717411303424, 1.5, 'x', {'data': 'Ynk=', 'encoding': 'base64'}, [1, (2, 3)], {'k': None}, {4}]");
    assert.equal(out.context, true);
    assert.equal(out.compressed, true, 'a call with Pyro4.config.COMPRESSION (zlib) is answered');
    assert.deepEqual(out.value, ['builtins.ValueError', 'bad value', true]);
    assert.deepEqual(out.key, ['builtins.KeyError', "'no such key'", true]);
    assert.deepEqual(out.python, ['Pyro4.errors.NamingError', 'as Pyro would', true]);
    assert.deepEqual(out.plain, ['Pyro4.errors.PyroError', 'Error: plain failure', true]);
    assert.equal(out.hidden, 'AttributeError');
    assert.deepEqual(out.oneway, ['note']);
    assert.deepEqual(out.batch, ['billing', true, 'raised bad value']);
    assert.deepEqual(out.stream_first, [0, 1, 2]);
    assert.deepEqual(rest.stream_rest, 997);
    await waitFor(() => md.notes.length === 1, 10000, 'the oneway call');
    assert.deepEqual(md.notes, ['fire and forget']);
  });

  test('ns.list shows the served name; HMAC must match; pickle is refused', async (t) => {
    if (!requirePyro4(t)) return;
    const client = await connect(target());
    const keyed = await servePyro4(client, `${name}-hmac`, md, { expose: ['cluster_name'], hmacKey: 'sesame', timeout: 20000 });
    try {
      const out = JSON.parse(
        await runPython(
          `
import json, sys, Pyro4, Pyro4.errors
Pyro4.config.COMMTIMEOUT = 10
ns = Pyro4.locateNS('127.0.0.1', int(sys.argv[1]))
out = {'listed': ns.list(metadata_any=['cluster']), 'lookup': str(ns.lookup(sys.argv[2]))}
p = Pyro4.Proxy(sys.argv[3]); p._pyroHmacKey = b'sesame'
out['match'] = p.cluster_name()
for key in [b'wrong', None]:
    p = Pyro4.Proxy(sys.argv[3]); p._pyroHmacKey = key
    try:
        p.cluster_name(); out[str(key)] = 'called'
    except Pyro4.errors.PyroError as e:
        out[str(key)] = type(e).__name__ + ': ' + str(e)
Pyro4.config.SERIALIZER = 'pickle'
try:
    Pyro4.Proxy(sys.argv[4]).cluster_name(); out['pickle'] = 'called'
except Pyro4.errors.PyroError as e:
    out['pickle'] = str(e)
print(json.dumps(out))
`,
          [String(ns.port), name, keyed.uri, served.uri],
        ),
      ) as Record<string, unknown>;
      assert.deepEqual(out.listed, { [name]: served.uri });
      assert.equal(out.lookup, served.uri);
      assert.equal(out.match, 'billing');
      assert.match(String(out["b'wrong'"]), /hmac mismatch/);
      assert.match(String(out.None), /hmac key config not symmetric/);
      assert.match(String(out.pickle), /pickle runs code when it loads data/);
    } finally {
      await keyed.close();
    }
  });
});
