/**
 * The lock-like recipes under stress, in separate processes (issue 5's
 * "10 processes x 100 acquisitions with random delays and random kills"):
 * workers (lock-worker.ts) acquire with random hold times and pauses, and
 * some are SIGKILLed while holding and respawned to finish their share.
 * Each holder appends IN/OUT timestamps from the machine's monotonic clock
 * to its own file; an independent checker here merges every file and
 * sweeps the intervals: never two holders of a Lock, never more than 3 of
 * a Semaphore(3), and for a read/write lock never a writer together with
 * anyone (readers together are fine, and must happen). A killed holder's
 * interval ends when the test saw its process exit, later than its real
 * end, so the check is conservative. After a kill, the Lock must pass to
 * the next waiter within the session timeout.
 *
 * What runs where: each server has its own test file
 * (lock-stress-herd.test.ts, lock-stress-zookeeper.test.ts), the three
 * recipes at the same time (a Lock line is bound by handoff latency, not
 * CPU, so they overlap well), with 4 s sessions (and a 250 ms tick on
 * Herd's server). (2 s sessions expired live workers at start-up when the
 * machine was loaded.)
 * - CI (`npm test`) runs the short plan: 10 processes x 20 acquisitions per
 *   recipe with one SIGKILL of a holder, so every fault kind (random delays,
 *   a holder killed mid-hold, its slot respawned for the rounds left, the
 *   Lock's takeover within the session timeout) and every check (exclusion,
 *   readers and leases really shared) runs on both servers, in about a
 *   third of the time.
 * - `npm run stress` (HERD_STRESS=full) runs the issue's full plan:
 *   10 x 100 per recipe with three kills. Each kill of a Lock holder stalls
 *   the whole line until the dead session expires, which is most of its
 *   time: about 30 s per server alone, 38 s (Herd) and 44 s (ZooKeeper)
 *   with both files at once on the 2-core machine at load average 2-7.
 * Lease is not here: a lease is a time (whole seconds, Kazoo's format), not
 * a hold that ends on release or death, so 10 x 100 of them would take
 * 1000 s; lease.test.ts checks its exclusion and expiry.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { forEachTarget, sleep, uniquePath, type Target } from './harness.js';
import type { StressRecipe, WorkerConfig } from './lock-worker.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'lock-worker.js');
const SESSION_TIMEOUT = 4000;
const MAX_LEASES = 3;

interface Plan {
  workers: number;
  rounds: number;
  kills: number;
}

/** The issue's 10 x 100 with three SIGKILLs of holders per recipe, on each server (`npm run stress`). */
const FULL_PLAN: Plan = { workers: 10, rounds: 100, kills: 3 };
/** CI's plan: the same ten processes and every fault kind, fewer rounds and one kill (see the header). */
const CI_PLAN: Plan = { workers: 10, rounds: 20, kills: 1 };
const PLAN: Plan = process.env['HERD_STRESS'] === 'full' ? FULL_PLAN : CI_PLAN;

/** One worker process; a slot is respawned after a kill, with a new name and the rounds left. */
interface Proc {
  who: string;
  log: string;
  entries: number;
  exitAt?: number;
  killed: boolean;
  session: number;
  done: boolean;
  code?: number | null;
}

