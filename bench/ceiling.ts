/**
 * The server benchmark's ceiling row: Herd's server against the ceiling
 * (bench/ceiling-server.ts, a plain Node TCP server answering each frame
 * with a pre-encoded reply, no decoding, no tree, Herd's fsync policy), and
 * optionally against another build of Herd in the same run, so a change is
 * measured before and after on the same machine at the same time:
 *
 *   node build/bench/ceiling.js [--baseline DIR] [--rounds N] [--duration MS] [--warmup MS]
 *
 * DIR is another commit built by bench/baseline.sh (the checkout or its
 * build/, which holds bench/herd-server-child.js). Same load generator and workloads as the
 * server suite (bench/server-suites.ts); every server in its own process,
 * fresh temp data directory, fsync on; rounds interleaved, best kept.
 *
 * Fair both ways: the same load generator, connections and pipelining depth
 * drive both, the ceiling's log batches and fdatasyncs as Herd's FileTxnLog
 * does (one write + one fdatasync per turn's batch, preallocated file), and
 * its reads wait for every write before them to be durable, as Herd's do.
 * One caveat: the load generator runs on the same cores, so when the machine
 * is busy it, not the ceiling, can be the limit of the ceiling's ops/s (the
 * ceiling's CPU per op then stays far below Herd's while the ops/s ratio
 * looks close); the server CPU / 100k ops rows do not depend on that.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_LOAD, type LoadResult } from './load-generator.js';
import { compareServers, type ServerFigures } from './server-suites.js';
import { baselineBuild, startBaseline, startCeiling, startHerd, type BenchServer } from './servers.js';
import { loadLine, machineLine } from './stats.js';

const ROWS: Array<[keyof ServerFigures, string]> = [
  ['reads', 'reads pipelined'],
  ['writes', 'writes pipelined'],
  ['mix', '90/10 mix pipelined'],
  ['seqRead', 'reads sequential 1x1'],
  ['seqWrite', 'writes sequential 1x1'],
];

/** The issue's targets: Herd's share of the ceiling's throughput. */
const TARGETS: Partial<Record<keyof ServerFigures, number>> = { reads: 0.7, writes: 0.6 };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      baseline: { type: 'string' },
      rounds: { type: 'string', default: '2' },
      duration: { type: 'string', default: String(DEFAULT_LOAD.durationMs) },
      warmup: { type: 'string', default: String(DEFAULT_LOAD.warmupMs) },
    },
  });
  const load = { ...DEFAULT_LOAD, durationMs: Number(values.duration), warmupMs: Number(values.warmup) };
  const rounds = Number(values.rounds);
  process.stdout.write(`${machineLine()}\n${loadLine()}\n`);
  const servers: BenchServer[] = [];
  try {
    servers.push(await startCeiling(), await startHerd());
    if (values.baseline !== undefined) {
      servers.push(await startBaseline(baselineBuild(values.baseline)));
    }
    const figures = await compareServers(servers, load, rounds);
    process.stdout.write(`\n${render(servers, figures)}\nat end: ${loadLine()}\n`);
  } finally {
    await Promise.all(servers.map((s) => s.destroy()));
  }
}

function render(servers: readonly BenchServer[], figures: readonly ServerFigures[]): string {
  const head = ['metric', ...servers.map((s) => s.name), 'Herd / ceiling', ...(servers.length > 2 ? ['Herd / baseline'] : [])];
  const lines: string[][] = [head];
  const fmt = (n: number, unit: string): string => (unit === 'ops/s' ? `${Math.round(n).toLocaleString('en-US')} ops/s` : `${n < 1 ? n.toFixed(3) : n.toFixed(2)} ${unit}`);
  for (const [key, label] of ROWS) {
    const of = (i: number): LoadResult => figures[i]![key];
    const metrics: Array<[string, (r: LoadResult) => number, string]> = [
      ['ops/s', (r) => r.opsPerSec, 'ops/s'],
      ['p50', (r) => r.p50, 'ms'],
      ['p99', (r) => r.p99, 'ms'],
      ['server CPU / 100k ops', (r) => r.serverCpuPer100k, 'ms'],
    ];
    for (const [name, get, unit] of metrics) {
      const values = servers.map((_, i) => get(of(i)));
      const share = values[1]! / values[0]!;
      const target = name === 'ops/s' ? TARGETS[key] : undefined;
      const shareText = `${(share * 100).toFixed(0)}%${target !== undefined ? ` (target ${target * 100}%: ${share >= target ? 'met' : 'MISSED'})` : ''}`;
      lines.push([`${label}: ${name}`, ...values.map((v) => fmt(v, unit)), shareText, ...(servers.length > 2 ? [`${(values[1]! / values[2]!).toFixed(2)}x`] : [])]);
    }
  }
  const widths = head.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)));
  const out = lines.map((l) => l.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return [
    `== Server ceiling: ${load()} (fsync on for all)`,
    ...out,
    '  note: Herd / ceiling is the share of the ceiling\'s figure (throughput: higher is closer; latency and CPU: the ceiling\'s is the floor)',
    '  note: best of the interleaved rounds per row, each server in its own process',
  ].join('\n');
}

function load(): string {
  return `${DEFAULT_LOAD.connections} x ${DEFAULT_LOAD.outstanding} pipelined, ${DEFAULT_LOAD.valueSize}-byte values over ${DEFAULT_LOAD.nodeCount} znodes`;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench ceiling: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
