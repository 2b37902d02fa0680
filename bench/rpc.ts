/**
 * `npm run bench -- --only rpc` (issue 11's benchmark): calls per second,
 * p50 and p99 of one echo method (the argument comes back), one call at a
 * time and 64 in flight, with a ~50 B and a 10 KB string argument, in:
 * Herd's rpc, Moleculer 0.15 with its TCP transporter, @grpc/grpc-js (one
 * unary method, strings as raw UTF-8 bytes), and a raw Node TCP ping-pong
 * of length-prefixed frames of the same bytes (the ceiling). Each server
 * runs in its own process (bench/rpc-server.ts), so client and server CPU
 * per 100k calls are measured apart. All servers run at once and the
 * systems alternate in short windows (a load spike on a shared machine hits
 * them alike); the best window of each counts, and the median of paired
 * ratios (windows run back to back) is printed beside it. `RPC_BENCH_SYSTEMS=herd,raw` (environment) limits
 * the run to some systems, and `RPC_BENCH_SHAPES=50/1,10240/64` (size in
 * bytes / calls in flight) to some shapes, for profiling one against the
 * ceiling.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { ServiceBroker } from 'moleculer';
import { createClient } from '../src/client/index.js';
import { startServer } from '../src/server/server.js';
import { closeRemote, lookup } from '../src/rpc/index.js';
import { GRPC_SERVICE, type Echo, type RpcServerConfig, type RpcSystem } from './rpc-service.js';
import { cpuTimeOf, log, Samples, type Row, type Section } from './stats.js';

export interface RpcBenchOptions {
  warmupMs: number;
  durationMs: number;
  rounds: number;
  /** Argument sizes, bytes (a string of that many ASCII characters). */
  sizes: readonly number[];
  /** Calls in flight: 1 = one at a time. */
  concurrencies: readonly number[];
  /** Extra node arguments for the server processes (e.g. --cpu-prof). */
  nodeArgs: readonly string[];
}

export const DEFAULT_RPC_BENCH: RpcBenchOptions = { warmupMs: 500, durationMs: 2000, rounds: 2, sizes: [50, 10240], concurrencies: [1, 64], nodeArgs: [] };

const SYSTEMS: readonly RpcSystem[] = (process.env.RPC_BENCH_SYSTEMS?.split(',') as RpcSystem[] | undefined) ?? ['herd', 'moleculer', 'grpc', 'raw'];
const SHAPES: readonly string[] | undefined = process.env.RPC_BENCH_SHAPES?.split(',');
const SERVER = join(dirname(fileURLToPath(import.meta.url)), 'rpc-server.js');

/** One measured window. */
export interface RpcFigures {
  callsPerSec: number;
  p50: number;
  p99: number;
  /** This process's CPU (user + system) per 100,000 calls, ms. */
  clientCpuPer100k: number;
  /** The server process's CPU per 100,000 calls, ms. */
  serverCpuPer100k: number;
  errors: number;
}

/** A connected caller of one system: `call` echoes a string. */
interface Caller {
  call(value: string): Promise<unknown>;
  close(): Promise<void>;
}

interface Running {
  readonly process: ChildProcess;
  readonly port: number;
}

async function startServerProcess(config: RpcServerConfig, nodeArgs: readonly string[]): Promise<Running> {
  const child = spawn(process.execPath, [...nodeArgs, SERVER, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`rpc-server ${config.kind} exited with ${code}`)));
  });
  return { process: child, port: (JSON.parse(line) as { port: number }).port };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  // SIGINT lets --cpu-prof write its profile.
  child.kill('SIGINT');
  await exited;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts `system`'s server process and connects a caller to it. */
