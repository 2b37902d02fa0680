/**
 * Curator interop: Apache Curator 5.4 (Debian's libcurator-*-java) against
 * Herd's server (TestingServer, in process) and against real ZooKeeper 3.8.
 *
 * 1. Server interop: test/interop/curator/CuratorDriver.java drives each
 *    server through the framework API (creatingParentsIfNeeded, protected
 *    ephemeral-sequential names, versioned setData, transactions) and the
 *    recipes (CuratorCache, InterProcessMutex, InterProcessSemaphoreV2,
 *    LeaderLatch, LeaderSelector, DistributedAtomicLong, DistributedBarrier),
 *    then loses its session behind a proxy the test cuts (SUSPENDED, LOST,
 *    RECONNECTED with a new session). It must succeed on both servers with
 *    identical transcripts (facts only: no session ids, zxids or times).
 * 2. Recipe interop: Curator LeaderLatch / LeaderSelector JVMs
 *    (CuratorContender.java) and Herd's LeaderLatch / LeaderSelector contend
 *    on one path, on each server. Leadership passes from Java to Herd and
 *    back; both sides name the same leader; and the leadership intervals
 *    every contender reports (begin/end, epoch ms, one clock) never overlap.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createClient, type Client } from '../../src/client/index.js';
import { LeaderLatch } from '../../src/recipes/leader-latch.js';
import { LeaderSelector } from '../../src/recipes/leader-selector.js';
import { TestingServer } from '../../src/testing/testing-server.js';
import { compileJava, curatorToolsAvailable, JavaProcess } from '../support/curator.js';
import { repoRoot } from '../support/interop.js';
import { requireTool } from '../support/interop.js';
import { startProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startZooKeeper, zookeeperAvailable, type ZooKeeperServer } from '../support/zookeeper.js';

const SOURCES = join(repoRoot(), 'test', 'interop', 'curator');
/** Short ticks: the expiry step uses a 3 s session, below the default minimum of 4 s. */
const TICK_MS = 250;
const TOOLS = 'javac, Curator (libcurator-*-java) and ZooKeeper 3.8 (Debian zookeeper package)';

interface Target {
  name: 'herd' | 'zookeeper';
  connectionString: string;
  /** In front of the server, for the driver's session-expiry step. */
  proxy: TcpProxy;
}

/**
 * Runs CuratorDriver against `target`, serving its "@cut"/"@resume"
 * requests on the proxy, and resolves its transcript lines.
 */
async function runDriver(classes: string, target: Target): Promise<{ transcript: string[]; ms: number }> {
  const started = Date.now();
  const driver = JavaProcess.start(classes, 'CuratorDriver', [target.connectionString, target.proxy.connectionString]);
  try {
    for (;;) {
      const [line] = await driver.expect(/^(@cut|@resume|DONE)$/, 90_000);
      if (line === 'DONE') break;
      if (line === '@cut') {
        await target.proxy.reject(true);
        target.proxy.dropConnections();
      } else {
        await target.proxy.reject(false);
      }
      driver.send('ok');
    }
    const code = await driver.exit(30_000);
    assert.equal(code, 0, `${target.name}: CuratorDriver exited ${code}\n${driver.describe()}`);
  } catch (error) {
    await driver.kill();
    throw error;
  }
  return { transcript: driver.lines.filter((l) => l.startsWith('T ')).map((l) => l.slice(2)), ms: Date.now() - started };
}

function assertSameTranscript(herd: string[], zk: string[]): void {
  const n = Math.min(herd.length, zk.length);
  for (let i = 0; i < n; i++) assert.equal(herd[i], zk[i], `step ${i} differs (herd vs zookeeper)`);
  assert.equal(herd.length, zk.length, `transcript lengths differ:\nherd:\n${herd.join('\n')}\nzookeeper:\n${zk.join('\n')}`);
}

/** One contender's time as leader, epoch ms. */
interface Term {
  who: string;
  begin: number;
  end: number | undefined;
}

/** Leadership terms of every contender on one path, Java and Herd alike. */
class Terms {
  private readonly herd: Term[] = [];
  private readonly java = new Map<string, JavaProcess>();
  /** Out-of-order events, reported by assertNoOverlap (a throw inside a recipe's event would be lost). */
  private readonly anomalies: string[] = [];

