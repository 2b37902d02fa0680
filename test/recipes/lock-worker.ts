/**
 * A child process for lock-stress.ts: acquires a lock-like recipe
 * `rounds` times with random hold times and pauses. Around each hold it
 * appends its own timestamps to its log file, for the test's checker:
 *
 *   IN <who> <round> <mode> <t>     after acquire() resolved
 *   OUT <who> <round> <t>           before release() is called
 *
 * `t` is process.hrtime.bigint(): CLOCK_MONOTONIC, one clock for every
 * process on the machine. The lines are written with a synchronous
 * write(2), so they survive a SIGKILL of this process. On stdout it tells
 * the parent `SESSION <negotiated ms>`, then `IN <round>` (so the parent
 * can kill a holder), `EXPIRED` when its session expired while waiting
 * (it starts a new one) and `DONE` at the end.
 *
 *   node lock-worker.js '<json WorkerConfig>'
 */
import { appendFileSync } from 'node:fs';
import { createClient, type Client } from '../../src/client/index.js';
import { SessionExpiredError } from '../../src/errors.js';
import { Lock, ReadLock, Semaphore, WriteLock } from '../../src/recipes/index.js';

export type StressRecipe = 'lock' | 'rwlock' | 'semaphore';

export interface WorkerConfig {
  connection: string;
  path: string;
  who: string;
  recipe: StressRecipe;
  /** Acquisitions to make. */
  rounds: number;
  /** Rounds (0-based, of this process) in which to hold for `lingerMs`: the parent kills us then. */
  linger: number[];
  lingerMs: number;
  /** Upper bound of the random hold and of the random pause between rounds, ms. */
  holdMs: number;
  pauseMs: number;
  sessionTimeout: number;
  /** Semaphore: leases. */
  maxLeases: number;
  /** rwlock: share of rounds that take the write side. */
  writeShare: number;
  log: string;
}

interface Held {
  acquire(): Promise<boolean>;
  release(): Promise<boolean>;
}

const config = JSON.parse(process.argv[2]!) as WorkerConfig;
// The test holds our stdin: when it dies (a timeout, a crash), so do we,
// instead of retrying a dead server for ever.
process.stdin.on('close', () => process.exit(2));
process.stdin.resume();

async function connect(): Promise<Client> {
  // Generous waits: thirty of us start at once on two cores.
  const c = createClient(config.connection, { sessionTimeout: config.sessionTimeout, requestTimeout: 30_000, connectTimeout: 60_000 });
  await c.connect();
  process.stdout.write(`SESSION ${c.negotiatedTimeout}\n`);
  return c;
}

let client = await connect();

/** One recipe object per side, reused round after round (and made anew with a new session). */
function contenders(): { x: Held; r: Held } {
  const identifier = config.who;
  switch (config.recipe) {
    case 'lock': {
      const lock = new Lock(client, config.path, { identifier });
      return { x: lock, r: lock };
    }
    case 'semaphore': {
      const sem = new Semaphore(client, config.path, { maxLeases: config.maxLeases, identifier });
      return { x: sem, r: sem };
    }
    case 'rwlock':
      return { x: new WriteLock(client, config.path, { identifier }), r: new ReadLock(client, config.path, { identifier }) };
  }
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const lingerRounds = new Set(config.linger);
let sides = contenders();
for (let round = 0; round < config.rounds; round++) {
  const mode = config.recipe !== 'rwlock' ? 'x' : Math.random() < config.writeShare ? 'w' : 'r';
  const held = mode === 'r' ? sides.r : sides.x;
  try {
    await held.acquire();
  } catch (error) {
    // A machine so loaded that this process missed its pings for a whole
    // session timeout: the session is gone, and so is our place in line.
    // Like any real worker, start a new session and try again.
    if (!(error instanceof SessionExpiredError) && client.state !== 'expired') throw error;
    process.stdout.write('EXPIRED\n');
    await client.close();
    client = await connect();
    sides = contenders();
    round--;
    continue;
  }
  appendFileSync(config.log, `IN ${config.who} ${round} ${mode} ${process.hrtime.bigint()}\n`);
  process.stdout.write(`IN ${round}\n`);
  await pause(lingerRounds.has(round) ? config.lingerMs : Math.random() * config.holdMs);
  appendFileSync(config.log, `OUT ${config.who} ${round} ${process.hrtime.bigint()}\n`);
  await held.release();
  await pause(Math.random() * config.pauseMs);
}
process.stdout.write('DONE\n');
await client.close();
process.exit(0);
