/**
 * Kazoo interop: the Python scripts in test/interop/kazoo/ (Debian's
 * python3-kazoo 2.8) run against Herd's server (in process) and against a
 * real ZooKeeper 3.8 (the Debian jars): crud.py (the plain API, transactions,
 * digest ACLs, DataWatch/ChildrenWatch), recipes.py (Lock, Semaphore,
 * Election, Party, Counter, Barrier, DoubleBarrier, Queue, LockingQueue with
 * several clients), session.py (resume after a cut connection, expiry, a
 * wrong password), extended.py (container and TTL nodes and their collection). Each script must succeed on both,
 * and its JSON transcript must be identical on both. The scripts normalize
 * what legitimately differs between two servers themselves: zxids are
 * relative to the script's first create, times are reduced to facts
 * (ctime <= mtime, mtime == ctime), session ids are named, children lists
 * sorted (ZooKeeper does not order them).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startServer } from '../../src/server/server.js';
import { PYTHON, kazooAvailable, repoRoot, requireTool } from '../support/interop.js';
import { startZooKeeper, zookeeperAvailable, type ZooKeeperServer } from '../support/zookeeper.js';

const SCRIPTS = join(repoRoot(), 'test', 'interop', 'kazoo');

interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runScript(script: string, connectionString: string, timeoutMs = 60_000): Promise<ScriptRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(SCRIPTS, script), connectionString], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Date.now() - started,
      });
    });
  });
}

function transcript(run: ScriptRun, target: string): unknown {
  assert.equal(
    run.code,
    0,
    `${target}: script failed (exit ${run.code})\n--- stderr\n${run.stderr}\n--- transcript so far\n${run.stdout}`,
  );
  try {
    return JSON.parse(run.stdout);
  } catch (e) {
    assert.fail(`${target}: stdout is not JSON (${String(e)}):\n${run.stdout}`);
  }
}

/**
 * Compares two transcripts step by step, so that a failure names the first
 * step that differs rather than dumping two long arrays.
 */
function assertSameTranscript(herd: unknown, zk: unknown): void {
  assert.ok(Array.isArray(herd) && Array.isArray(zk), 'transcripts are arrays');
  const n = Math.min(herd.length, zk.length);
  for (let i = 0; i < n; i++) {
    assert.deepEqual(herd[i], zk[i], `step ${i} (${JSON.stringify((zk[i] as unknown[])[0])}) differs: herd vs zookeeper`);
  }
  assert.equal(herd.length, zk.length, 'transcript lengths differ');
}

const haveTools = kazooAvailable() && zookeeperAvailable();
const CONTAINER_CHECK_MS = 200;

type Pair = { herd: Awaited<ReturnType<typeof startServer>>; zk: ZooKeeperServer };

// session.py is mostly waiting (a cut connection, a session expiring): it runs beside the others, on a pair of
// servers of its own. The others share one pair one after the other, as their transcripts count zxids from
// their own first write and another script's writes in between would shift them.
describe('Kazoo interop: Herd vs ZooKeeper 3.8', { timeout: 180_000, concurrency: true }, () => {
  let shared: Pair | undefined;
  let own: Pair | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  /** Runs `fn` after every script queued before it on the shared pair. */
  const inTurn = <T,>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
  };

  before(async () => {
    if (!requireTool(undefined, kazooAvailable(), 'python3-kazoo (/usr/bin/python3 -c "import kazoo")')) return;
    if (!requireTool(undefined, zookeeperAvailable(), 'ZooKeeper 3.8 (Debian zookeeper package and java)')) return;
    // extended.py needs container and TTL nodes collected within a fraction of a second.
    const [herd, zk, ownHerd, ownZk] = await Promise.all([
      startServer({ host: '127.0.0.1', port: 0, logLevel: 'warn', containerCheckInterval: CONTAINER_CHECK_MS }),
      startZooKeeper({
        forceSync: false,
        extendedTypes: true,
        jvmArgs: [`-Dznode.container.checkIntervalMs=${CONTAINER_CHECK_MS}`],
      }),
      startServer({ host: '127.0.0.1', port: 0, logLevel: 'warn' }),
      startZooKeeper({ forceSync: false }),
    ]);
    shared = { herd, zk };
    own = { herd: ownHerd, zk: ownZk };
  });

  after(async () => {
    await Promise.all([shared?.herd.close(), shared?.zk.destroy(), own?.herd.close(), own?.zk.destroy()]);
  });

  for (const script of ['crud.py', 'recipes.py', 'session.py', 'extended.py']) {
    it(`${script}: succeeds on both servers with identical transcripts`, async (t) => {
      if (!requireTool(t, haveTools, 'python3-kazoo and ZooKeeper 3.8')) return;
      const pair = script === 'session.py' ? own : shared;
      assert.ok(pair, 'servers started');
      // Both servers at once: the transcripts record behaviour, not timing, and session.py mostly waits.
      const both = (): Promise<[ScriptRun, ScriptRun]> => Promise.all([runScript(script, pair.zk.connectionString), runScript(script, pair.herd.connectionString)]);
      const [onZk, onHerd] = await (pair === own ? both() : inTurn(both));
      t.diagnostic(`${script}: zookeeper ${onZk.ms} ms, herd ${onHerd.ms} ms`);
      const zkTranscript = transcript(onZk, `zookeeper (${script})`);
      const herdTranscript = transcript(onHerd, `herd (${script})`);
      assertSameTranscript(herdTranscript, zkTranscript);
    });
  }
});
