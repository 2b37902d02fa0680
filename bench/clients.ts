/**
 * Client comparison: Herd's client vs node-zookeeper-client 1.1.3 against the
 * same server (real ZooKeeper 3.8, and Herd's server). Each measurement runs
 * the library alone in a child process (bench/client-driver.ts) so its CPU
 * time is its own; the server's CPU during the same window is measured too,
 * since on a small machine the two compete for the same cores.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DriverConfig, DriverResult } from './client-driver.js';
import { runLoad, type LoadResult } from './load-generator.js';
import { best } from './server-suites.js';
import { BASELINE_NAME, versusBaseline, type BenchServer } from './servers.js';
import { log, type Row, type Section } from './stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));

function drive(config: DriverConfig, profileDir: string | undefined): Promise<DriverResult> {
  const nodeArgs: string[] = [];
  if (profileDir !== undefined) {
    const dir = join(profileDir, `client-${config.client}`);
    mkdirSync(dir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...nodeArgs, join(HERE, 'client-driver.js'), JSON.stringify(config)],
      { timeout: config.warmupMs + config.durationMs + 120_000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`client driver (${config.client}) failed: ${err.message}\n${stderr}`));
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(line) as DriverResult);
        } catch {
          reject(new Error(`client driver (${config.client}) printed no result:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

export interface ClientBenchOptions {
  clients: number;
  outstanding: number;
  warmupMs: number;
  durationMs: number;
  nodeCount: number;
  valueSize: number;
  /** Interleaved rounds per row; the best is kept. */
  rounds: number;
  /** Run the client drivers with --cpu-prof, writing to DIR/client-herd and DIR/client-nzc. */
  profileDir?: string | undefined;
  /** Another build's src/client/index.js (bench/baseline.sh): measured as "Herd (baseline)" in the same rounds. */
  baselineClient?: string | undefined;
}

interface PairResult {
  herd: DriverResult;
  nzc: DriverResult;
  /** Herd's client of the --baseline build, when there is one. */
  baseline: DriverResult | undefined;
  /** The raw wire load generator (no client library) with the same shape: what a free client would get. */
  wire: LoadResult;
}

/**
 * Runs both clients (and the baseline build's, if any) `rounds` times,
 * rotating who goes first, and the raw wire generator after them in each
 * round; keeps each one's best run.
 */
async function pair(server: BenchServer, label: string, config: Omit<DriverConfig, 'client'>, o: ClientBenchOptions): Promise<PairResult> {
  const rounds = o.rounds;
  const runs: Record<DriverConfig['client'], DriverResult[]> = { herd: [], nzc: [], 'herd-baseline': [] };
  const clients: Array<DriverConfig['client']> = o.baselineClient === undefined ? ['herd', 'nzc'] : ['herd', 'nzc', 'herd-baseline'];
  const wire: LoadResult[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < clients.length; k++) {
      const client = clients[(round + k) % clients.length]!;
      log(`clients: ${client} ${label}, round ${round + 1}/${rounds}`);
      const herdModule = client === 'herd-baseline' ? { herdModule: o.baselineClient } : {};
      runs[client].push(await drive({ ...config, client, ...herdModule }, o.profileDir));
    }
    log(`clients: raw wire ${label}, round ${round + 1}/${rounds}`);
    wire.push(
      await runLoad(server, {
        connections: config.clients,
        outstanding: config.outstanding,
        readFraction: config.readFraction,
        warmupMs: config.warmupMs,
        durationMs: config.durationMs,
        nodeCount: config.nodeCount,
        valueSize: config.valueSize,
      }),
    );
  }
  return { herd: best(runs.herd), nzc: best(runs.nzc), baseline: runs['herd-baseline'].length > 0 ? best(runs['herd-baseline']) : undefined, wire: best(wire) };
}

/** The raw wire generator's figures against nzc's: roughly the most any client could show on this server and machine. */
function wireCeiling(label: string, r: PairResult): string {
  const ms = (v: number): string => v.toFixed(3);
  return (
    `${label}: raw wire generator (no client library) ${Math.round(r.wire.opsPerSec)} ops/s, p50 ${ms(r.wire.p50)} ms = ` +
    `${(r.wire.opsPerSec / r.nzc.opsPerSec).toFixed(2)}x nzc: what a client costing nothing gets here (Herd ${(r.herd.opsPerSec / r.nzc.opsPerSec).toFixed(2)}x)`
  );
}

/**
 * Compares the two clients on `server`, whose `/bench/n<i>` znodes must
 * exist. The server is warmed up first (ZooKeeper's JIT), so the first
 * client measured is not penalized. With `baselineClient`, a second section
 * puts Herd's client beside the baseline build's (new / baseline per row).
 */
