/**
 * Herd's recipes and Kazoo's (Debian python3-kazoo 2.8, via
 * test/recipes/kazoo/worker.py) on the same paths, against Herd's server
 * and real ZooKeeper: mutual exclusion (Lock, Election, Semaphore) is
 * checked by a referee outside ZooKeeper (O_EXCL files in a shared temp
 * directory), plus Counter, Party and Queue exchanging data both ways.
 * Without Kazoo the tests skip, except under CI=true where they fail.
 */
import { it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Client } from '../../src/client/index.js';
import { Barrier, Counter, DoubleBarrier, Election, Lock, LockingQueue, NonBlockingLease, Party, Queue, Semaphore } from '../../src/recipes/index.js';
import { PYTHON, kazooAvailable, repoRoot, requireTool } from '../support/interop.js';
import { connect, forEachTarget, sleep, uniquePath, waitFor, type Target } from './harness.js';

const WORKER = join(repoRoot(), 'test', 'recipes', 'kazoo', 'worker.py');

interface Worker {
  ready: Promise<void>;
  go(): void;
  send(line: string): void;
  /** The next JSON line it prints. */
  next(): Promise<Record<string, unknown>>;
  exit: Promise<number | null>;
}

function startWorker(args: string[]): Worker {
  const child = spawn(PYTHON, [WORKER, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(l);
    for (const w of waiters.splice(0)) w();
  });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  void exit.then(() => clearTimeout(timer));
  const nextLine = async (): Promise<string> => {
    for (;;) {
      const l = lines.shift();
      if (l !== undefined) return l;
      const done = await Promise.race([new Promise<boolean>((r) => waiters.push(() => r(false))), exit.then(() => true)]);
      if (done && lines.length === 0) throw new Error(`kazoo worker ${args[0]} exited (${child.exitCode}):\n${stderr}`);
    }
  };
  return {
    ready: nextLine().then((l) => assert.equal(l, 'READY')),
    go: () => child.stdin.write('go\n'),
    send: (line) => child.stdin.write(`${line}\n`),
    next: async () => JSON.parse(await nextLine()) as Record<string, unknown>,
    exit,
  };
}

function needKazoo(t: TestContext): boolean {
  return requireTool(t, kazooAvailable(), `Kazoo (${PYTHON} with python3-kazoo)`);
}

/** The Herd side of the referee: the same O_EXCL files as worker.py. */
async function critical(dir: string, who: string, stats: { entries: number; violations: number }, max = 1): Promise<void> {
  const name = join(dir, max === 1 ? 'holder' : `slot-${who}`);
  stats.entries++;
  let fd: number | undefined;
  try {
    fd = openSync(name, 'wx');
    writeSync(fd, who);
    closeSync(fd);
    if (max > 1 && readdirSync(dir).length > max) stats.violations++;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    stats.violations++;
    fd = undefined;
  }
  await sleep(1 + Math.random() * 9);
  if (fd !== undefined) unlinkSync(name);
}

/** Runs Kazoo workers and Herd loops together, after every worker is connected. */
async function contend(
  target: Target,
  workers: string[][],
  herdLoops: Array<(client: Client) => Promise<void>>,
): Promise<Record<string, unknown>[]> {
  const started = workers.map(startWorker);
  const clients = await Promise.all(herdLoops.map(() => connect(target)));
  await Promise.all(started.map((w) => w.ready));
  for (const w of started) w.go();
  const [results] = await Promise.all([Promise.all(started.map((w) => w.next())), ...herdLoops.map((loop, i) => loop(clients[i]!))]);
  const codes = await Promise.all(started.map((w) => w.exit));
  assert.deepEqual(codes, started.map(() => 0));
  return results;
}

