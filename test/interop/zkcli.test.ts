/**
 * zkCli interop: ZooKeeper 3.8's own command-line client
 * (org.apache.zookeeper.ZooKeeperMain from the Debian jars) runs the same
 * scripts against a fresh `herd server` (the CLI, in its own process, with an
 * empty data directory) and a fresh real ZooKeeper, and the outputs must be
 * identical.
 *
 * Both servers start empty, so zxids are compared exactly. Normalized:
 * the port in "Connecting to", times (ctime/mtime), non-zero session ids
 * (ephemeralOwner). zkCli prints watch events from its event thread and
 * command results from the main thread, so stdout is split into the
 * sequence of watch events (compared in order) and the rest (compared in
 * order); stderr (where 3.8 prints "Created ..." and most errors) is
 * compared as is.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTool } from '../support/interop.js';
import { freePort } from '../support/ports.js';
import { runZkCli, startZooKeeper, zookeeperAvailable, type ZooKeeperServer } from '../support/zookeeper.js';

/** The `herd` CLI compiled alongside this test (build/src/cli/main.js). */
const HERD_CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface HerdProcess {
  readonly connectionString: string;
  output(): string;
  /** SIGTERM, wait for the exit; the data directory stays. */
  stop(): Promise<void>;
  /** Start again on the same port and data directory. */
  restart(): Promise<void>;
  /** stop() and delete the data directory. */
  destroy(): Promise<void>;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `herd server` as a user starts it, on a free loopback port with an empty data directory. */
async function startHerdCli(): Promise<HerdProcess> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'herd-zkcli-'));
  const args = [HERD_CLI, 'server', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir];
  let out = '';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    child = undefined;
  };
  const launch = async (): Promise<void> => {
    const proc = spawn(process.execPath, [...args, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 15_000;
    while (!(await canConnect(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`herd server did not start listening on ${port}:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const destroy = async (): Promise<void> => {
    await stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await launch();
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return { connectionString: `127.0.0.1:${port}`, output: () => out, stop, restart: launch, destroy };
}

const DIGEST_ALICE = 'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E='; // alice:secret

/** First session: creates, reads, updates, deletes, watches, ACLs. */
const SCRIPT_MAIN = `
create /cli data1
create -s /cli/seq- s
create -s /cli/seq- s2
create -e /cli/eph e
create -e -s /cli/eseq- es
create -c /cli/cont
create /cli/cont/child c
create -t 10000 /cli/ttl t
create -s -t 10000 /cli/sttl- t
create -t 0 /cli/ttl0 t
create /cli data-again
create /nope/child x
get -s /cli
get /cli/missing
set /cli data2
set -v 0 /cli data3
set -s -v 1 /cli data3
ls /cli
ls -s /cli
ls -R /cli
stat /cli/ttl
stat /cli/sttl-0000000006
stat /cli/cont
stat /cli/eph
stat /missing
getEphemerals /cli
getAllChildrenNumber /cli
delete /cli
delete -v 5 /cli/eph
delete /cli/eph
deleteall /cli/cont
stat /cli
get -w /cli
set /cli data4
ls -w /cli
create /cli/new n
stat -w /cli/later
create /cli/later l
get -w /cli/later
removewatches /cli/later -d
removewatches /cli/later
create /w w
addWatch -m PERSISTENT_RECURSIVE /w
create /w/a a
set /w/a a2
create /w/a/b b
delete /w/a/b
deleteall /w
create /p p
addWatch /p
create /p/c c
set /p p2
set /p p3
delete /p/c
addauth digest alice:secret
whoami
create /sec s
setAcl /sec digest:${DIGEST_ALICE}:cdrwa,world:anyone:r
getAcl /sec
getAcl -s /sec
create /sec/child c
setAcl /sec/child auth::cdrwa
getAcl /sec/child
setAcl -v 0 /sec/child world:anyone:r
deleteall /cli
ls /
`;

/** Second session, unauthenticated at first: what the ACLs of the first allow. */
const SCRIPT_ANON = `
whoami
get /sec
set /sec x
getAcl /sec
getAcl /sec/child
get /sec/child
create /sec/child/x x
addauth digest alice:wrong
get /sec/child
addauth digest alice:secret
get -s /sec/child
setAcl /sec world:anyone:cdrwa
getAcl /sec
delete /sec/child
delete /sec
delete /p
ls /
`;

/** Third session: the built-in nodes, quotas, ACLs given at create, invalid paths, reconfig. */
const SCRIPT_MISC = `
ls /zookeeper
stat /zookeeper
get -s /zookeeper/quota
stat /zookeeper/config
config
create /q q
create /q/a aa
setquota -n 5 /q
setquota -b 100 /q
listquota /q
ls -R /zookeeper/quota
get -s /zookeeper/quota/q/zookeeper_stats
create /q/b bbb
set /q/a a
create /q/a/c cccc
delete /q/b
listquota /q
create /q/a/d dd
delete /q/a/d
listquota /q
delquota -n /q
listquota /q
delquota /q
listquota /q
deleteall /q
ls -R /zookeeper/quota
create /acl1 x digest:${DIGEST_ALICE}:r
getAcl /acl1
get /acl1
create /acl2 x world:anyone:cdrw
getAcl /acl2
create /acl3 x ip:127.0.0.1:cdrwa
getAcl /acl3
get /acl3
create /acl4 x ip:10.0.0.1:cdrwa
get /acl4
create /acl5 x auth::cdrwa
create /acl6 x digest:nocolon:cdrwa
create /bad//path x
create /bad/. x
create /bad/ x
create /seqparent x
create -s /seqparent/ y
ls /seqparent
get /zookeeper/config
reconfig -add server.5=localhost:1234:1235;1236
getAllChildrenNumber /
getAllChildrenNumber /zookeeper
ls /
`;

/** Before a restart of both servers: state that must survive it. */
const SCRIPT_BEFORE_RESTART = `
create /r r
create /r/a aa
setquota -n 10 /r
create -e /r/eph e
create -s /r/s- s
create -s /r/s- s
delete /r/s-0000000003
create -c /r/cont
create /r/cont/k k
create -t 600000 /r/ttl t
addauth digest alice:secret
create /r/sec s
setAcl /r/sec auth::cdrwa
set /r/a a2
listquota /r
`;

/** After the restart: the same tree, stats, sequence numbers, ACLs and quota bookkeeping. */
const SCRIPT_AFTER_RESTART = `
ls -R /r
get -s /r
get -s /r/a
stat /r/ttl
stat /r/cont
listquota /r
create /r/b bb
listquota /r
create -s /r/s- s3
getAcl /r/sec
addauth digest alice:secret
getAcl /r/sec
get -s /r/sec
delete /r/cont/k
stat /r
getAllChildrenNumber /r
`;

interface Normalized {
  stdout: string[];
  events: string[];
  stderr: string[];
  code: number | null;
}

function normalizeLine(line: string): string {
  return line
    .replace(/^Connecting to \S+$/, 'Connecting to <server>')
    .replace(/^([cm]time) = .+$/, '$1 = <time>')
    .replace(/^ephemeralOwner = 0x(?!0$)[0-9a-f]+$/, 'ephemeralOwner = <session>');
}

function normalize(run: { stdout: string; stderr: string; code: number | null }): Normalized {
  const stdout: string[] = [];
  const events: string[] = [];
  for (const raw of run.stdout.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || line === 'WATCHER::') continue;
    if (line.startsWith('WatchedEvent ')) {
      // The Closed event races the JVM's exit at quit.
      if (!line.includes('state:Closed')) events.push(line);
      continue;
    }
    stdout.push(normalizeLine(line));
  }
  const stderr = run.stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '')
    .map(normalizeLine);
  return { stdout, events, stderr, code: run.code };
}

async function runAll(connectionString: string): Promise<Normalized[]> {
  const results: Normalized[] = [];
  for (const script of [SCRIPT_MAIN, SCRIPT_ANON, SCRIPT_MISC]) {
    results.push(normalize(await runZkCli(connectionString, script, { timeoutMs: 60_000 })));
  }
  return results;
}

function assertSameLines(herd: string[], zk: string[], what: string): void {
  const n = Math.min(herd.length, zk.length);
  for (let i = 0; i < n; i++) {
    if (herd[i] !== zk[i]) {
      assert.deepEqual(
        herd.slice(i, i + 8),
        zk.slice(i, i + 8),
        `${what}: first difference at line ${i} (context: ${JSON.stringify(zk.slice(Math.max(0, i - 3), i))})`,
      );
    }
  }
  assert.deepEqual(herd, zk, `${what}: lengths differ`);
}

describe('zkCli interop: Herd vs ZooKeeper 3.8', { timeout: 180_000 }, () => {
  let herd: HerdProcess | undefined;
  let zk: ZooKeeperServer | undefined;

  before(async () => {
    if (!requireTool(undefined, zookeeperAvailable(), 'ZooKeeper 3.8 (Debian zookeeper package and java)')) return;
    [herd, zk] = await Promise.all([startHerdCli(), startZooKeeper({ forceSync: false, extendedTypes: true })]);
  });

  after(async () => {
    await Promise.all([herd?.destroy(), zk?.destroy()]);
  });

  it('the same zkCli scripts print the same on both (fresh servers, exact zxids)', async (t) => {
    if (!requireTool(t, zookeeperAvailable(), 'ZooKeeper 3.8 (Debian zookeeper package and java)')) return;
    assert.ok(herd && zk, 'servers started');
    const timed = async (cs: string): Promise<[Normalized[], number]> => {
      const started = Date.now();
      return [await runAll(cs), Date.now() - started];
    };
    const [[onZk, zkMs], [onHerd, herdMs]] = await Promise.all([timed(zk.connectionString), timed(herd.connectionString)]);
    t.diagnostic(`zkCli scripts: zookeeper ${zkMs} ms, herd ${herdMs} ms`);
    const names = ['main session', 'anonymous session', 'misc session'];
    for (let i = 0; i < names.length; i++) {
      const z = onZk[i]!;
      const h = onHerd[i]!;
      // Sanity: the reference run did what the script says.
      const marker = ['Created /cli/seq-0000000000', 'Insufficient permission : /sec', 'Created /acl3'][i]!;
      assert.ok(z.stderr.includes(marker), `zookeeper ${names[i]} ran:\n${z.stderr.join('\n')}`);
      assertSameLines(h.stdout, z.stdout, `${names[i]} stdout`);
      assertSameLines(h.events, z.events, `${names[i]} watch events`);
      assertSameLines(h.stderr, z.stderr, `${names[i]} stderr`);
      assert.equal(h.code, z.code, `${names[i]} exit code`);
    }
    assert.doesNotMatch(herd.output(), /"level":"(error|fatal)"/, 'herd server logged errors');
  });

  it('after a restart of both servers (same data) zkCli sees the same state', async (t) => {
    if (!requireTool(t, zookeeperAvailable(), 'ZooKeeper 3.8 (Debian zookeeper package and java)')) return;
    const [h, z] = await Promise.all([startHerdCli(), startZooKeeper({ forceSync: false, extendedTypes: true })]);
    try {
      const script = async (text: string): Promise<[Normalized, Normalized]> => {
        const [onZ, onH] = await Promise.all([runZkCli(z.connectionString, text), runZkCli(h.connectionString, text)]);
        return [normalize(onZ), normalize(onH)];
      };
      const compare = ([onZ, onH]: [Normalized, Normalized], what: string): void => {
        assertSameLines(onH.stdout, onZ.stdout, `${what} stdout`);
        assertSameLines(onH.events, onZ.events, `${what} watch events`);
        assertSameLines(onH.stderr, onZ.stderr, `${what} stderr`);
      };
      const before = await script(SCRIPT_BEFORE_RESTART);
      assert.ok(before[0].stderr.includes('Created /r/sec'), `zookeeper ran:\n${before[0].stderr.join('\n')}`);
      compare(before, 'before restart');
      await Promise.all([h.stop(), z.stop()]);
      await Promise.all([h.restart(), z.start()]);
      const afterRestart = await script(SCRIPT_AFTER_RESTART);
      assert.ok(afterRestart[0].stdout.includes('/r/a'), `zookeeper ran:\n${afterRestart[0].stdout.join('\n')}`);
      compare(afterRestart, 'after restart');
      assert.doesNotMatch(h.output(), /"level":"(error|fatal)"/, 'herd server logged errors');
    } finally {
      await Promise.all([h.destroy(), z.destroy()]);
    }
  });
});
