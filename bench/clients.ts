/**
 * Client comparison: Herd's client vs node-zookeeper-client 1.1.3 against the
 * same real ZooKeeper 3.8 server. Each measurement runs the library alone in
 * a child process (bench/client-driver.ts) so its CPU time is its own.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DriverConfig, DriverResult } from './client-driver.js';
import type { Endpoint } from './load-generator.js';
import { best } from './server-suites.js';
import { log, type Row, type Section } from './stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));

function drive(config: DriverConfig): Promise<DriverResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(HERE, 'client-driver.js'), JSON.stringify(config)],
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
}

/** Runs both clients `rounds` times, alternating who goes first; keeps each one's best run. */
async function pair(label: string, config: Omit<DriverConfig, 'client'>, rounds: number): Promise<Record<'herd' | 'nzc', DriverResult>> {
  const runs: Record<'herd' | 'nzc', DriverResult[]> = { herd: [], nzc: [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['herd', 'nzc'] as const) : (['nzc', 'herd'] as const);
    for (const client of order) {
      log(`clients: ${client} ${label}, round ${round + 1}/${rounds}`);
      runs[client].push(await drive({ ...config, client }));
    }
  }
  return { herd: best(runs.herd), nzc: best(runs.nzc) };
}

export async function clientComparison(server: Endpoint, o: ClientBenchOptions): Promise<Section> {
  const connectionString = `${server.host}:${server.port}`;
  const base = { connectionString, nodeCount: o.nodeCount, valueSize: o.valueSize, warmupMs: o.warmupMs, durationMs: o.durationMs };
  const rows: Row[] = [];
  const workloads: Array<[string, number]> = [
    ['reads', 1],
    ['writes', 0],
    ['90/10 mix', 0.9],
  ];
  const pipelined = { clients: o.clients, outstanding: o.outstanding };
  for (const [name, readFraction] of workloads) {
    const results = await pair(`pipelined ${name} (${o.clients} x ${o.outstanding})`, { ...base, ...pipelined, readFraction }, o.rounds);
    const h = results.herd;
    const n = results.nzc;
    const label = `${name} pipelined ${o.clients}x${o.outstanding}`;
    rows.push(
      { metric: `${label}: ops/s`, candidate: h.opsPerSec, baseline: n.opsPerSec, unit: 'ops/s', better: 'higher', target: 3 },
      { metric: `${label}: p50`, candidate: h.p50, baseline: n.p50, unit: 'ms', better: 'lower' },
      { metric: `${label}: p99`, candidate: h.p99, baseline: n.p99, unit: 'ms', better: 'lower' },
      { metric: `${label}: client CPU / 100k ops`, candidate: h.cpuPer100k, baseline: n.cpuPer100k, unit: 'ms', better: 'lower' },
    );
  }
  for (const [name, readFraction] of [
    ['reads', 1],
    ['writes', 0],
  ] as Array<[string, number]>) {
    const results = await pair(`sequential ${name} (1 x 1)`, { ...base, clients: 1, outstanding: 1, readFraction }, o.rounds);
    const h = results.herd;
    const n = results.nzc;
    rows.push(
      { metric: `${name} sequential 1x1: ops/s`, candidate: h.opsPerSec, baseline: n.opsPerSec, unit: 'ops/s', better: 'higher', target: 1.3 },
      { metric: `${name} sequential 1x1: p50`, candidate: h.p50, baseline: n.p50, unit: 'ms', better: 'lower' },
      { metric: `${name} sequential 1x1: p99`, candidate: h.p99, baseline: n.p99, unit: 'ms', better: 'lower' },
      { metric: `${name} sequential 1x1: client CPU / 100k ops`, candidate: h.cpuPer100k, baseline: n.cpuPer100k, unit: 'ms', better: 'lower' },
    );
  }
  return {
    title: `Clients against ZooKeeper 3.8 (fsync on): Herd client vs node-zookeeper-client 1.1.3`,
    candidateName: 'Herd client',
    baselineName: 'node-zookeeper-client',
    rows,
    notes: [
      'each client runs alone in its own process; CPU is that process\'s user+system time during the window',
      `${o.clients} sessions x ${o.outstanding} outstanding for pipelined rows (issue 4), 1 x 1 for sequential rows; best of ${o.rounds} interleaved rounds`,
    ],
  };
}
