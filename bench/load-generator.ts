/**
 * A lean pipelined ZooKeeper load generator: N connections, each keeping K
 * requests outstanding (default 8 x 64), 100-byte values, getData / setData
 * in a chosen mix over a fixed set of znodes. It speaks the wire protocol
 * through bench/wire.ts (src/jute codecs, templates, no client library), so
 * the same bytes go to Herd's server and to ZooKeeper and the generator
 * costs as little CPU as possible. It runs in the bench process; the server
 * under test is always a separate process.
 *
 * Also: single-connection unpipelined latency, pipelined create rate, and
 * a readiness probe for restart-to-serving time.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../src/jute/error-codes.js';
import { Samples, sleep } from './stats.js';
import { OPEN_ACL, request, template, WireConnection, type Template } from './wire.js';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface LoadOptions {
  connections: number;
  /** Requests each connection keeps in flight. */
  outstanding: number;
  /** Share of getData among requests (1 = reads only, 0 = writes only). */
  readFraction: number;
  warmupMs: number;
  durationMs: number;
  /** Znodes the load spreads over (`/bench/n<i>`). */
  nodeCount: number;
  valueSize: number;
  /** Optional CPU-time probe of the server process, ms. */
  serverCpu?: () => number;
}

export interface LoadResult {
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50: number;
  p99: number;
  /** Replies with a non-zero error code during the window. */
  errors: number;
  /** Server CPU time per 100,000 ops during the window, ms (NaN without a probe). */
  serverCpuPer100k: number;
}

export const DEFAULT_LOAD: LoadOptions = {
  connections: 8,
  outstanding: 64,
  readFraction: 0.9,
  warmupMs: 1_000,
  durationMs: 4_000,
  nodeCount: 1_000,
  valueSize: 100,
};

const BENCH_ROOT = '/bench';

function nodePath(i: number): string {
  return `${BENCH_ROOT}/n${String(i).padStart(6, '0')}`;
}

/** Creates `/bench/n<i>` (i < count) with `valueSize`-byte values; existing ones are kept. */
export async function prepareNodes(server: Endpoint, count: number, valueSize: number): Promise<void> {
  const conn = await WireConnection.open(server.host, server.port);
  try {
    const value = randomBytes(valueSize);
    const rootErr = await request(conn, template('create', { path: BENCH_ROOT, data: null, acl: OPEN_ACL, flags: 0 }));
    if (rootErr !== 0 && rootErr !== ErrorCode.NODEEXISTS) throw new Error(`create ${BENCH_ROOT}: error ${rootErr}`);
    const bad: number[] = [];
    let next = 0;
    await new Promise<void>((resolve) => {
      let done = 0;
      conn.onReply = (err) => {
        if (err !== 0 && err !== ErrorCode.NODEEXISTS) bad.push(err);
        if (++done === count) resolve();
        else if (next < count) conn.send(template('create', { path: nodePath(next++), data: value, acl: OPEN_ACL, flags: 0 }));
      };
      for (let i = 0; i < Math.min(64, count); i++) {
        conn.send(template('create', { path: nodePath(next++), data: value, acl: OPEN_ACL, flags: 0 }));
      }
      if (count === 0) resolve();
    });
    if (bad.length > 0) throw new Error(`prepareNodes: ${bad.length} creates failed (first error ${bad[0]})`);
  } finally {
    await conn.closeSession();
  }
}

/**
 * Runs the load: every connection fills its window, then sends a new request
 * for each reply. Warm-up replies are not counted; the window's figures are.
 */
export async function runLoad(server: Endpoint, options: Partial<LoadOptions> = {}): Promise<LoadResult> {
  const o = { ...DEFAULT_LOAD, ...options };
  const value = randomBytes(o.valueSize);
  const reads: Template[] = [];
  const writes: Template[] = [];
  for (let i = 0; i < o.nodeCount; i++) {
    reads.push(template('getData', { path: nodePath(i), watch: false }));
    writes.push(template('setData', { path: nodePath(i), data: value, version: -1 }));
  }
  const pick = (): Template => {
    const i = (Math.random() * o.nodeCount) | 0;
    return Math.random() < o.readFraction ? reads[i]! : writes[i]!;
  };

  const conns = await Promise.all(Array.from({ length: o.connections }, () => WireConnection.open(server.host, server.port)));
  const samples = new Samples();
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
  let ops = 0;
  let errors = 0;
  for (const conn of conns) {
    conn.onReply = (err, latency) => {
      if (phase === 'measure') {
        ops++;
        if (err !== 0) errors++;
        samples.add(latency);
      }
      if (phase !== 'stop') conn.send(pick());
    };
    for (let i = 0; i < o.outstanding; i++) conn.send(pick());
  }
  await sleep(o.warmupMs);
  phase = 'measure';
  const cpu0 = o.serverCpu?.() ?? NaN;
  const t0 = performance.now();
  await sleep(o.durationMs);
  phase = 'stop';
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = o.serverCpu?.() ?? NaN;
  await Promise.all(conns.map((c) => c.drain()));
  const closed = conns.filter((c) => c.closed && c.outstanding > 0).length;
  await Promise.all(conns.map((c) => c.closeSession()));
  if (closed > 0) throw new Error(`${closed} connections were closed by the server during the load`);
  const { p50, p99 } = samples.summary();
  return { ops, seconds, opsPerSec: ops / seconds, p50, p99, errors, serverCpuPer100k: ((cpu1 - cpu0) / ops) * 100_000 };
}