  begin(who: string): void {
    if (this.herd.some((t) => t.who === who && t.end === undefined)) this.anomalies.push(`${who} began leading twice`);
    else this.herd.push({ who, begin: Date.now(), end: undefined });
  }

  end(who: string): void {
    const open = this.herd.find((t) => t.who === who && t.end === undefined);
    if (open) open.end = Date.now();
    else this.anomalies.push(`${who} ended a term it never began`);
  }

  addJava(who: string, process: JavaProcess): void {
    this.java.set(who, process);
  }

  /** A Java contender killed at `at` (epoch ms) stopped leading then, if it led. */
  killed(who: string, at: number): void {
    this.killedAt.set(who, at);
  }
  private readonly killedAt = new Map<string, number>();

  /** Every term so far, in order of their start. */
  all(): Term[] {
    const terms = [...this.herd];
    for (const [who, process] of this.java) {
      for (const line of process.lines) {
        const m = /^(begin|end) (\d+)$/.exec(line);
        if (!m) continue;
        if (m[1] === 'begin') terms.push({ who, begin: Number(m[2]), end: undefined });
        else {
          const open = terms.find((t) => t.who === who && t.end === undefined);
          assert.ok(open, `${who} (Java) ended a term it never began`);
          open.end = Number(m[2]);
        }
      }
      const open = terms.find((t) => t.who === who && t.end === undefined);
      if (open) open.end = this.killedAt.get(who);
    }
    return terms.sort((a, b) => a.begin - b.begin);
  }

  /** Who has led, in order. */
  leaders(): string[] {
    return this.all().map((t) => t.who);
  }

  /** Each term ends before (or in the same ms as) the next one begins; only the last may be open. */
  assertNoOverlap(): void {
    assert.deepEqual(this.anomalies, [], 'Herd leadership events out of order');
    const terms = this.all();
    for (let i = 1; i < terms.length; i++) {
      const prev = terms[i - 1]!;
      const next = terms[i]!;
      const show = terms.map((t) => `${t.who} ${t.begin}..${t.end ?? 'open'}`).join(', ');
      assert.ok(prev.end !== undefined && prev.end <= next.begin, `overlapping leaders: ${show}`);
    }
  }
}

/** A Curator contender JVM on `path` (see CuratorContender.java). */
async function startContender(
  classes: string,
  connectionString: string,
  path: string,
  id: string,
  kind: 'latch' | 'selector',
  sessionMs = 10_000,
): Promise<JavaProcess> {
  const java = JavaProcess.start(classes, 'CuratorContender', [connectionString, path, id, kind, String(sessionMs)]);
  await java.expect(/^ready$/, 60_000);
  return java;
}

/** Sends a command and waits for its acknowledgement. */
async function command(java: JavaProcess, what: 'start' | 'close' | 'release' | 'quit'): Promise<void> {
  java.send(what);
  await java.expect(new RegExp(`^ok ${what}$`), 30_000);
}

async function javaLeader(java: JavaProcess): Promise<string> {
  java.send('leader');
  return (await java.expect(/^leader (.*)$/, 30_000))[1]!;
}

function begins(java: JavaProcess, n: number): Promise<void> {
  return java.waitUntil((lines) => lines.filter((l) => l.startsWith('begin ')).length >= n, 30_000, `leadership #${n}`);
}

async function herdClient(connectionString: string): Promise<Client> {
  const client = createClient(connectionString, { sessionTimeout: 10_000, requestTimeout: 20_000 });
  await client.connect();
  return client;
}

/** Polls `check` until it is true (every 25 ms, for up to 30 s). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Java latch j1, Herd latch h1, Java j2, Herd h2 join in that order; each
 * leader in turn closes, so leadership goes Java -> Herd -> Java -> Herd.
 * At each step both languages must name the same leader. Then Java j3
 * leads and its JVM is killed: Herd's h3 takes over once j3's session
 * (2 s) has expired on the server.
 */
