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
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TestingServer } from '../../src/testing/testing-server.js';
import { compileJava, curatorToolsAvailable, JavaProcess, repoRoot } from '../support/curator.js';
import { requireTool } from '../support/interop.js';
import { startProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startZooKeeper, zookeeperAvailable, type ZooKeeperServer } from '../support/zookeeper.js';

const SOURCES = join(repoRoot(), 'test', 'interop', 'curator');
/** Short ticks so that the expiry step waits about 2 s rather than the default minimum of 4 s. */
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
    throw new Error(`${target.name}: ${(error as Error).message}`);
  }
  return { transcript: driver.lines.filter((l) => l.startsWith('T ')).map((l) => l.slice(2)), ms: Date.now() - started };
}

function assertSameTranscript(herd: string[], zk: string[]): void {
  const n = Math.min(herd.length, zk.length);
  for (let i = 0; i < n; i++) assert.equal(herd[i], zk[i], `step ${i} differs (herd vs zookeeper)`);
  assert.equal(herd.length, zk.length, `transcript lengths differ:\nherd:\n${herd.join('\n')}\nzookeeper:\n${zk.join('\n')}`);
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
    const [onHerd, onZk] = await Promise.all(targets.map((target) => runDriver(classes, target)));
    t.diagnostic(`CuratorDriver: herd ${onHerd!.ms} ms, zookeeper ${onZk!.ms} ms`);
    assertSameTranscript(onHerd!.transcript, onZk!.transcript);
  });
});
