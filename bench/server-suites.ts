/**
 * What the bench measures on one server: pipelined throughput and latency
 * (reads, writes, 90/10 mix), single-connection latency, and at scale the
 * create rate, memory per znode and restart-to-serving time. The same code
 * runs against Herd's server and ZooKeeper; run.ts puts the two side by side.
 */
import {
  prepareNodes,
  runCreates,
  runLoad,
  runSequential,
  scalePath,
  waitUntilServing,
  type CreateResult,
  type LoadOptions,
  type LoadResult,
} from './load-generator.js';
import type { BenchServer, MemoryFigures } from './servers.js';
import { log } from './stats.js';

export interface ServerFigures {
  reads: LoadResult;
  writes: LoadResult;
  mix: LoadResult;
  seqRead: LoadResult;
  seqWrite: LoadResult;
}

type Workload = keyof ServerFigures;

/** The best of several runs: the one with the highest throughput, with its own latencies. */
export function best<T extends { opsPerSec: number }>(runs: T[]): T {
  return runs.reduce((a, b) => (b.opsPerSec > a.opsPerSec ? b : a));
}

/**
 * Measures the servers, interleaved: for each workload and round each runs
 * back to back (the order rotating from round to round), and the best round
 * of each is kept. On a machine shared with other work this keeps a burst of
 * foreign load from landing on one server only.
 */
export async function compareServers<T extends readonly BenchServer[]>(
  servers: T,
  load: LoadOptions,
  rounds: number,
): Promise<{ -readonly [K in keyof T]: ServerFigures }> {
  for (const server of servers) {
    await prepareNodes(server, load.nodeCount, load.valueSize);
    // JIT warm-up (ZooKeeper's C2 in particular) before anything is measured.
    log(`${server.name}: warm-up (90/10 mix, 3 s)`);
    await runLoad(server, { ...load, readFraction: 0.9, warmupMs: 3_000, durationMs: 500 });
  }
  const shape = `${load.connections} x ${load.outstanding}`;
  const workloads: Array<[Workload, string, (s: BenchServer) => Promise<LoadResult>]> = [
    ['reads', `pipelined reads (${shape})`, (s) => runLoad(s, { ...load, readFraction: 1, serverCpu: () => s.cpuTime() })],
    ['writes', `pipelined writes (${shape})`, (s) => runLoad(s, { ...load, readFraction: 0, serverCpu: () => s.cpuTime() })],
    ['mix', `pipelined 90/10 mix (${shape})`, (s) => runLoad(s, { ...load, readFraction: 0.9, serverCpu: () => s.cpuTime() })],
    ['seqRead', 'sequential reads (1 x 1)', (s) => runSequential(s, 'read', seqOptions(load, s))],
    ['seqWrite', 'sequential writes (1 x 1)', (s) => runSequential(s, 'write', seqOptions(load, s))],
  ];
  const n = servers.length;
  const results: Array<Partial<ServerFigures>> = servers.map(() => ({}));
  for (const [key, label, run] of workloads) {
    const runs: LoadResult[][] = servers.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < n; k++) {
        const i = (round + k) % n;
        log(`${servers[i]!.name}: ${label}, round ${round + 1}/${rounds}`);
        runs[i]!.push(await run(servers[i]!));
      }
    }
    for (let i = 0; i < n; i++) results[i]![key] = best(runs[i]!);
  }
  return results as { -readonly [K in keyof T]: ServerFigures };
}

function seqOptions(load: LoadOptions, s: BenchServer): Partial<LoadOptions> {
  return {
    nodeCount: load.nodeCount,
    valueSize: load.valueSize,
    warmupMs: Math.min(load.warmupMs, 1_000),
    durationMs: load.durationMs,
    serverCpu: () => s.cpuTime(),
  };
}

export interface ScaleFigures {
  znodes: number;
  creates: CreateResult;
  before: MemoryFigures;
  after: MemoryFigures;
  /** Spawn of the new process to the first successful getData, ms. */
  restartMs: number;
}

/**
 * On a fresh server: creates `znodes`, compares memory, kills it and times
 * the restart. Herd's child measures memory once the snapshot the last
 * creates may have started is written (bench/herd-server-child.ts): its
 * transient buffers are not memory per znode.
 */
export async function measureScale(server: BenchServer, znodes: number, valueSize: number): Promise<ScaleFigures> {
  const before = await server.memory();
  log(`${server.name}: creating ${znodes.toLocaleString('en-US')} znodes of ${valueSize} bytes`);
  const creates = await runCreates(server, znodes, { valueSize });
  const after = await server.memory();
  log(`${server.name}: kill -9 and restart`);
  await server.kill();
  const t0 = performance.now();
  await server.respawn();
  const servingAt = await waitUntilServing(server, scalePath(znodes - 1));
  await server.started();
  const restartMs = servingAt - t0;
  const perZnode = (after.heapUsed - before.heapUsed) / znodes;
  log(
    `${server.name}: ${Math.round(creates.createsPerSec)} creates/s, ${perZnode.toFixed(0)} B heap/znode, ` +
      `RSS ${(after.rss / 2 ** 20).toFixed(0)} MiB, restart to serving ${restartMs.toFixed(0)} ms`,
  );
  return { znodes, creates, before, after, restartMs };
}