async function latchScenario(classes: string, target: Target): Promise<string[]> {
  const path = '/curator-interop/latch';
  const terms = new Terms();
  const clients = await Promise.all([herdClient(target.connectionString), herdClient(target.connectionString)]);
  const javas: JavaProcess[] = [];
  try {
    const [j1, j2, j3] = await Promise.all(
      ['java-1', 'java-2', 'java-3'].map(async (id) => {
        const sessionMs = id === 'java-3' ? 2_000 : 10_000;
        const java = await startContender(classes, target.connectionString, path, id, 'latch', sessionMs);
        javas.push(java);
        terms.addJava(id, java);
        return java;
      }),
    );
    const herdLatch = (client: Client, id: string): LeaderLatch => {
      const latch = new LeaderLatch(client, path, { identifier: id });
      latch.on('isLeader', () => terms.begin(id));
      latch.on('notLeader', () => terms.end(id));
      return latch;
    };
    const h1 = herdLatch(clients[0]!, 'herd-1');
    const h2 = herdLatch(clients[1]!, 'herd-2');

    await command(j1!, 'start');
    await begins(j1!, 1);
    await h1.start();
    await command(j2!, 'start');
    // Curator creates its node in the background: let it queue before herd-2 does.
    await until(async () => (await h1.participants()).length === 3, 'java-2 queued');
    await h2.start();
    await until(async () => (await h1.participants()).length === 4, 'four participants');
    const sameLeader = async (expected: string): Promise<void> => {
      assert.equal(await h2.leader(), expected, 'leader as Herd sees it');
      assert.equal(await javaLeader(j2!), expected, 'leader as Curator sees it');
    };
    await sameLeader('java-1');
    assert.equal(h1.hasLeadership || h2.hasLeadership, false, 'no Herd latch leads while java-1 does');

    await command(j1!, 'close');
    await h1.await({ timeout: 30_000 }); // herd-1 leads after java-1 closed (a TimeoutError otherwise)
    await sameLeader('herd-1');

    await h1.close();
    await begins(j2!, 1);
    assert.equal(h2.hasLeadership, false, 'herd-2 waits behind java-2');
    await sameLeader('java-2');

    await command(j2!, 'close');
    await h2.await({ timeout: 30_000 }); // herd-2 leads after java-2 closed (a TimeoutError otherwise)
    assert.equal(await h2.leader(), 'herd-2');

    // A leader that dies: its node goes with its session, and the next in line (Herd) leads.
    await command(j3!, 'start');
    await until(async () => (await h2.participants()).length === 2, 'java-3 queued');
    const h3 = herdLatch(clients[0]!, 'herd-3');
    await h3.start();
    await h2.close();
    await begins(j3!, 1);
    assert.equal(await h3.leader(), 'java-3', 'leader as Herd sees it');
    assert.equal(await javaLeader(j3!), 'java-3', 'leader as Curator sees it');
    terms.killed('java-3', Date.now());
    await j3!.kill();
    await h3.await({ timeout: 30_000 }); // herd-3 leads once the killed leader's session expired (a TimeoutError otherwise)
    assert.equal(await h3.leader(), 'herd-3');
    await h3.close();
    terms.assertNoOverlap();
    return terms.leaders();
  } finally {
    await Promise.all(javas.map(async (java) => (java.done ? undefined : command(java, 'quit').catch(() => java.kill()))));
    await Promise.all(javas.map((java) => java.exit(10_000)));
    await Promise.all(clients.map((c) => c.close()));
  }
}

/**
 * A Curator LeaderSelector and a Herd LeaderSelector, both re-queueing,
 * take turns on one path: each releases in turn, so leadership alternates
 * Java, Herd, Java, Herd; both name the same leader at every turn.
 */