/** One connection, one request at a time: the latency a lone caller sees. */
export function runSequential(
  server: Endpoint,
  kind: 'read' | 'write',
  options: Partial<LoadOptions> = {},
): Promise<LoadResult> {
  return runLoad(server, {
    warmupMs: 1_000,
    durationMs: 3_000,
    ...options,
    connections: 1,
    outstanding: 1,
    readFraction: kind === 'read' ? 1 : 0,
  });
}

// ---- scale: creates, memory, restart --------------------------------------------

const SCALE_ROOT = '/scale';
/** Children per parent: a million znodes spread over a thousand parents, not one huge child list. */
const FANOUT = 1_000;

function parentPath(p: number): string {
  return `${SCALE_ROOT}/p${String(p).padStart(5, '0')}`;
}

/** The path of the i-th scale znode; fixed width, so one template can be patched for every i. */
export function scalePath(i: number): string {
  return `${parentPath(Math.floor(i / FANOUT))}/n${String(i).padStart(8, '0')}`;
}

export interface CreateResult {
  count: number;
  seconds: number;
  createsPerSec: number;
  p50: number;
  p99: number;
}

/**
 * Creates `count` persistent znodes of `valueSize` bytes, pipelined over
 * `connections` x `outstanding`. Parents (one per thousand) are created
 * first and are not counted.
 */
export async function runCreates(
  server: Endpoint,
  count: number,
  options: { connections?: number; outstanding?: number; valueSize?: number } = {},
): Promise<CreateResult> {
  const connections = options.connections ?? 8;
  const outstanding = options.outstanding ?? 64;
  const value = randomBytes(options.valueSize ?? 100);
  const setup = await WireConnection.open(server.host, server.port);
  try {
    const parents = [SCALE_ROOT];
    for (let p = 0; p * FANOUT < count; p++) parents.push(parentPath(p));
    for (const path of parents) {
      const err = await request(setup, template('create', { path, data: null, acl: OPEN_ACL, flags: 0 }));
      if (err !== 0 && err !== ErrorCode.NODEEXISTS) throw new Error(`create ${path}: error ${err}`);
    }
  } finally {
    await setup.closeSession();
  }

  // One encoded create whose path digits are rewritten per request.
  const base = template('create', { path: scalePath(0), data: value, acl: OPEN_ACL, flags: 0 }).bytes;
  const pathAt = 4 + 8 + 4; // frame length, request header, string length
  const encode = (i: number): Template => {
    const bytes = Buffer.from(base);
    bytes.write(scalePath(i), pathAt, 'latin1');
    return { bytes };
  };

  const conns = await Promise.all(Array.from({ length: connections }, () => WireConnection.open(server.host, server.port)));
  const samples = new Samples();
  let next = 0;
  let done = 0;
  let failed = 0;
  let firstError = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    for (const conn of conns) {
      conn.onReply = (err, latency) => {
        samples.add(latency);
        if (err !== 0) {
          failed++;
          firstError ||= err;
        }
        if (++done === count) resolve();
        else if (next < count) conn.send(encode(next++));
      };
      for (let k = 0; k < outstanding && next < count; k++) conn.send(encode(next++));
    }
    // A connection the server closed would leave its creates unanswered forever.
    const watchdog = setInterval(() => {
      if (done === count || conns.some((c) => c.closed)) {
        clearInterval(watchdog);
        resolve();
      }
    }, 100);
  });
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(conns.map((c) => c.closeSession()));
  if (done < count) throw new Error(`creates stopped after ${done}/${count}: a connection closed`);
  if (failed > 0) throw new Error(`${failed} of ${count} creates failed (first error ${firstError})`);
  const { p50, p99 } = samples.summary();
  return { count, seconds, createsPerSec: count / seconds, p50, p99 };
}

/**
 * Polls until a getData of `path` succeeds on a new session, every `everyMs`.
 * Resolves with the time it succeeded (performance.now()).
 */
export async function waitUntilServing(server: Endpoint, path: string, timeoutMs = 600_000, everyMs = 10): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  const probe = template('getData', { path, watch: false });
  for (;;) {
    try {
      const conn = await WireConnection.open(server.host, server.port, 2_000);
      try {
        const err = await Promise.race([request(conn, probe), sleep(5_000).then(() => -999)]);
        if (err === 0) {
          const at = performance.now();
          await conn.closeSession();
          return at;
        }
        if (err !== ErrorCode.CONNECTIONLOSS && err !== -999) throw new Error(`getData ${path} after restart: error ${err}`);
      } finally {
        conn.close();
      }
    } catch (err) {
      if ((err as Error).message.startsWith('getData')) throw err;
      // Not listening yet, or refused the session while loading: try again.
    }
    if (performance.now() > deadline) throw new Error(`server not serving ${path} within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}
