/**
 * One client library under load, alone in its own process so its CPU time
 * can be measured: Herd's client or node-zookeeper-client, C sessions each
 * keeping K getData/setData requests in flight over `/bench/n<i>` (100-byte
 * values). Each library is driven through its own native style (promises
 * for Herd, callbacks for node-zookeeper-client) with the same loop: a slot
 * issues its next request as soon as its previous one completes.
 *
 * `herd-baseline` is Herd's client of another build (`herdModule`, that
 * build's src/client/index.js), loaded by path, for before/after runs.
 *
 * Usage (by bench/clients.ts): node client-driver.js '<json DriverConfig>'
 * Prints one JSON line (DriverResult) on stdout.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import zookeeper from 'node-zookeeper-client';
import { createClient } from '../src/client/index.js';
import { cpuTimeOf, Samples, sleep } from './stats.js';

export interface DriverConfig {
  client: 'herd' | 'nzc' | 'herd-baseline';
  /** For `herd-baseline`: the path of that build's src/client/index.js. */
  herdModule?: string;
  connectionString: string;
  clients: number;
  outstanding: number;
  readFraction: number;
  warmupMs: number;
  durationMs: number;
  nodeCount: number;
  valueSize: number;
  /** The server's process id, to measure its CPU time during the same window (Linux /proc). */
  serverPid?: number;
}

export interface DriverResult {
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  /** User + system CPU of this process during the window, per 100,000 ops, ms. */
  cpuPer100k: number;
  /** The server process's CPU during the same window, per 100,000 ops, ms (NaN without `serverPid`). */
  serverCpuPer100k: number;
}

type Done = (ok: boolean) => void;

interface Session {
  get(path: string, done: Done): void;
  set(path: string, data: Buffer, done: Done): void;
  close(): Promise<void>;
}

type CreateClient = typeof createClient;

async function herdSession(cs: string, create: CreateClient = createClient): Promise<Session> {
  const client = create(cs, { sessionTimeout: 30_000 });
  await client.connect();
  return {
    get: (path, done) => {
      client.getData(path).then(
        () => done(true),
        () => done(false),
      );
    },
    set: (path, data, done) => {
      client.setData(path, data, -1).then(
        () => done(true),
        () => done(false),
      );
    },
    close: () => client.close(),
  };
}

async function nzcSession(cs: string): Promise<Session> {
  const client = zookeeper.createClient(cs, { sessionTimeout: 30_000 });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('node-zookeeper-client: connect timed out')), 15_000);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
    client.connect();
  });
  return {
    get: (path, done) => client.getData(path, (err) => done(!err)),
    set: (path, data, done) => client.setData(path, data, -1, (err) => done(!err)),
    close: async () => client.close(),
  };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as DriverConfig;
  let open: (cs: string) => Promise<Session> = config.client === 'herd' ? herdSession : nzcSession;
  if (config.client === 'herd-baseline') {
    if (config.herdModule === undefined) throw new Error('herd-baseline needs herdModule');
    const other = (await import(pathToFileURL(config.herdModule).href)) as { createClient: CreateClient };
    open = (cs) => herdSession(cs, other.createClient);
  }
  const sessions = await Promise.all(Array.from({ length: config.clients }, () => open(config.connectionString)));
  const paths = Array.from({ length: config.nodeCount }, (_, i) => `/bench/n${String(i).padStart(6, '0')}`);
  const value = randomBytes(config.valueSize);
  const samples = new Samples();
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
  let ops = 0;
  let errors = 0;
  let inFlight = 0;

  const issue = (s: Session): void => {
    const path = paths[(Math.random() * paths.length) | 0]!;
    const started = performance.now();
    inFlight++;
    const done: Done = (ok) => {
      inFlight--;
      if (phase === 'measure') {
        ops++;
        if (!ok) errors++;
        samples.add(performance.now() - started);
      }
      if (phase !== 'stop') issue(s);
    };
    if (Math.random() < config.readFraction) s.get(path, done);
    else s.set(path, value, done);
  };

  for (const s of sessions) for (let k = 0; k < config.outstanding; k++) issue(s);
  await sleep(config.warmupMs);
  const serverCpu = (): number => (config.serverPid === undefined ? NaN : cpuTimeOf(config.serverPid));
  phase = 'measure';
  const server0 = serverCpu();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(config.durationMs);
  phase = 'stop';
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const serverMs = serverCpu() - server0;
  const deadline = Date.now() + 30_000;
  while (inFlight > 0 && Date.now() < deadline) await sleep(5);
  await Promise.all(sessions.map((s) => s.close()));
  const { p50, p99 } = samples.summary();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const result: DriverResult = {
    ops,
    seconds,
    opsPerSec: ops / seconds,
    p50,
    p99,
    errors,
    cpuPer100k: (cpuMs / ops) * 100_000,
    serverCpuPer100k: (serverMs / ops) * 100_000,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  // node-zookeeper-client may keep timers alive after close.
  setTimeout(() => process.exit(0), 200).unref();
}

main().catch((err: unknown) => {
  process.stderr.write(`client-driver: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