async function open(system: RpcSystem, coordination: string, nodeArgs: readonly string[]): Promise<{ caller: Caller; server: Running }> {
  switch (system) {
    case 'herd': {
      const name = `bench-echo-${process.pid}`;
      const server = await startServerProcess({ kind: 'herd', coordination, name }, nodeArgs);
      const client = createClient(coordination, { sessionTimeout: 30000 });
      await client.connect();
      const remote = await lookup<Echo>(client, name, { timeout: 10000 });
      return {
        server,
        caller: {
          call: (value) => remote.echo(value),
          close: async () => {
            await closeRemote(remote);
            await client.close();
          },
        },
      };
    }
    case 'grpc': {
      const server = await startServerProcess({ kind: 'grpc' }, nodeArgs);
      const Client = grpc.makeGenericClientConstructor(GRPC_SERVICE, 'Bench');
      const client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
        echo(value: string, callback: (error: grpc.ServiceError | null, value?: string) => void): void;
      };
      return {
        server,
        caller: {
          call: (value) => new Promise((resolve, reject) => client.echo(value, (error, back) => (error ? reject(error) : resolve(back)))),
          close: async () => client.close(),
        },
      };
    }
    case 'moleculer': {
      const [port, clientPort] = [await freePort(), await freePort()];
      const server = await startServerProcess({ kind: 'moleculer', port, clientPort }, nodeArgs);
      const broker = new ServiceBroker({
        nodeID: 'client',
        logger: false,
        transporter: { type: 'TCP', options: { udpDiscovery: false, port: clientPort, urls: `127.0.0.1:${port}/server` } },
      });
      await broker.start();
      await broker.waitForServices(['bench'], 20000);
      return {
        server,
        caller: {
          call: (value) => broker.call('bench.echo', { p: value }),
          close: () => broker.stop(),
        },
      };
    }
    case 'raw': {
      const server = await startServerProcess({ kind: 'raw' }, nodeArgs);
      return { server, caller: await rawCaller(server.port) };
    }
  }
}

/** Length-prefixed frames over one socket; replies come back in order, so waiting calls are a FIFO. */
async function rawCaller(port: number): Promise<Caller> {
  const socket: Socket = netConnect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const waiting: ((b: Buffer) => void)[] = [];
  let head = 0;
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const length = pending.readUInt32BE(0);
      if (pending.length < 4 + length) break;
      const payload = pending.subarray(4, 4 + length);
      pending = pending.subarray(4 + length);
      waiting[head++]!(payload);
      if (head > 4096) {
        waiting.splice(0, head);
        head = 0;
      }
    }
  });
  return {
    call: (value) =>
      new Promise((resolve) => {
        const payload = Buffer.from(value);
        const frame = Buffer.allocUnsafe(4 + payload.length);
        frame.writeUInt32BE(payload.length, 0);
        payload.copy(frame, 4);
        waiting.push((b) => resolve(b.toString()));
        socket.write(frame);
      }),
    close: async () => void socket.destroy(),
  };
}