export async function clientComparison(server: BenchServer, o: ClientBenchOptions): Promise<Section[]> {
  log(`clients: ${server.name} warm-up (90/10 mix, 3 s)`);
  const shape = { connections: o.clients, outstanding: o.outstanding, nodeCount: o.nodeCount, valueSize: o.valueSize };
  await runLoad(server, { ...shape, readFraction: 0.9, warmupMs: 3_000, durationMs: 500 });
  const connectionString = `${server.host}:${server.port}`;
  const base = {
    connectionString,
    nodeCount: o.nodeCount,
    valueSize: o.valueSize,
    warmupMs: o.warmupMs,
    durationMs: o.durationMs,
    ...(server.pid === undefined ? {} : { serverPid: server.pid }),
  };
  const rows: Row[] = [];
  const baselineRows: Row[] = [];
  const workloads: Array<[string, number]> = [
    ['reads', 1],
    ['writes', 0],
    ['90/10 mix', 0.9],
  ];
  const pipelined = { clients: o.clients, outstanding: o.outstanding };
  const bounds: string[] = [];
  for (const [name, readFraction] of workloads) {
    const results = await pair(server, `pipelined ${name} (${o.clients} x ${o.outstanding})`, { ...base, ...pipelined, readFraction }, o);
    const label = `${name} pipelined ${o.clients}x${o.outstanding}`;
    rows.push(...clientRows(label, results.herd, results.nzc, 3, true));
    if (results.baseline) baselineRows.push(...clientRows(label, results.herd, results.baseline, undefined, true));
    bounds.push(cpuBound(name, results.herd, results.nzc), wireCeiling(`${name} pipelined`, results));
  }
  for (const [name, readFraction] of [
    ['reads', 1],
    ['writes', 0],
  ] as Array<[string, number]>) {
    const results = await pair(server, `sequential ${name} (1 x 1)`, { ...base, clients: 1, outstanding: 1, readFraction }, o);
    const label = `${name} sequential 1x1`;
    rows.push(...clientRows(label, results.herd, results.nzc, 1.3, false));
    if (results.baseline) baselineRows.push(...clientRows(label, results.herd, results.baseline, undefined, false));
    bounds.push(wireCeiling(`${name} sequential`, results));
  }
  const against = server.name === 'ZooKeeper' ? 'ZooKeeper 3.8' : `${server.name}'s server`;
  const cpuNote = 'each client runs alone in its own process; client CPU is that process\'s user+system time during the window, server CPU the server process\'s in the same window';
  const sections: Section[] = [
    {
      title: `Clients against ${against} (fsync on): Herd client vs node-zookeeper-client 1.1.3`,
      candidateName: 'Herd client',
      baselineName: 'node-zookeeper-client',
      rows,
      notes: [
        cpuNote,
        'pipelined throughput is bounded by the CPU the client and the server together need per op when they share the machine\'s cores',
        `${o.clients} sessions x ${o.outstanding} outstanding for pipelined rows (issue 4), 1 x 1 for sequential rows; best of ${o.rounds} interleaved rounds`,
        ...bounds,
      ],
    },
  ];
  if (baselineRows.length > 0) {
    sections.push(
      versusBaseline(
        { title: '', candidateName: 'Herd client', baselineName: '', rows: baselineRows, notes: [cpuNote, `${o.baselineClient}; same rounds as the section above`] },
        `Clients against ${against} (fsync on): Herd client vs ${BASELINE_NAME}`,
      ),
    );
  }
  return sections;
}

/** One workload's rows of Herd's client against another; `opsTarget` is the target on throughput, if any. */
function clientRows(label: string, h: DriverResult, other: DriverResult, opsTarget: number | undefined, serverCpu: boolean): Row[] {
  return [
    { metric: `${label}: ops/s`, candidate: h.opsPerSec, baseline: other.opsPerSec, unit: 'ops/s', better: 'higher', ...(opsTarget === undefined ? {} : { target: opsTarget }) },
    { metric: `${label}: p50`, candidate: h.p50, baseline: other.p50, unit: 'ms', better: 'lower' },
    { metric: `${label}: p99`, candidate: h.p99, baseline: other.p99, unit: 'ms', better: 'lower' },
    { metric: `${label}: client CPU / 100k ops`, candidate: h.cpuPer100k, baseline: other.cpuPer100k, unit: 'ms', better: 'lower' },
    ...(serverCpu ? [{ metric: `${label}: server CPU / 100k ops`, candidate: h.serverCpuPer100k, baseline: other.serverCpuPer100k, unit: 'ms', better: 'lower' as const }] : []),
  ];
}

/**
 * What the CPU figures allow: when client and server share saturated cores,
 * throughput is inversely proportional to their CPU per op together, so the
 * ratio cannot exceed nzc's (client + server) over Herd's, nor, even with a
 * client costing nothing, nzc's (client + server) over the server's alone.
 */
function cpuBound(name: string, h: DriverResult, n: DriverResult): string {
  const us = (ms100k: number): number => ms100k / 100;
  const herd = us(h.cpuPer100k + h.serverCpuPer100k);
  const nzc = us(n.cpuPer100k + n.serverCpuPer100k);
  if (!Number.isFinite(herd) || !Number.isFinite(nzc)) return `${name}: no server CPU figures`;
  const cores = (r: DriverResult, perOp: number): string => ((r.opsPerSec * perOp) / 1e6).toFixed(2);
  return (
    `${name} CPU bound: client+server ${herd.toFixed(1)} us/op with Herd, ${nzc.toFixed(1)} with nzc ` +
    `(${cores(h, herd)} and ${cores(n, nzc)} cores busy): at most ${(nzc / herd).toFixed(2)}x when the cores are the limit, ` +
    `${(nzc / us(h.serverCpuPer100k)).toFixed(2)}x with a client costing nothing`
  );
}
