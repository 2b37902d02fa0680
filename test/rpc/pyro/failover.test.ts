/**
 * Two `herd rpc pyro-ns` processes over one coordination store, driven by
 * Pyro4's own tools (`python3 -m Pyro4.nsc`) and proxies: a registration
 * made through one is seen through the other; after one is SIGKILLed, a
 * Python proxy that looks up through the other keeps working.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { servePyro4, type PyroServed } from '../../../src/rpc/pyro/index.js';
import { PYTHON } from '../../support/interop.js';
import { sigkill } from '../../support/processes.js';
import { connect, forEachTarget, waitFor } from '../../support/targets.js';
import { pyro4Available, requirePyro4, startSteppedPython } from './support.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../../src/cli/main.js');

/** A `herd rpc pyro-ns` child on a free port; resolves with it and its port once it prints its URI. */
async function startNs(connectionString: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [CLI, 'rpc', 'pyro-ns', '--port', '0', '--connect', connectionString], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  await waitFor(() => /serving PYRO:\S+:\d+\n/.test(out) || child.exitCode !== null, 20000, 'pyro-ns to start');
  const m = /serving PYRO:Pyro\.NameServer@127\.0\.0\.1:(\d+)/.exec(out);
  assert.ok(m, `pyro-ns did not start: ${out}${err}`);
  return { child, port: Number(m[1]) };
}

function nsc(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-m', 'Pyro4.nsc', '-n', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`nsc ${args.join(' ')} exited ${code}: ${out}`))));
  });
}

forEachTarget('pyro4 name server failover', (target) => {
  let a: { child: ChildProcess; port: number };
  let b: { child: ChildProcess; port: number };
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
    const listed = await nsc(b.port, 'list', tag);
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
