/**
 * The Pyro4 suite of `npm run bench -- --only pyro4` (issue 12's
 * benchmark). The caller is always a stock Python Pyro4 4.82 proxy (one
 * process, one call at a time, as Pyro4 proxies call), so only the server
 * side differs:
 *
 * - a trivial method (`ping()` returning 1) served by a Python
 *   `Pyro4.Daemon` (its default threaded server) against the same method
 *   served by Herd over Pyro4 (servePyro4): calls/s and p50;
 * - `ns.lookup(name)` against `python3 -m Pyro4.naming` (Pyro4's own name
 *   server, in-memory) against Herd's name server (names in the
 *   coordination store, an embedded Herd server in this process, answered
 *   from its watched in-memory copy).
 *
 * Both sides of a row run in alternating rounds (see {@link alternate}).
 *
 * Herd's daemon and name server run in this process; Python's in their
 * own. The machine is shared: the figures are what this run saw.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createClient } from '../src/client/index.js';
import { servePyro4, startPyroNameServer } from '../src/rpc/pyro/index.js';
import { TestingServer } from '../src/testing/index.js';
import { log, type Row, type Section } from './stats.js';

const PYTHON = '/usr/bin/python3';

/** Lengths of the pyro4 suite. */
export interface Pyro4BenchOptions {
  /** Calls (and lookups) timed per side, after `warmup`. */
  calls: number;
  /** Untimed calls first (in each round). */
  warmup: number;
  /**
   * Rounds the calls are split into, Pyro4 and Herd alternating (which goes
   * first alternates too), so that a load that comes and goes on a shared
   * machine falls on both sides alike.
   */
  rounds: number;
}

/** A run of a few minutes on a quiet machine. */
export const DEFAULT_PYRO4_BENCH: Pyro4BenchOptions = { calls: 20_000, warmup: 1_000, rounds: 4 };
/** The smoke run: every row measured, figures meaningless. */
export const SMOKE_PYRO4_BENCH: Pyro4BenchOptions = { calls: 200, warmup: 20, rounds: 2 };

/** The Python daemon: serves Thing, prints its URI, runs until stdin closes. */
const DAEMON = `
import sys, threading, Pyro4
@Pyro4.expose
class Thing(object):
    def ping(self): return 1
d = Pyro4.Daemon(host='127.0.0.1')
print(d.register(Thing(), 'bench'), flush=True)
threading.Thread(target=d.requestLoop, daemon=True).start()
sys.stdin.read()
`;

/** The Python caller: argv mode ('calls' URI | 'lookup' NSPORT), count, warmup; prints "<per second> <p50 ms>". */
const CALLER = `
import sys, time, Pyro4
mode, target, n, warm = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if mode == 'calls':
    p = Pyro4.Proxy(target); f = p.ping
else:
    p = Pyro4.locateNS('127.0.0.1', int(target)); p.register('bench.thing', 'PYRO:bench@127.0.0.1:1'); f = lambda: p.lookup('bench.thing')
for _ in range(warm): f()
lat = []
start = time.perf_counter()
for _ in range(n):
    t = time.perf_counter(); f(); lat.append(time.perf_counter() - t)
total = time.perf_counter() - start
lat.sort()
print(n / total, lat[len(lat) // 2] * 1000)
`;

function python(args: readonly string[]): ChildProcess {
  return spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Resolves with the child's first line of output matching `pattern`; rejects with its stderr when it exits first. */
function firstLine(child: ChildProcess, what: string, pattern = /./): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').slice(0, -1).find((l) => pattern.test(l));
      if (line !== undefined) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`${what} exited ${code}: ${err}`)));
  });
}

interface Measured {
  perSecond: number;
  p50: number;
}

async function measure(mode: 'calls' | 'lookup', target: string, calls: number, warmup: number): Promise<Measured> {
  const child = python(['-c', CALLER, mode, target, String(calls), String(warmup)]);
  child.stdin!.end();
  const line = await firstLine(child, `the Python ${mode} caller`);
  const [perSecond, p50] = line.split(' ').map(Number) as [number, number];
  return { perSecond, p50 };
}

