/**
 * The recipes suite of `npm run bench` (issue 5's benchmark): Herd's Lock
 * against Herd's server and against ZooKeeper 3.8, both with fsync on.
 *
 * - Round trip: sequential `exists` on an idle connection (a read), and
 *   sequential `setData` (a write: committed, so fsync'd, before the reply).
 * - Uncontended: one client acquires and releases one Lock in a loop.
 * - Handoff: 11 clients in this process contend for one Lock, so 10 are
 *   queued whenever the holder releases. The holder stamps
 *   `performance.now()` just before `release()`; the next holder stamps
 *   when its `acquire()` resolves. One process, one monotonic clock.
 *
 * A handoff cannot be shorter than: the holder's delete is committed (a
 * write, with its fsync), the server sends the watch event to the next
 * waiter, and the waiter learns that it is first. Kazoo's protocol makes
 * the waiter list the children again for that (one more read round trip);
 * Herd's Lock skips the listing when the deleted node was the only one
 * ahead of it (see src/recipes/lock.ts), so the floor is about one write.
 */
import { createClient, type Client } from '../src/client/index.js';
import { Lock } from '../src/recipes/index.js';
import type { BenchServer } from './servers.js';
import { log, Samples, type Row, type Section } from './stats.js';

export interface RecipeBenchOptions {
  /** Interleaved rounds per server; the best of each figure is kept. */
  rounds: number;
  /** Measured time of the uncontended loop, ms. */
  durationMs: number;
  /** Measured handoffs per round. */
  handoffs: number;
  /** Queued waiters at each handoff (one more client holds). */
  waiters: number;
}

export const DEFAULT_RECIPE_BENCH: RecipeBenchOptions = { rounds: 2, durationMs: 3000, handoffs: 400, waiters: 10 };

export interface RecipeFigures {
  readP50: number;
  readP99: number;
  writeP50: number;
  writeP99: number;
  lockOpsPerSec: number;
  lockP50: number;
  handoffP50: number;
  handoffP99: number;
  /** Handoff p50 over the read and the write round trip p50 of the same round. */
  handoffReadRtts: number;
  handoffWriteRtts: number;
}

function connectionString(s: BenchServer): string {
  return `${s.host}:${s.port}`;
}

