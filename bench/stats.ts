/**
 * Latency samples, percentiles, the machine line and the results table that
 * every bench prints: metric, candidate, baseline, their ratio.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** A growing array of latency samples in ms. */
export class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;

  add(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }

  /** The q-quantile (0..1), nearest rank. */
  percentile(q: number): number {
    if (this.length === 0) return NaN;
    const sorted = this.data.slice(0, this.length).sort();
    const rank = Math.min(this.length - 1, Math.max(0, Math.ceil(q * this.length) - 1));
    return sorted[rank]!;
  }

  summary(): { p50: number; p99: number } {
    if (this.length === 0) return { p50: NaN, p99: NaN };
    const sorted = this.data.slice(0, this.length).sort();
    const at = (q: number): number => sorted[Math.min(this.length - 1, Math.max(0, Math.ceil(q * this.length) - 1))]!;
    return { p50: at(0.5), p99: at(0.99) };
  }
}

/** Which way is better for a metric: throughput up, latency/memory/time down. */
export type Better = 'higher' | 'lower';

export interface Row {
  metric: string;
  /** Herd's server, or Herd's client. */
  candidate: number;
  /** ZooKeeper 3.8, or node-zookeeper-client. */
  baseline: number;
  unit: string;
  better: Better;
  /** The target ratio (in the "better" sense: 1.0 = match the baseline), if the issue sets one. */
  target?: number;
}

export interface Section {
  title: string;
  candidateName: string;
  baselineName: string;
  rows: Row[];
  notes?: string[];
}

/**
 * How many times better the candidate is: candidate/baseline for
 * higher-is-better metrics, baseline/candidate for lower-is-better, so
 * above 1.0 always means the candidate wins.
 */
export function advantage(row: Row): number {
  if (!(row.candidate > 0) || !(row.baseline > 0)) return NaN;
  return row.better === 'higher' ? row.candidate / row.baseline : row.baseline / row.candidate;
}

export function fmt(v: number, unit: string): string {
  if (!Number.isFinite(v)) return 'n/a';
  let text: string;
  if (unit === 'ms') text = v < 1 ? v.toFixed(3) : v < 100 ? v.toFixed(2) : v.toFixed(0);
  else if (Math.abs(v) >= 100) text = Math.round(v).toLocaleString('en-US');
  else text = v.toFixed(Math.abs(v) >= 10 ? 1 : 2);
  return `${text} ${unit}`;
}

export function renderSection(s: Section): string {
  const header = ['metric', s.candidateName, s.baselineName, 'ratio', 'better', 'target'];
  const lines = s.rows.map((r) => {
    const a = advantage(r);
    const raw = r.candidate / r.baseline;
    const ratio = Number.isFinite(raw) ? `${raw.toFixed(2)}x` : 'n/a';
    const verdict = !Number.isFinite(a) ? '' : a >= 1 ? `${s.candidateName} ${a.toFixed(2)}x` : `${s.baselineName} ${(1 / a).toFixed(2)}x`;
    const target = r.target === undefined ? '' : `${r.target}x ${Number.isFinite(a) && a >= r.target ? 'met' : 'MISSED'}`;
    return [r.metric, fmt(r.candidate, r.unit), fmt(r.baseline, r.unit), ratio, verdict, target];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [`== ${s.title}`, row(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(row)];
  for (const n of s.notes ?? []) out.push(`  note: ${n}`);
  out.push('  ratio = ' + `${s.candidateName} / ${s.baselineName}; "better" says who wins and by how much (throughput: higher is better; latency, memory, time: lower).`);
  return out.join('\n');
}

let machineLineCache: string | undefined;

/** CPU model, cores, memory, Node and Java versions. */
export function machineLine(): string {
  if (machineLineCache) return machineLineCache;
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1]!.trim();
  } catch {
    // Not Linux: os.cpus() is good enough.
  }
  let java = 'java: not found';
  try {
    // `java -version` prints on stderr.
    java = execFileSync('sh', ['-c', 'java -version 2>&1'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    // No Java: the line says so.
  }
  const memGb = (Number(/MemTotal:\s+(\d+)/.exec(safeRead('/proc/meminfo'))?.[1] ?? 0) / 1024 / 1024).toFixed(1);
  machineLineCache = `machine: ${model}, ${cpus().length} cores, ${memGb} GiB RAM, Node ${process.version}, ${java}, ${process.platform} ${process.arch}`;
  return machineLineCache;
}

/** The 1-minute load average and what it means on this many cores: other work competes for the CPU. */
export function loadLine(): string {
  const [one, five] = loadavg();
  return `load average ${one!.toFixed(2)} (1 min), ${five!.toFixed(2)} (5 min) on ${cpus().length} cores`;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Resident set size of a process, bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(safeRead(`/proc/${pid}/status`))?.[1];
  return kb === undefined ? NaN : Number(kb) * 1024;
}

/** CPU time (user + system) a process has used, ms (Linux /proc). */
export function cpuTimeOf(pid: number): number {
  const stat = safeRead(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
