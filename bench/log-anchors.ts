/**
 * What the log suite (./log.ts) measures Herd's log against, all started
 * and measured here: three processes fdatasyncing on this disk and
 * acknowledged at two (the 3/3/2 anchor: see ./log.ts for why it is
 * there), and Redis Streams (`appendfsync always`; XADD and XRANGE). The
 * disk's own limit is bench/log-storage.ts's rawAppends.
 *
 * `node build/bench/log-anchors.js --sync-child <dir>` is the
 * fdatasyncing child this file forks.
 */
import { spawn, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient as createRedisClient, RESP_TYPES } from 'redis';
import { freePort } from '../test/support/ports.js';
import { bestMbPerSec, measureLoops, type AddFigures } from './log-storage.js';
import { sleep } from './stats.js';

/** Bytes of each appended entry. */
export const ENTRY_SIZE = 100;
/** Timestamps of the read fill start here, epoch ms. */
export const BASE_TIME = 1_700_000_000_000;
/** Entries per millisecond of timestamps in the read fill, so a time range selects a real slice. */
export const PER_MS = 100;

/** The time range [from, to] of the middle quarter of a read fill of `count` entries. */
export function middleQuarter(count: number): [number, number] {
  const from = BASE_TIME + Math.floor(count / 2 / PER_MS);
  return [from, from + Math.floor(count / 4 / PER_MS) - 1];
}

/** Where `redis-server` is, or undefined. */
export function redisServerPath(): string | undefined {
  return ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
}

// ---- three fdatasyncing processes, acknowledged at two (the 3/3/2 anchor) ------------------------

export interface SyncChild {
  /** Writes `bytes` (held by the child) to its file and fdatasyncs it; resolves when done. */
  sync(bytes: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startSyncChild(): Promise<SyncChild> {
  const dir = await mkdtemp(join(tmpdir(), 'herd-bench-log-sync-'));
  const proc = fork(fileURLToPath(import.meta.url), ['--sync-child', dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting: (() => void)[] = [];
  proc.on('message', () => waiting.shift()?.());
  await new Promise<void>((ready, fail) => {
    waiting.push(ready);
    proc.once('exit', (code) => fail(new Error(`sync child exited with ${code} before it was ready`)));
  });
  return {
    sync: (bytes) =>
      new Promise<void>((done) => {
        waiting.push(done);
        proc.send(bytes);
      }),
    stop: async () => {
      proc.kill('SIGKILL');
      await new Promise((r) => (proc.exitCode !== null || proc.signalCode !== null ? r(null) : proc.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The child: on each message (a byte count), write that many bytes + fdatasync, synchronously, then answer. */
function syncChildMain(dir: string): void {
  const fd = openSync(join(dir, 'raw.log'), 'a');
  let buf = randomBytes(0);
  process.on('message', (bytes) => {
    if (buf.length !== bytes) buf = randomBytes(bytes as number);
    writeSync(fd, buf);
    fdatasyncSync(fd);
    process.send!(0);
  });
  process.on('disconnect', () => {
    closeSync(fd);
    process.exit(0);
  });
  process.send!(0);
}

/** Batches of `batch` entries written + fdatasynced by all three children at once, acknowledged when two have synced. */
export async function quorumSyncAppends(children: readonly SyncChild[], batch: number, o: { duration: number; warmup: number }): Promise<AddFigures> {
  const bytes = ENTRY_SIZE * batch;
  let inFlight: Promise<void>[] = [];
  const figures = await measureLoops(1, o, ENTRY_SIZE, async () => {
    // The third sync goes on after the ack, as a 3/3/2 writer's slowest node does: the next batch queues behind it in that child.
    inFlight = children.map((c) => c.sync(bytes));
    await secondOf(inFlight);
    return batch;
  });
  await Promise.all(inFlight);
  return figures;
}

function secondOf(all: readonly Promise<void>[]): Promise<void> {
  return new Promise((resolve) => {
    let n = 0;
    for (const p of all) void p.then(() => ++n === 2 && resolve());
  });
}

// ---- Redis --------------------------------------------------------------------------------

function newRedis(port: number) {
  return createRedisClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false } });
}
export type Redis = ReturnType<typeof newRedis>;

export interface RedisServer {
  readonly client: Redis;
  stop(): Promise<void>;
}

export async function startRedis(binary: string): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'herd-bench-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no'];
  const proc = spawn(binary, args, { stdio: 'ignore' });
  const client = newRedis(port);
  client.on('error', () => {});
  for (let i = 0; ; i++) {
    try {
      await client.connect();
      break;
    } catch (error) {
      if (i > 100 || proc.exitCode !== null) throw new Error(`redis-server did not start on port ${port}: ${String(error)}`);
      await sleep(50);
    }
  }
  return {
    client,
    stop: async () => {
      await client.quit().catch(() => {});
      proc.kill('SIGKILL');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function redisAppends(redis: Redis, batch: number, o: { duration: number; warmup: number }, key: string): Promise<AddFigures> {
  const data = Buffer.alloc(ENTRY_SIZE, 7);
  try {
    return await measureLoops(1, o, ENTRY_SIZE, async () => {
      const adds: Promise<unknown>[] = [];
      for (let i = 0; i < batch; i++) adds.push(redis.xAdd(key, '*', { d: data }));
      await Promise.all(adds);
      return batch;
    });
  } finally {
    await redis.del(key);
  }
}

/** Fills a stream with the read set (ids = the same timestamps as the log's), returns MB/s of whole and middle-quarter XRANGE. */
export async function redisReads(redis: Redis, count: number, size: number): Promise<{ full: number; window: number }> {
  const key = 'herd-bench-read';
  const data = Buffer.alloc(size, 9);
  for (let e = 0; e < count; e += 1024) {
    const adds: Promise<unknown>[] = [];
    for (let i = e; i < Math.min(count, e + 1024); i++) adds.push(redis.xAdd(key, `${BASE_TIME + Math.floor(i / PER_MS)}-${i % PER_MS}`, { d: data }));
    await Promise.all(adds);
  }
  const raw = redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const range = async (from: number, to: number): Promise<number> => {
    let bytes = 0;
    let start = String(from);
    for (;;) {
      const page = await raw.xRange(key, start, String(to), { COUNT: 1000 });
      if (page === null || page.length === 0) return bytes;
      for (const m of page) bytes += (m.message as unknown as Record<string, Buffer>).d!.length;
      start = `(${String(page[page.length - 1]!.id)}`;
    }
  };
  const [wFrom, wTo] = middleQuarter(count);
  const full = await bestMbPerSec(() => range(BASE_TIME, BASE_TIME + Math.ceil(count / PER_MS)));
  const window = await bestMbPerSec(() => range(wFrom, wTo));
  await redis.del(key);
  return { full, window };
}

if (process.argv[2] === '--sync-child' && process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) syncChildMain(process.argv[3]!);