interface Outcome {
  procs: Proc[];
  /** Monotonic ms of each kill. */
  kills: number[];
  /** Workers whose session expired while they waited (an overloaded machine); they joined again. */
  expiries: string[];
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

function randomInt(lo: number, hi: number): number {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

async function runStress(target: Target, recipe: StressRecipe, plan: Plan, dir: string): Promise<Outcome> {
  const path = uniquePath(`stress-${recipe}`);
  const procs: Proc[] = [];
  const kills: number[] = [];
  const expiries: string[] = [];
  // Kill slots chosen at random, each in a random round while it holds (it lingers then).
  const killSlots = new Set<number>();
  while (killSlots.size < plan.kills) killSlots.add(randomInt(0, plan.workers - 1));
  const runSlot = (slot: number, generation: number, rounds: number): Promise<void> => {
    const who = `w${slot}g${generation}`;
    const lingerRound = generation === 0 && killSlots.has(slot) ? randomInt(3, rounds - 3) : -1;
    const config: WorkerConfig = {
      connection: target.connectionString,
      path,
      who,
      recipe,
      rounds,
      linger: lingerRound < 0 ? [] : [lingerRound],
      lingerMs: 30_000,
      // Semaphore holders stay longer: its acquisitions are serialized by a lock, and short holds would rarely overlap.
      holdMs: recipe === 'semaphore' ? 20 : 4,
      pauseMs: 3,
      sessionTimeout: SESSION_TIMEOUT,
      maxLeases: MAX_LEASES,
      writeShare: 0.3,
      log: join(dir, `${who}.log`),
    };
    const proc: Proc = { who, log: config.log, entries: 0, killed: false, session: 0, done: false };
    procs.push(proc);
    const child = spawn(process.execPath, [WORKER, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('SESSION ')) proc.session = Number(line.slice(8));
      else if (line === 'DONE') proc.done = true;
      else if (line === 'EXPIRED') expiries.push(who);
      else if (line.startsWith('IN ')) {
        proc.entries++;
        if (Number(line.slice(3)) === lingerRound) {
          proc.killed = true;
          kills.push(nowMs());
          child.kill('SIGKILL');
        }
      }
    });
    return new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        proc.exitAt = nowMs();
        proc.code = code;
        if (proc.killed && rounds > proc.entries) resolve(runSlot(slot, generation + 1, rounds - proc.entries));
        else resolve();
      });
    });
  };
  // Staggered starts: thirty node processes booting at once starve the server on two cores.
  await Promise.all(
    Array.from({ length: plan.workers }, async (_, slot) => {
      await sleep(slot * 50);
      await runSlot(slot, 0, plan.rounds);
    }),
  );
  return { procs, kills, expiries };
}

interface Interval {
  who: string;
  mode: string;
  from: number;
  to: number;
}

/** Reads every holder's own timestamps; a hold without OUT ends when its (killed) process was seen to exit. */
function intervalsOf(procs: Proc[]): Interval[] {
  const out: Interval[] = [];
  for (const proc of procs) {
    const open = new Map<string, { mode: string; from: number }>();
    let text = '';
    try {
      text = readFileSync(proc.log, 'utf8');
    } catch {
      // Killed before its first acquisition: no file.
    }
    for (const line of text.split('\n').filter((l) => l.length > 0)) {
      const parts = line.split(' ');
      const t = Number(BigInt(parts.at(-1)!)) / 1e6;
      if (parts[0] === 'IN') open.set(parts[2]!, { mode: parts[3]!, from: t });
      else {
        const start = open.get(parts[2]!);
        assert.ok(start, `${proc.who}: OUT without IN: ${line}`);
        open.delete(parts[2]!);
        out.push({ who: proc.who, mode: start.mode, from: start.from, to: t });
      }
    }
    assert.ok(open.size === 0 || (proc.killed && open.size === 1), `${proc.who}: holds left open without a kill`);
    for (const start of open.values()) out.push({ who: proc.who, mode: start.mode, from: start.from, to: proc.exitAt! });
  }
  return out;
}

interface Sweep {
  maxHolders: number;
  maxReaders: number;
  violations: string[];
}

