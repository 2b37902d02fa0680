/**
 * `herd shell`'s recipe views (locks, election, members, queue, barrier)
 * on both targets: the recipes themselves make the nodes, the shell says
 * what they mean.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../../src/client/index.js';
import { TestingServer } from '../../src/testing/index.js';
import { joinCluster } from '../../src/cluster/index.js';
import { DoubleBarrier, Election, Queue } from '../../src/recipes/index.js';
import { closeAll, connect, forEachTarget, uniquePath, waitFor, type Target } from '../support/targets.js';
import { lockWithWaiter } from '../support/lock-with-waiter.js';
import { runShell } from './run-shell.js';
import { fourLetterWord } from '../support/zookeeper.js';

forEachTarget('herd shell: recipe views', (target) => {
  const cmd = (...lines: string[]) => runShell(target().connectionString, lines.flatMap((l) => ['--command', l]));
  const session = (c: { sessionId: bigint }): string => `0x${c.sessionId.toString(16)}`;

  it('locks names the holder and the waiters with their sessions and hosts (from cons where the server answers it)', { timeout: 90_000 }, async () => {
    const { path, holder, waiter, handOver, releaseWaiter } = await lockWithWaiter(target(), 'shell-lock');
    // Straight to the server: the test proxy in front of ZooKeeper loses a four-letter word's answer.
    const r = await runShell(target().directConnectionString, ['--command', `locks ${path}`, '--command', `locks --json ${path}`]);
    const [text, json] = r.stdout.split(/\n(?=\{)/) as [string, string];
    const parsed = JSON.parse(json);
    assert.equal(parsed.holders[0].identifier, 'holder-1');
    assert.equal(parsed.waiters[0].session, session(waiter));
    // Herd's server keeps cons off its client port by default; the test ZooKeeper allows every word.
    const cons = await fourLetterWord(target().host, target().port, 'cons');
    const hostOf = (c: { sessionId: bigint }): string => {
      if (target().name === 'herd') return 'unknown';
      const line = cons.split('\n').find((l) => l.includes(`sid=${session(c)},`));
      assert.ok(line !== undefined, `cons lists ${session(c)}: ${cons}`);
      return /^\s*\/([^[]+)\[/.exec(line)![1]!;
    };
    assert.equal(parsed.hostsFrom, target().name === 'herd' ? 'unknown' : 'cons');
    assert.equal(parsed.holders[0].host, target().name === 'herd' ? null : hostOf(holder));
    const note = target().name === 'herd' ? ' \\(hosts unknown: the server refuses the cons four-letter word and no admin server was given \\(--admin-url\\)\\)' : '';
    assert.match(
      text,
      new RegExp(
        `^lock ${path}: held, 1 waiting${note}\\n` +
          `  holder +holder-1 +\\(session ${session(holder)}, host ${hostOf(holder)}, node \\w+__lock__0000000000, write\\)\\n` +
          `  waiter +waiter-2 +\\(session ${session(waiter)}, host ${hostOf(waiter)}, node \\w+__lock__0000000001, write\\)$`,
      ),
    );
    await handOver();
    await releaseWaiter();
    assert.equal((await cmd(`locks ${path}`)).stdout, `lock ${path}: free\n`);
  });

  it('election, queue and barrier say what their nodes mean', { timeout: 90_000 }, async () => {
    const client = await connect(target());
    const epath = uniquePath('shell-election');
    let release!: () => void;
    const leading = new Promise<void>((resolve) => (release = resolve));
    const election = new Election(client, epath, { identifier: 'leader-a' });
    const running = election.run(() => leading);
    await waitFor(async () => (await client.exists(epath)) !== null && (await client.getChildren(epath)).length === 1);

    const qpath = uniquePath('shell-queue');
    const queue = new Queue(client, qpath);
    await queue.put('second', { priority: 5 });
    await queue.put('first', { priority: 1 });

    const bpath = uniquePath('shell-barrier');
    const down = await cmd(`election ${epath}`, `queue ${qpath}`, `barrier ${bpath}`);
    assert.match(
      down.stdout,
      new RegExp(
        `^election ${epath}: leader leader-a, 0 candidates\\n  leader +leader-a +\\(session ${session(client)}, node \\w+__lock__0000000000\\)\\n` +
          `queue ${qpath}: 2 items\\n  entry-001-\\d{10}  "first"\\n  entry-005-\\d{10}  "second"\\n` +
          `barrier ${bpath}: down \\(no node\\)\\n$`,
      ),
    );
    release();
    await running;

    const member = new DoubleBarrier(client, bpath, 1, { identifier: 'w1' });
    await member.enter({ timeout: 30_000 });
    assert.match((await cmd(`barrier ${bpath}`)).stdout, new RegExp(`^barrier ${bpath}: up, 1 member, ready\\n  w1  \\(session ${session(client)}, node [0-9a-f]+\\)\\n$`));
    await member.leave({ timeout: 30_000 });
  });

  it('members shows a cluster with its primary and epoch', { timeout: 90_000 }, async () => {
    const cluster = `shell-cluster-${process.pid}-${Date.now().toString(36)}`;
    const node = await joinCluster({ cluster, identifier: 'm1', version: '1.0.0', backend: { coordination: target().connectionString } });
    try {
      await waitFor(() => node.isPrimary, 30_000, 'm1 primary');
      const r = await cmd(`members ${cluster}`);
      assert.match(r.stdout, new RegExp(`^cluster ${cluster}: 1 member, primary m1 \\(epoch ${node.epoch}\\) since \\S+\\n  \\* m1  -  v1\\.0\\.0  joined \\S+\\n$`));
    } finally {
      await node.close();
    }
  });
});

describe('herd shell: locks --admin-url names the hosts from an admin server', () => {
  it('reads each session\'s client address from the admin server\'s cons', { timeout: 60_000 }, async () => {
    await using server = await TestingServer.start({ adminPort: 0, adminHost: '127.0.0.1' });
    const target = { connectionString: server.connectionString } as Target;
    const { path, holder, waiter, handOver, releaseWaiter } = await lockWithWaiter(target, 'shell-lock-admin');
    try {
      const admin = `http://127.0.0.1:${server.adminPort}`;
      const consJson = await (await fetch(`${admin}/commands/cons`)).text();
      // The address the admin server lists beside the session id (a 64-bit integer in its JSON).
      const hostOf = (c: Client): string => new RegExp(`"remote_socket_address"\\s*:\\s*"([^"]+)"[^{}]*"session_id"\\s*:\\s*${c.sessionId}\\b`).exec(consJson)![1]!;
      const r = await runShell(server.connectionString, ['--json', '--command', `locks --admin-url ${admin} ${path}`]);
      const parsed = JSON.parse(r.stdout);
      assert.equal(parsed.hostsFrom, 'admin');
      assert.equal(parsed.holders[0].host, hostOf(holder));
      assert.equal(parsed.waiters[0].host, hostOf(waiter));
      assert.notEqual(hostOf(holder), hostOf(waiter));
      // Given once to the shell instead of to each view.
      const whole = JSON.parse((await runShell(server.connectionString, ['--admin-url', admin, '--json', '--command', `locks ${path}`])).stdout);
      assert.equal(whole.hostsFrom, 'admin');
      assert.deepEqual([whole.holders[0].host, whole.waiters[0].host], [hostOf(holder), hostOf(waiter)]);
      const bad = await runShell(server.connectionString, ['--admin-url', 'ftp://x', '--command', 'ls /']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /admin URL must be http\(s\): ftp:\/\/x/);
    } finally {
      await handOver();
      await releaseWaiter();
      await closeAll();
    }
  });
});