async function selectorScenario(classes: string, target: Target): Promise<string[]> {
  const path = '/curator-interop/selector';
  const terms = new Terms();
  const client = await herdClient(target.connectionString);
  const java = await startContender(classes, target.connectionString, path, 'java-s', 'selector');
  terms.addJava('java-s', java);
  let releaseHerd: (() => void) | undefined;
  const selector = new LeaderSelector(
    client,
    path,
    async (lost) => {
      terms.begin('herd-s');
      await new Promise<void>((resolve) => {
        releaseHerd = resolve;
        lost.addEventListener('abort', () => resolve(), { once: true });
      });
      releaseHerd = undefined;
      terms.end('herd-s');
    },
    { identifier: 'herd-s', autoRequeue: true, layout: 'curator' },
  );
  try {
    await command(java, 'start');
    await begins(java, 1);
    selector.start();
    await until(async () => (await selector.participants()).length === 2, 'both selectors queued');
    for (let round = 1; round <= 2; round++) {
      assert.equal(selector.hasLeadership, false, `round ${round}: Herd waits while Java leads`);
      assert.equal((await selector.participants())[0], 'java-s', `round ${round}: leader as Herd sees it`);
      assert.equal(await javaLeader(java), 'java-s', `round ${round}: leader as Curator sees it`);

      await command(java, 'release');
      await until(() => releaseHerd !== undefined, `round ${round}: Herd leads after Java released`);
      // Curator re-queues behind Herd: wait for its node before asking who leads.
      await until(async () => (await selector.participants()).length === 2, 'Java queued again');
      assert.equal((await selector.participants())[0], 'herd-s', `round ${round}: leader as Herd sees it`);
      assert.equal(await javaLeader(java), 'herd-s', `round ${round}: leader as Curator sees it`);

      releaseHerd!();
      await begins(java, round + 1);
    }
    await command(java, 'close');
    await until(() => releaseHerd !== undefined, 'Herd leads after Java closed');
    await selector.close();
    terms.assertNoOverlap();
    return terms.leaders();
  } finally {
    await selector.close();
    if (!java.done) await command(java, 'quit').catch(() => java.kill());
    await java.exit(10_000);
    await client.close();
  }
}

/**
 * Runs `scenario` on every target at once and resolves their results. Waits
 * for all of them even when one fails, so that no scenario still runs while
 * the servers are torn down; then rejects with every failure, named by target.
 */
async function onEveryTarget<T>(targets: readonly Target[], scenario: (target: Target) => Promise<T>): Promise<T[]> {
  const settled = await Promise.allSettled(targets.map((target) => scenario(target)));
  const failures = settled.flatMap((r, i) => (r.status === 'rejected' ? [`${targets[i]!.name}: ${String((r.reason as Error)?.stack ?? r.reason)}`] : []));
  if (failures.length > 0) assert.fail(failures.join('\n\n'));
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

const haveTools = curatorToolsAvailable() && zookeeperAvailable();

describe('Curator interop: Herd vs ZooKeeper 3.8', { timeout: 180_000 }, () => {
  let herd: TestingServer | undefined;
  let zk: ZooKeeperServer | undefined;
  const targets: Target[] = [];
  let classes = '';

  before(async () => {
    if (!requireTool(undefined, haveTools, TOOLS)) return;
    [herd, zk, classes] = await Promise.all([
      TestingServer.start({ tickTime: TICK_MS }),
      startZooKeeper({ tickTime: TICK_MS, forceSync: false }),
      compileJava(SOURCES),
    ]);
    targets.push(
      { name: 'herd', connectionString: herd.connectionString, proxy: await startProxy('127.0.0.1', herd.port) },
      { name: 'zookeeper', connectionString: zk.connectionString, proxy: await startProxy(zk.host, zk.port) },
    );
  });

  after(async () => {
    await Promise.all(targets.map((t) => t.proxy.close()));
    await Promise.all([herd?.close(), zk?.destroy()]);
  });

  it('CuratorDriver: framework API and recipes succeed on both servers with identical transcripts', async (t) => {
    if (!requireTool(t, haveTools, TOOLS)) return;
    const [onHerd, onZk] = await onEveryTarget(targets, (target) => runDriver(classes, target));
    t.diagnostic(`CuratorDriver: herd ${onHerd!.ms} ms, zookeeper ${onZk!.ms} ms`);
    assertSameTranscript(onHerd!.transcript, onZk!.transcript);
  });

  it('LeaderLatch: Curator and Herd latches share one path, one leader at a time, passing leadership both ways (also when a Java leader dies)', async (t) => {
    if (!requireTool(t, haveTools, TOOLS)) return;
    const orders = await onEveryTarget(targets, (target) => latchScenario(classes, target));
    for (const order of orders) assert.deepEqual(order, ['java-1', 'herd-1', 'java-2', 'herd-2', 'java-3', 'herd-3']);
  });

  it('LeaderSelector: Curator and Herd selectors take turns on one path, both naming the same leader', async (t) => {
    if (!requireTool(t, haveTools, TOOLS)) return;
    const orders = await onEveryTarget(targets, (target) => selectorScenario(classes, target));
    for (const order of orders) assert.deepEqual(order, ['java-s', 'herd-s', 'java-s', 'herd-s', 'java-s', 'herd-s']);
  });
});