/** Sweeps the intervals in time order: how many held at once, and any state the recipe forbids. */
function sweep(intervals: Interval[], recipe: StressRecipe): Sweep {
  const events = intervals.flatMap((iv) => [
    { t: iv.from, delta: 1, iv },
    { t: iv.to, delta: -1, iv },
  ]);
  // At the same instant an end comes first: OUT is written before release() starts.
  events.sort((a, b) => a.t - b.t || a.delta - b.delta);
  const inside = new Set<Interval>();
  const result: Sweep = { maxHolders: 0, maxReaders: 0, violations: [] };
  for (const e of events) {
    if (e.delta < 0) {
      inside.delete(e.iv);
      continue;
    }
    inside.add(e.iv);
    const all = [...inside];
    const readers = all.filter((iv) => iv.mode === 'r').length;
    result.maxHolders = Math.max(result.maxHolders, all.length);
    result.maxReaders = Math.max(result.maxReaders, readers);
    const bad =
      recipe === 'semaphore' ? all.length > MAX_LEASES : recipe === 'lock' ? all.length > 1 : readers < all.length && all.length > 1;
    if (bad && result.violations.length < 5) result.violations.push(all.map((iv) => `${iv.who}:${iv.mode}@${iv.from.toFixed(3)}-${iv.to.toFixed(3)}`).join(' | '));
  }
  return result;
}

const RECIPES: Array<[StressRecipe, string]> = [
  ['lock', 'Lock: never two holders'],
  ['rwlock', `ReadLock/WriteLock: a writer never with anyone, readers share`],
  ['semaphore', `Semaphore(${MAX_LEASES}): never more than ${MAX_LEASES} holders`],
];

/** The stress suite on one server (one test file per server: the full plan stays well inside the runner's limit per file). */
export function lockStressSuite(server: Target['name']): void {
  forEachTarget(
    'Lock-like recipes under stress (processes, random delays, SIGKILL of holders)',
    (target) => {
      for (const [recipe, title] of RECIPES) {
        it(title, async (t) => {
          const plan = PLAN;
          const dir = mkdtempSync(join(tmpdir(), `herd-stress-${recipe}-`));
          try {
            const started = Date.now();
            const { procs, kills, expiries } = await runStress(target(), recipe, plan, dir);
            t.diagnostic(
              `${plan.workers} x ${plan.rounds} with ${plan.kills} kill(s) in ${((Date.now() - started) / 1000).toFixed(1)} s` +
                (expiries.length > 0 ? `; sessions expired under load while waiting: ${expiries.join(', ')}` : ''),
            );
            for (const p of procs) {
              if (!p.killed) assert.ok(p.done && p.code === 0, `${p.who} exited with ${p.code} before finishing`);
            }
            assert.equal(kills.length, plan.kills, 'every planned kill hit a holder');
            const intervals = intervalsOf(procs);
            assert.equal(intervals.length, plan.workers * plan.rounds, 'every acquisition was recorded');
            const result = sweep(intervals, recipe);
            assert.deepEqual(result.violations, [], 'holders at once beyond what the recipe allows');
            // Not a mutex in disguise: the shared sides were really shared.
            t.diagnostic(`at most ${result.maxHolders} holder(s) at once${recipe === 'rwlock' ? `, ${result.maxReaders} reader(s)` : ''}`);
            if (recipe === 'semaphore') assert.ok(result.maxHolders >= 2, `leases never shared (max ${result.maxHolders})`);
            if (recipe === 'rwlock') assert.ok(result.maxReaders >= 2, `readers never shared (max ${result.maxReaders})`);
            if (recipe === 'lock') {
              // After each kill the next holder got in once the dead session expired: within the
              // negotiated timeout plus the server's expiry tick and the machine's load.
              const negotiated = Math.max(...procs.map((p) => p.session));
              for (const k of kills) {
                const next = Math.min(...intervals.filter((iv) => iv.from > k).map((iv) => iv.from));
                if (!Number.isFinite(next)) continue; // the kill was in the very last hold
                assert.ok(next - k < negotiated * 1.5 + 1500, `takeover ${(next - k).toFixed(0)} ms after a kill (session ${negotiated} ms)`);
              }
            }
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        });
      }
    },
    { herd: { tickTime: 250 }, concurrency: true, targets: [server] },
  );
}