async function connected(server: BenchServer): Promise<Client> {
  const client = createClient(connectionString(server), { sessionTimeout: 10_000, requestTimeout: 30_000 });
  await client.connect();
  return client;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Read and write round trips, sequential, on a connection that does nothing else. */
async function roundTrips(server: BenchServer, base: string): Promise<Pick<RecipeFigures, 'readP50' | 'readP99' | 'writeP50' | 'writeP99'>> {
  const client = await connected(server);
  try {
    const path = `${base}-rtt`;
    await client.create(path, 'x');
    const reads = new Samples();
    const writes = new Samples();
    for (let i = 0; i < 1200; i++) {
      const t0 = performance.now();
      await client.exists(path);
      if (i >= 200) reads.add(performance.now() - t0);
    }
    for (let i = 0; i < 400; i++) {
      const t0 = performance.now();
      await client.setData(path, 'y');
      if (i >= 50) writes.add(performance.now() - t0);
    }
    await client.delete(path);
    const r = reads.summary();
    const w = writes.summary();
    return { readP50: r.p50, readP99: r.p99, writeP50: w.p50, writeP99: w.p99 };
  } finally {
    await client.close();
  }
}

/** One client, one Lock object, acquire + release in a loop. */
async function uncontended(server: BenchServer, base: string, durationMs: number): Promise<Pick<RecipeFigures, 'lockOpsPerSec' | 'lockP50'>> {
  const client = await connected(server);
  try {
    const lock = new Lock(client, `${base}-solo`, { identifier: 'bench' });
    const samples = new Samples();
    const warmEnd = performance.now() + 500;
    while (performance.now() < warmEnd) {
      await lock.acquire();
      await lock.release();
    }
    const start = performance.now();
    const end = start + durationMs;
    let ops = 0;
    for (let now = start; now < end; ops++) {
      await lock.acquire();
      await lock.release();
      const t = performance.now();
      samples.add(t - now);
      now = t;
    }
    return { lockOpsPerSec: (ops * 1000) / (performance.now() - start), lockP50: samples.summary().p50 };
  } finally {
    await client.close();
  }
}

/**
 * `waiters + 1` clients cycle through one Lock. A holder waits until every
 * other client has its contender node (so `waiters` are queued), then
 * stamps and releases, and joins the queue again.
 */
async function handoff(server: BenchServer, base: string, o: RecipeBenchOptions): Promise<Pick<RecipeFigures, 'handoffP50' | 'handoffP99'>> {
  const clients = await Promise.all(Array.from({ length: o.waiters + 1 }, () => connected(server)));
  const path = `${base}-handoff`;
  const locks = clients.map((c, i) => new Lock(c, path, { identifier: `c${i}` }));
  const samples = new Samples();
  const warmup = 40;
  let releasedAt: number | undefined;
  let seen = 0;
  let stop = false;
  const othersQueued = (self: Lock): boolean => locks.every((l) => l === self || l.nodeNameInPath !== undefined);
  const worker = async (lock: Lock): Promise<void> => {
    while (!stop) {
      await lock.acquire();
      const at = performance.now();
      if (releasedAt !== undefined) {
        if (seen++ >= warmup) samples.add(at - releasedAt);
        if (seen >= warmup + o.handoffs) stop = true;
      }
      releasedAt = undefined;
      const waitEnd = Date.now() + 5000;
      while (!stop && !othersQueued(lock) && Date.now() < waitEnd) await pause(1);
      // Let the last one to join finish listing and set its watch.
      await pause(2);
      releasedAt = performance.now();
      await lock.release();
    }
  };
  try {
    await Promise.all(locks.map(worker));
    const s = samples.summary();
    return { handoffP50: s.p50, handoffP99: s.p99 };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

async function measureOnce(server: BenchServer, o: RecipeBenchOptions, round: number): Promise<RecipeFigures> {
  const base = `/bench-recipes-${round}`;
  log(`${server.name}: recipes, round ${round + 1}/${o.rounds}: round trips`);
  const rtt = await roundTrips(server, base);
  log(`${server.name}: recipes: uncontended lock`);
  const solo = await uncontended(server, base, o.durationMs);
  log(`${server.name}: recipes: handoff with ${o.waiters} waiters`);
  const hand = await handoff(server, base, o);
  log(
    `${server.name}: read ${rtt.readP50.toFixed(3)} ms, write ${rtt.writeP50.toFixed(3)} ms, ` +
      `lock ${Math.round(solo.lockOpsPerSec)}/s, handoff p50 ${hand.handoffP50.toFixed(3)} ms p99 ${hand.handoffP99.toFixed(3)} ms`,
  );
  return { ...rtt, ...solo, ...hand, handoffReadRtts: hand.handoffP50 / rtt.readP50, handoffWriteRtts: hand.handoffP50 / rtt.writeP50 };
}

/** The best of each figure over the rounds (lowest latency, highest rate); the RTT ratios are each taken within one round. */
function bestOf(runs: RecipeFigures[]): RecipeFigures {
  const min = (k: keyof RecipeFigures): number => Math.min(...runs.map((r) => r[k]));
  return {
    readP50: min('readP50'),
    readP99: min('readP99'),
    writeP50: min('writeP50'),
    writeP99: min('writeP99'),
    lockOpsPerSec: Math.max(...runs.map((r) => r.lockOpsPerSec)),
    lockP50: min('lockP50'),
    handoffP50: min('handoffP50'),
    handoffP99: min('handoffP99'),
    handoffReadRtts: min('handoffReadRtts'),
    handoffWriteRtts: min('handoffWriteRtts'),
  };
}

/** Both servers, rounds interleaved (alternating who goes first). */
export async function compareRecipes(servers: readonly [BenchServer, BenchServer], o: RecipeBenchOptions): Promise<[RecipeFigures, RecipeFigures]> {
  const runs: [RecipeFigures[], RecipeFigures[]] = [[], []];
  for (let round = 0; round < o.rounds; round++) {
    for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) runs[i]!.push(await measureOnce(servers[i]!, o, round));
  }
  return [bestOf(runs[0]), bestOf(runs[1])];
}

export function recipesSection(h: RecipeFigures, z: RecipeFigures, o: RecipeBenchOptions): Section {
  const inRtt = (f: RecipeFigures): number => f.handoffReadRtts;
  const verdict = (f: RecipeFigures): string => `${inRtt(f).toFixed(2)} read RTT (${inRtt(f) <= 2 ? 'met' : 'MISSED'})`;
  const rows: Row[] = [
    { metric: 'read round trip (exists, idle) p50', candidate: h.readP50, baseline: z.readP50, unit: 'ms', better: 'lower' },
    { metric: 'read round trip (exists, idle) p99', candidate: h.readP99, baseline: z.readP99, unit: 'ms', better: 'lower' },
    { metric: 'write round trip (setData, fsync) p50', candidate: h.writeP50, baseline: z.writeP50, unit: 'ms', better: 'lower' },
    { metric: 'write round trip (setData, fsync) p99', candidate: h.writeP99, baseline: z.writeP99, unit: 'ms', better: 'lower' },
    { metric: 'Lock acquire+release, uncontended', candidate: h.lockOpsPerSec, baseline: z.lockOpsPerSec, unit: 'ops/s', better: 'higher' },
    { metric: 'Lock acquire+release, uncontended p50', candidate: h.lockP50, baseline: z.lockP50, unit: 'ms', better: 'lower' },
    { metric: `Lock handoff, ${o.waiters} waiters, p50`, candidate: h.handoffP50, baseline: z.handoffP50, unit: 'ms', better: 'lower' },
    { metric: `Lock handoff, ${o.waiters} waiters, p99`, candidate: h.handoffP99, baseline: z.handoffP99, unit: 'ms', better: 'lower' },
    { metric: 'Lock handoff p50 in read round trips', candidate: inRtt(h), baseline: inRtt(z), unit: 'RTT', better: 'lower' },
    {
      metric: 'Lock handoff p50 in write round trips',
      candidate: h.handoffWriteRtts,
      baseline: z.handoffWriteRtts,
      unit: 'WRTT',
      better: 'lower',
    },
  ];
  return {
    title: "Recipes: Herd's Lock on Herd's server vs on ZooKeeper 3.8 (fsync on for both)",
    candidateName: 'Herd server',
    baselineName: 'ZooKeeper',
    rows,
    notes: [
      `handoff: release() called by the holder -> acquire() resolved in the next one; ${o.waiters + 1} clients in one process, ` +
        `${o.handoffs} handoffs per round; uncontended: ${o.durationMs} ms; best of ${o.rounds} interleaved rounds per row`,
      `target "handoff p50 within 2 round trips": Herd server ${verdict(h)}, ZooKeeper ${verdict(z)}; ` +
        'a handoff contains a committed delete, so its floor is one write round trip (the write RTT rows)',
    ],
  };
}