forEachTarget('Kazoo interop', (target) => {
  const ROUNDS = 12;

  it('Lock: Kazoo and Herd contenders exclude each other', async (t) => {
    if (!needKazoo(t)) return;
    const path = uniquePath('kz-lock');
    const dir = mkdtempSync(join(tmpdir(), 'herd-kz-lock-'));
    const herd = { entries: 0, violations: 0 };
    let kazooQueuedBehindHerd = 0;
    const loop = (who: string) => async (client: Client) => {
      for (let i = 0; i < ROUNDS; i++) {
        const lock = new Lock(client, path, { identifier: who });
        await lock.run(async () => {
          // Proof that the languages really interleave: Kazoo contenders queued behind a Herd holder.
          if ((await lock.contenders()).slice(1).some((c) => c.startsWith('py-'))) kazooQueuedBehindHerd++;
          await critical(dir, who, herd);
        });
        await sleep(Math.random() * 5);
      }
    };
    const results = await contend(
      target(),
      [['lock', target().connectionString, path, 'py-1', String(ROUNDS), dir], ['lock', target().connectionString, path, 'py-2', String(ROUNDS), dir]],
      [loop('herd-1'), loop('herd-2')],
    );
    rmSync(dir, { recursive: true, force: true });
    const py = { entries: 0, violations: 0 };
    for (const r of results) {
      py.entries += Number(r.entries);
      py.violations += Number(r.violations);
    }
    assert.equal(py.entries + herd.entries, 4 * ROUNDS);
    assert.equal(py.violations + herd.violations, 0, `py ${JSON.stringify(py)} herd ${JSON.stringify(herd)}`);
    assert.ok(kazooQueuedBehindHerd > 0, 'Kazoo and Herd contended at the same time');
  });

  it('Lock: a Kazoo contender waits behind a Herd holder and sees its identifier', async (t) => {
    if (!needKazoo(t)) return;
    const path = uniquePath('kz-lock-order');
    const client = await connect(target());
    const lock = new Lock(client, path, { identifier: 'herd-holder' });
    await lock.acquire();
    const dir = mkdtempSync(join(tmpdir(), 'herd-kz-order-'));
    const w = startWorker(['lock', target().connectionString, path, 'py-waiter', '1', dir]);
    await w.ready;
    w.go();
    await waitFor(async () => (await lock.contenders()).length === 2, 15000, 'the Kazoo contender');
    assert.deepEqual(await lock.contenders(), ['herd-holder', 'py-waiter']);
    const names = await client.getChildren(path);
    assert.ok(names.every((n) => /^[0-9a-f]{32}__lock__\d{10}$/.test(n)), names.join());
    await sleep(300);
    assert.equal(existsSync(join(dir, 'holder')), false, 'Kazoo must not be inside while Herd holds the lock');
    await lock.release();
    const result = await w.next();
    assert.deepEqual([result.entries, result.violations], [1, 0]);
    assert.equal(await w.exit, 0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('Election: one leader at a time across Kazoo and Herd', async (t) => {
    if (!needKazoo(t)) return;
    const path = uniquePath('kz-election');
    const dir = mkdtempSync(join(tmpdir(), 'herd-kz-elect-'));
    const herd = { entries: 0, violations: 0 };
    const loop = (who: string) => async (client: Client) => {
      for (let i = 0; i < ROUNDS; i++) await new Election(client, path, { identifier: who }).run(() => critical(dir, who, herd));
    };
    const results = await contend(
      target(),
      [['election', target().connectionString, path, 'py-1', String(ROUNDS), dir], ['election', target().connectionString, path, 'py-2', String(ROUNDS), dir]],
      [loop('herd-1'), loop('herd-2')],
    );
    rmSync(dir, { recursive: true, force: true });
    const violations = herd.violations + results.reduce((s, r) => s + Number(r.violations), 0);
    const entries = herd.entries + results.reduce((s, r) => s + Number(r.entries), 0);
    assert.equal(entries, 4 * ROUNDS);
    assert.equal(violations, 0);
  });

  it('Semaphore: at most 2 holders across Kazoo and Herd', async (t) => {
    if (!needKazoo(t)) return;
    const path = uniquePath('kz-sem');
    const dir = mkdtempSync(join(tmpdir(), 'herd-kz-sem-'));
    const herd = { entries: 0, violations: 0 };
    const loop = (who: string) => async (client: Client) => {
      for (let i = 0; i < ROUNDS; i++) await new Semaphore(client, path, { maxLeases: 2, identifier: who }).run(() => critical(dir, who, herd, 2));
    };
    const results = await contend(
      target(),
      [['semaphore', target().connectionString, path, 'py-1', String(ROUNDS), dir, '2'], ['semaphore', target().connectionString, path, 'py-2', String(ROUNDS), dir, '2']],
      [loop('herd-1'), loop('herd-2')],
    );
    rmSync(dir, { recursive: true, force: true });
    assert.equal(herd.violations + results.reduce((s, r) => s + Number(r.violations), 0), 0);
    assert.equal(herd.entries + results.reduce((s, r) => s + Number(r.entries), 0), 4 * ROUNDS);
  });

  it('Counter: Kazoo and Herd increments all count', async (t) => {
    if (!needKazoo(t)) return;
    const path = uniquePath('kz-counter');
    const loop = async (client: Client) => {
      const c = new Counter(client, path);
      for (let i = 0; i < 20; i++) await c.add(1);
    };
    await contend(target(), [['counter', target().connectionString, path, '-', '20'], ['counter', target().connectionString, path, '-', '20']], [loop, loop]);
    const client = await connect(target());
    assert.equal(await new Counter(client, path).value(), 80);
    assert.equal((await client.getData(path)).data?.toString(), '80');
  });

  it('Party: members join and leave across Kazoo and Herd', async (t) => {
    if (!needKazoo(t)) return;
    const path = uniquePath('kz-party');
    const client = await connect(target());
    const party = new Party(client, path, { identifier: 'herd-1' });
    await party.join();
    const w = startWorker(['party', target().connectionString, path, 'py-1', '2']);
    await w.ready;
    w.go();
    assert.deepEqual((await w.next()).members, ['herd-1', 'py-1']);
    assert.deepEqual((await party.members()).sort(), ['herd-1', 'py-1']);
    w.send('leave');
    assert.deepEqual((await w.next()).members, ['herd-1']);
    assert.equal(await w.exit, 0);
    assert.deepEqual(await party.members(), ['herd-1']);
    await party.leave();
  });

  it('Queue: priorities and FIFO order agree both ways', async (t) => {
    if (!needKazoo(t)) return;
    const path = uniquePath('kz-queue');
    const client = await connect(target());
    const q = new Queue(client, path);
    await q.put('a');
    await q.put('b');
    await q.put('c', { priority: 1 });
    const w = startWorker(['queue', target().connectionString, path, '-']);
    await w.ready;
    w.go();
    assert.deepEqual((await w.next()).got, ['c', 'a', 'b']);
    assert.equal(await w.exit, 0);
    assert.equal((await q.get())?.toString(), 'from-kazoo-high');
    assert.equal((await q.get())?.toString(), 'from-kazoo-low');
    assert.equal(await q.get(), null);
  });

  it('Barrier and DoubleBarrier: Kazoo and Herd members wait for each other', async (t) => {
    if (!needKazoo(t)) return;
    const client = await connect(target());
    const gatePath = uniquePath('kz-barrier');
    const gate = new Barrier(client, gatePath);
    await gate.create();
    const waiter = startWorker(['barrier', target().connectionString, gatePath, '-', '20']);
    await waiter.ready;
    waiter.go();
    await sleep(300);
    await gate.remove();
    assert.equal((await waiter.next()).cleared, true);
    assert.equal(await waiter.exit, 0);

    const path = uniquePath('kz-double');
    const py = [startWorker(['doublebarrier', target().connectionString, path, 'py-1', '3']), startWorker(['doublebarrier', target().connectionString, path, 'py-2', '3'])];
    await Promise.all(py.map((w) => w.ready));
    for (const w of py) w.go();
    const herd = new DoubleBarrier(client, path, 3, { identifier: 'herd-1' });
    await waitFor(async () => (await client.getChildren(path).catch(() => [])).length === 2, 15000, 'the Kazoo members');
    await herd.enter({ timeout: 15000 });
    const entered = await Promise.all(py.map((w) => w.next()));
    assert.ok(entered.every((e) => Number(e.entered_with) >= 2));
    for (const w of py) w.send('leave');
    await herd.leave({ timeout: 15000 });
    assert.deepEqual(await Promise.all(py.map((w) => w.next().then((r) => r.left))), [true, true]);
    assert.deepEqual(await Promise.all(py.map((w) => w.exit)), [0, 0]);
    assert.deepEqual(await client.getChildren(path), []);
  });

  it('NonBlockingLease and LockingQueue: Kazoo honours Herd leases and takes Herd items', async (t) => {
    if (!needKazoo(t)) return;
    const client = await connect(target());
    const leasePath = uniquePath('kz-lease');
    assert.equal(await NonBlockingLease.obtain(client, leasePath, { duration: 60_000, identifier: 'herd' }), true);
    const other = startWorker(['lease', target().connectionString, leasePath, 'py', '60']);
    await other.ready;
    other.go();
    assert.deepEqual(await other.next().then((r) => [r.obtained, r.holder]), [false, 'herd']);
    const renew = startWorker(['lease', target().connectionString, leasePath, 'herd', '60']);
    await renew.ready;
    renew.go();
    assert.deepEqual(await renew.next().then((r) => [r.obtained, r.holder]), [true, 'herd'], 'same identifier renews');

    const qPath = uniquePath('kz-lqueue');
    const q = new LockingQueue(client, qPath);
    await q.put('from-herd', { priority: 50 });
    const consumer = startWorker(['lockingqueue', target().connectionString, qPath, '-']);
    await consumer.ready;
    consumer.go();
    assert.deepEqual(await consumer.next().then((r) => [r.got, r.consumed]), ['from-herd', true]);
    assert.equal(await consumer.exit, 0);
    assert.equal((await q.get({ timeout: 5000 }))?.toString(), 'from-kazoo');
    assert.equal(await q.consume(), true);
    assert.equal(await q.size(), 0);
  });
});
