/**
 * `herd shell`'s recipe views (locks, election, members, queue, barrier)
 * on both targets: the recipes themselves make the nodes, the shell says
 * what they mean.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { joinCluster } from '../../src/cluster/index.js';
import { DoubleBarrier, Election, Queue } from '../../src/recipes/index.js';
import { connect, forEachTarget, uniquePath, waitFor } from '../support/targets.js';
import { lockWithWaiter } from '../support/lock-with-waiter.js';
import { runShell } from './run-shell.js';

forEachTarget('herd shell: recipe views', (target) => {
  const cmd = (...lines: string[]) => runShell(target().connectionString, lines.flatMap((l) => ['--command', l]));
  const session = (c: { sessionId: bigint }): string => `0x${c.sessionId.toString(16)}`;

  it('locks names the holder and the waiters with their sessions', { timeout: 90_000 }, async () => {
    const { path, holder, waiter, handOver, releaseWaiter } = await lockWithWaiter(target(), 'shell-lock');
    const r = await runShell(target().connectionString, ['--command', `locks ${path}`, '--command', `locks --json ${path}`]);
    const [text, json] = r.stdout.split(/\n(?=\{)/) as [string, string];
    assert.match(
      text,
      new RegExp(`^lock ${path}: held, 1 waiting\\n  holder +holder-1 +\\(session ${session(holder)}, node \\w+__lock__0000000000, write\\)\\n  waiter +waiter-2 +\\(session ${session(waiter)}, node \\w+__lock__0000000001, write\\)$`),
    );
    const parsed = JSON.parse(json);
    assert.equal(parsed.holders[0].identifier, 'holder-1');
    assert.equal(parsed.waiters[0].session, session(waiter));
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