/** Drives `caller` with `concurrency` loops for a warm-up and a measured window (ms; 0 for a warm-up alone). */
async function measure(caller: Caller, serverPid: number, value: string, concurrency: number, warmupMs: number, durationMs: number): Promise<RpcFigures> {
  const samples = new Samples();
  let phase: 'warmup' | 'measure' | 'done' = 'warmup';
  let calls = 0;
  let errors = 0;
  const loop = async (): Promise<void> => {
    while (phase !== 'done') {
      const started = performance.now();
      try {
        await caller.call(value);
      } catch {
        errors++;
        continue;
      }
      if (phase === 'measure') {
        samples.add(performance.now() - started);
        calls++;
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  await new Promise((r) => setTimeout(r, warmupMs));
  phase = 'measure';
  const cpu0 = process.cpuUsage();
  const server0 = cpuTimeOf(serverPid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  const seconds = (performance.now() - t0) / 1000;
  const measured = calls;
  const cpu = process.cpuUsage(cpu0);
  const serverCpu = cpuTimeOf(serverPid) - server0;
  phase = 'done';
  await Promise.all(loops);
  const { p50, p99 } = samples.summary();
  const per100k = (ms: number): number => (measured > 0 ? (ms / measured) * 100000 : NaN);
  return {
    callsPerSec: measured / seconds,
    p50,
    p99,
    clientCpuPer100k: per100k((cpu.user + cpu.system) / 1000),
    serverCpuPer100k: per100k(serverCpu),
    errors,
  };
}

const shapeKey = (size: number, concurrency: number): string => `${size}/${concurrency}`;
const shapeLabel = (size: number, concurrency: number): string =>
  `${size >= 1024 ? `${size / 1024} KB` : `${size} B`} arg, ${concurrency === 1 ? 'one at a time' : `${concurrency} in flight`}`;

export interface RpcResults {
  /** Each system's best window per shape. */
  best: Map<RpcSystem, Map<string, RpcFigures>>;
  /** Per shape and system: every window's calls/s, in order; windows of the same index ran back to back. */
  windows: Map<string, Map<RpcSystem, number[]>>;
}

/** Windows per system, shape and round: short windows, systems alternating, so a load spike on the shared machine hits all alike. */
const SLICES = 4;

/**
 * Measures every system on every shape. All servers run at once; for each
 * shape, each round warms every system up, then alternates the systems in
 * {@link SLICES} short windows (durationMs / SLICES each). Keeps each
 * system's best window per shape, and every window's calls/s for paired
 * ratios (windows of one index ran back to back).
 */
export async function benchRpc(o: RpcBenchOptions = DEFAULT_RPC_BENCH): Promise<RpcResults> {
  // The registry for Herd's rpc; it idles in this process during the windows.
  const coordination = await startServer({ port: 0, logLevel: 'silent' });
  const results: RpcResults = { best: new Map(SYSTEMS.map((s) => [s, new Map()])), windows: new Map() };
  const opened: { system: RpcSystem; caller: Caller; server: Running }[] = [];
  try {
    for (const system of SYSTEMS) opened.push({ system, ...(await open(system, coordination.connectionString, o.nodeArgs)) });
    for (let round = 0; round < o.rounds; round++) {
      for (const size of o.sizes) {
        const value = 'x'.repeat(size);
        for (const concurrency of o.concurrencies) {
          const key = shapeKey(size, concurrency);
          if (SHAPES && !SHAPES.includes(key)) continue;
          const windows = results.windows.get(key) ?? new Map(SYSTEMS.map((s) => [s, []]));
          results.windows.set(key, windows);
          for (const { caller, server } of opened) await measure(caller, server.process.pid!, value, concurrency, o.warmupMs, 0);
          for (let slice = 0; slice < SLICES; slice++) {
            for (const { system, caller, server } of opened) {
              const f = await measure(caller, server.process.pid!, value, concurrency, 100, o.durationMs / SLICES);
              log(
                `rpc round ${round + 1}.${slice + 1} ${system} ${shapeLabel(size, concurrency)}: ${Math.round(f.callsPerSec)} calls/s, p50 ${f.p50.toFixed(3)} ms, ` +
                  `CPU per call: client ${(f.clientCpuPer100k / 100).toFixed(1)} µs, server ${(f.serverCpuPer100k / 100).toFixed(1)} µs`,
              );
              windows.get(system)!.push(f.callsPerSec);
              const best = results.best.get(system)!.get(key);
              if (!best || f.callsPerSec > best.callsPerSec) results.best.get(system)!.set(key, f);
            }
          }
        }
      }
    }
  } finally {
    for (const { caller, server } of opened) {
      await caller.close();
      await stopProcess(server.process);
    }
    await coordination.close();
  }
  return results;
}

/** The median over windows of Herd's calls/s divided by `other`'s in the window run next to it. */
function pairedRatio(results: RpcResults, key: string, other: RpcSystem): number {
  const h = results.windows.get(key)?.get('herd') ?? [];
  const b = results.windows.get(key)?.get(other) ?? [];
  const ratios = h.map((v, i) => v / b[i]!).filter(Number.isFinite).sort((x, y) => x - y);
  if (ratios.length === 0) return NaN;
  const mid = ratios.length >> 1;
  return ratios.length % 2 === 1 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
}

const NAMES: Record<RpcSystem, string> = { herd: 'Herd', moleculer: 'Moleculer-TCP', grpc: 'grpc-js', raw: 'raw TCP' };

/** Herd against one other system: a section of rows per shape, with the issue's targets. */
function versus(results: RpcResults, other: Exclude<RpcSystem, 'herd'>, o: RpcBenchOptions, targets: (concurrency: number) => number | undefined): Section {
  const rows: Row[] = [];
  const errors = [...results.best.get('herd')!.values(), ...results.best.get(other)!.values()].reduce((n, f) => n + f.errors, 0);
  const paired: string[] = [];
  for (const size of o.sizes) {
    for (const concurrency of o.concurrencies) {
      const h = results.best.get('herd')!.get(shapeKey(size, concurrency));
      const b = results.best.get(other)!.get(shapeKey(size, concurrency));
      if (!h || !b) continue;
      const label = shapeLabel(size, concurrency);
      paired.push(`${label}: ${pairedRatio(results, shapeKey(size, concurrency), other).toFixed(2)}x`);
      const target = targets(concurrency);
      rows.push(
        { metric: `${label}: calls/s`, candidate: h.callsPerSec, baseline: b.callsPerSec, unit: 'calls/s', better: 'higher', ...(target ? { target } : {}) },
        { metric: `${label}: p50`, candidate: h.p50, baseline: b.p50, unit: 'ms', better: 'lower' },
        { metric: `${label}: p99`, candidate: h.p99, baseline: b.p99, unit: 'ms', better: 'lower' },
        { metric: `${label}: client CPU / 100k calls`, candidate: h.clientCpuPer100k, baseline: b.clientCpuPer100k, unit: 'ms', better: 'lower' },
        { metric: `${label}: server CPU / 100k calls`, candidate: h.serverCpuPer100k, baseline: b.serverCpuPer100k, unit: 'ms', better: 'lower' },
      );
    }
  }
  return {
    title: `RPC: Herd vs ${NAMES[other]} (echo of a string argument, loopback, server in its own process)`,
    candidateName: 'Herd',
    baselineName: NAMES[other],
    rows,
    notes: [
      `all servers up at once; per shape and round, ${o.warmupMs} ms warm-up, then ${SLICES} windows of ${o.durationMs / SLICES} ms per system, systems alternating; ` +
        `best window of ${o.rounds * SLICES} counts; failed calls during the windows: ${errors}`,
      `median of the paired ratios (Herd's calls/s over ${NAMES[other]}'s in the window next to it): ${paired.join('; ')}`,
      ...(other === 'grpc' ? ['grpc-js: one unary method, a hand-declared service whose serializers pass the string as its UTF-8 bytes (no protobuf)'] : []),
      ...(other === 'moleculer' ? ['Moleculer 0.15.2, TCP transporter with static discovery (no UDP), JSON serializer (its default), no metrics or tracing'] : []),
      ...(other === 'raw' ? ['raw TCP: one socket, 4-byte length + the string bytes, echoed back by the server; replies matched in order (no ids, no encoding)'] : []),
    ],
  };
}

/** The sections `npm run bench -- --only rpc` prints. */
export function rpcSections(results: RpcResults, o: RpcBenchOptions = DEFAULT_RPC_BENCH): Section[] {
  const sections: Section[] = [];
  // RPC_BENCH_SYSTEMS may leave some out: only the pairs that were both measured.
  const measured = (s: RpcSystem): boolean => (results.best.get(s)?.size ?? 0) > 0;
  if (!measured('herd')) return sections;
  if (measured('moleculer')) sections.push(versus(results, 'moleculer', o, (c) => (c === 1 ? 2 : undefined)));
  if (measured('grpc')) sections.push(versus(results, 'grpc', o, (c) => (c === 64 ? 1.5 : undefined)));
  if (measured('raw')) sections.push(versus(results, 'raw', o, (c) => (c === 1 ? 0.7 : undefined)));
  return sections;
}