/**
 * Measures Pyro4's side and Herd's in `o.rounds` alternating rounds of
 * `o.calls / o.rounds` each; a side's rate is its calls over its summed
 * time, its p50 the median of its rounds' p50s.
 */
async function alternate(mode: 'calls' | 'lookup', pyTarget: string, herdTarget: string, o: Pyro4BenchOptions): Promise<{ py: Measured; herd: Measured }> {
  const per = Math.max(1, Math.round(o.calls / o.rounds));
  const runs: { py: Measured[]; herd: Measured[] } = { py: [], herd: [] };
  for (let round = 0; round < o.rounds; round++) {
    const order = round % 2 === 0 ? (['py', 'herd'] as const) : (['herd', 'py'] as const);
    for (const side of order) runs[side].push(await measure(mode, side === 'py' ? pyTarget : herdTarget, per, o.warmup));
  }
  const combine = (ms: Measured[]): Measured => ({
    perSecond: (per * ms.length) / ms.reduce((sum, m) => sum + per / m.perSecond, 0),
    p50: median(ms.map((m) => m.p50)),
  });
  return { py: combine(runs.py), herd: combine(runs.herd) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  return exited;
}

/** Runs the suite: Herd against Pyro4's own daemon and name server, a Python Pyro4 caller on both. */
export async function pyro4BenchSections(o: Pyro4BenchOptions): Promise<Section[]> {
  const server = await TestingServer.start();
  const client = createClient(server.connectionString, { sessionTimeout: 30_000 });
  const children: ChildProcess[] = [];
  try {
    await client.connect();
    const daemon = python(['-c', DAEMON]);
    children.push(daemon);
    const pythonUri = await firstLine(daemon, 'the Python Pyro4 daemon');
    await using served = await servePyro4(client, 'bench', { ping: () => 1 }, { expose: ['ping'] });
    log(`pyro4: ${o.calls} calls one at a time from a Python proxy, Pyro4 daemon and Herd alternating in ${o.rounds} rounds`);
    const { py, herd } = await alternate('calls', pythonUri, served.uri, o);

    const nsPort = await freePort();
    // -u: its "NS running" line is printed unflushed.
    const pyNs = python(['-u', '-m', 'Pyro4.naming', '-n', '127.0.0.1', '-p', String(nsPort)]);
    children.push(pyNs);
    await firstLine(pyNs, 'python3 -m Pyro4.naming', /NS running/);
    await using herdNs = await startPyroNameServer({ client, port: 0 });
    log(`pyro4: ${o.calls} ns.lookup from a Python proxy, Pyro4.naming and Herd alternating in ${o.rounds} rounds`);
    const { py: pyLookup, herd: herdLookup } = await alternate('lookup', String(nsPort), String(herdNs.port), o);
    const rows: Row[] = [
      { metric: 'trivial call, calls/s', candidate: herd.perSecond, baseline: py.perSecond, unit: 'calls/s', better: 'higher', target: 1 },
      { metric: 'trivial call, p50', candidate: herd.p50, baseline: py.p50, unit: 'ms', better: 'lower', target: 1 },
      { metric: 'ns.lookup/s', candidate: herdLookup.perSecond, baseline: pyLookup.perSecond, unit: 'lookups/s', better: 'higher', target: 1 },
      { metric: 'ns.lookup p50', candidate: herdLookup.p50, baseline: pyLookup.p50, unit: 'ms', better: 'lower' },
    ];
    return [
      {
        title: 'Pyro4: a Python Pyro4 proxy, one call at a time (Herd vs Pyro4 4.82 daemon and name server)',
        candidateName: 'Herd',
        baselineName: 'Pyro4',
        rows,
        notes: [
          `Each side measured in ${o.rounds} rounds, Pyro4 and Herd alternating; rate = calls / summed time, p50 = median of the rounds' p50s.`,
          "Herd's name server answers lookups from a watched in-memory copy of the registry (names in an embedded Herd server here); Pyro4.naming from memory.",
        ],
      },
    ];
  } finally {
    await Promise.all(children.map(stop));
    await client.close();
    await server.close();
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
