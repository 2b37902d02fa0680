/**
 * A short A/B of the server's pipelined reads (the row issue 17 targets):
 * this build, optionally another build, and the ceiling
 * (bench/ceiling-server.ts), alternated round by round, each figure the
 * server process's own: ops/s, CPU per 100k ops split into user and system
 * time, and replies per socket write and per socket read (from
 * /proc/<pid>/io), which shows whether both sides batch alike. Seconds, not
 * the minutes of `run.js --only server`, so it can be repeated on a busy
 * machine, where CPU per op is the figure to trust (ops/s moves with
 * whatever else runs).
 *
 *   node build/bench/ceiling-reads.js [--rounds 3] [--duration 3000] [--baseline DIR] [--profile DIR]
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LOAD, prepareNodes, runLoad } from './load-generator.js';
import { baselineBuild, startBaseline, startCeiling, startHerd, type BenchServer } from './servers.js';
import { loadLine, machineLine } from './stats.js';

interface Probe {
  user: number;
  system: number;
  reads: number;
  writes: number;
}

/** CPU ms (user, system) and read/write syscalls of a process so far. */
function probe(pid: number): Probe {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const count = (name: string): number => Number(new RegExp(`${name}: (\\d+)`).exec(io)?.[1] ?? NaN);
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10, reads: count('syscr'), writes: count('syscw') };
}

interface Round {
  opsPerSec: number;
  user: number;
  system: number;
  perWrite: number;
  perRead: number;
}

async function measure(server: BenchServer, durationMs: number): Promise<Round> {
  const probes: Probe[] = [];
  const result = await runLoad(server, {
    readFraction: 1,
    warmupMs: 1_000,
    durationMs,
    serverCpu: () => {
      probes.push(probe(server.pid!));
      return 0;
    },
  });
  const [a, b] = probes as [Probe, Probe];
  const per100k = (ms: number): number => (ms / result.ops) * 100_000;
  return {
    opsPerSec: result.opsPerSec,
    user: per100k(b.user - a.user),
    system: per100k(b.system - a.system),
    perWrite: result.ops / (b.writes - a.writes),
    perRead: result.ops / (b.reads - a.reads),
  };
}

const median = (xs: number[]): number => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '3000' },
      baseline: { type: 'string' },
      profile: { type: 'string' },
    },
  });
  const rounds = Number(values.rounds);
  const durationMs = Number(values.duration);
  const nodeArgs: string[] = [];
  if (values.profile !== undefined) {
    mkdirSync(resolve(values.profile), { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${resolve(values.profile)}`);
  }
  process.stdout.write(`${machineLine()}\n${loadLine()}\n`);
  const servers: BenchServer[] = [await startHerd({ nodeArgs })];
  if (values.baseline !== undefined) servers.push(await startBaseline(baselineBuild(values.baseline), { nodeArgs }));
  servers.push(await startCeiling());
  try {
    for (const s of servers) {
      await prepareNodes(s, DEFAULT_LOAD.nodeCount, DEFAULT_LOAD.valueSize);
      await runLoad(s, { readFraction: 1, warmupMs: 2_000, durationMs: 500 });
    }
    const results = servers.map((): Round[] => []);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < servers.length; k++) {
        const i = (round + k) % servers.length;
        const r = await measure(servers[i]!, durationMs);
        results[i]!.push(r);
        process.stdout.write(
          `round ${round + 1} ${servers[i]!.name.padEnd(16)} ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(9)} ops/s  ` +
            `CPU/100k ${(r.user + r.system).toFixed(0)} ms (user ${r.user.toFixed(0)}, sys ${r.system.toFixed(0)})  ` +
            `replies per write ${r.perWrite.toFixed(1)}, per read ${r.perRead.toFixed(1)}\n`,
        );
      }
    }
    process.stdout.write('\nmedian of the rounds:\n');
    for (const [i, s] of servers.entries()) {
      const rs = results[i]!;
      process.stdout.write(
        `  ${s.name.padEnd(16)} ${Math.round(median(rs.map((r) => r.opsPerSec))).toLocaleString('en-US').padStart(9)} ops/s  ` +
          `CPU/100k ${median(rs.map((r) => r.user + r.system)).toFixed(0)} ms (user ${median(rs.map((r) => r.user)).toFixed(0)})\n`,
      );
    }
    process.stdout.write(`at end: ${loadLine()}\n`);
  } finally {
    // destroy() stops each child first, so a profiled one writes its profile.
    await Promise.all(servers.map((s) => s.destroy()));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench ceiling-reads: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
