/**
 * `herd shell`'s tools (tree, find, grep, du, cp, diff, json-get/json-set)
 * and recipe views (locks, election, members, queue, barrier) on both
 * targets, run as a user would: `herd shell <conn> --command ...`.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { joinCluster } from '../../src/cluster/index.js';
import { DoubleBarrier, Election, Lock, Queue } from '../../src/recipes/index.js';
import { connect, forEachTarget, uniquePath, waitFor } from '../support/targets.js';
import { runShell } from './run-shell.js';

forEachTarget('herd shell: tools and recipe views', (target) => {
  let root = '';
  before(async () => {
    const client = await connect(target());
    root = uniquePath('shell-tools');
    await client.create(root, null);
    await client.create(`${root}/a`, 'alpha');
    await client.create(`${root}/a/x`, 'needle in a haystack');
    await client.create(`${root}/b`, '{"n": 1, "tags": ["t"]}');
  });

  const cmd = (...lines: string[]) => runShell(target().connectionString, lines.flatMap((l) => ['--command', l]));

  it('tree, find, grep and du describe a subtree', { timeout: 60_000 }, async () => {
    assert.deepEqual(await cmd(`tree ${root}`), { stdout: `${root}\n├── a\n│   └── x\n└── b\n`, stderr: '', code: 0 });
    assert.equal((await cmd(`find ${root} x$`)).stdout, `${root}/a/x\n`);
    assert.equal((await cmd(`grep -i ${root} NEEDLE`)).stdout, `${root}/a/x: needle in a haystack\n`);
    assert.equal((await cmd(`du ${root}`)).stdout, `${5 + 20 + 23}\t${root}\t(4 nodes)\n`);
  });

  it('json-get and json-set read and change one value of JSON data', { timeout: 60_000 }, async () => {
    assert.equal((await cmd(`json-get ${root}/b tags.0`)).stdout, '"t"\n');
    assert.equal((await cmd(`json-set ${root}/b n 2`, `json-get ${root}/b`)).stdout, '{\n  "n": 2,\n  "tags": [\n    "t"\n  ]\n}\n');
    const bad = await cmd(`json-get ${root}/a`);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /the data is not JSON/);
  });

  it('cp copies a subtree (to another server too) and diff compares two', { timeout: 60_000 }, async () => {
    const copy = `${root}-copy`;
    assert.equal((await cmd(`cp -r ${root} ${copy}`)).stdout, 'copied 4 nodes\n');
    assert.equal((await cmd(`diff ${root} ${copy}`)).stdout, '');
    const client = await connect(target());
    await client.setData(`${copy}/a`, 'changed');
    await client.create(`${copy}/extra`);
    assert.equal((await cmd(`diff ${root} ${copy}`)).stdout, '~ a\n+ extra\n');
    // --to: the same server through its direct address stands for a second server.
    const other = `${root}-other`;
    assert.equal((await cmd(`cp -r --to ${target().directConnectionString} ${root}/a ${other}`)).stdout, 'copied 2 nodes\n');
    assert.equal((await client.getData(`${other}/x`)).data?.toString(), 'needle in a haystack');
  });

  it('locks names the holder and the waiters with their sessions', { timeout: 60_000 }, async () => {
    const path = uniquePath('shell-lock');
    const holder = await connect(target());
    const waiter = await connect(target());
    const a = new Lock(holder, path, { identifier: 'holder-1' });
    await a.acquire();
    const b = new Lock(waiter, path, { identifier: 'waiter-2' });
    const waiting = b.acquire();
    await waitFor(async () => (await holder.getChildren(path)).length === 2);
    const r = await cmd(`locks ${path}`);
    const session = (c: { sessionId: bigint }): string => `0x${c.sessionId.toString(16)}`;
    assert.match(r.stdout, new RegExp(`^lock ${path}: held, 1 waiting\\n  holder +holder-1 +\\(session ${session(holder)}, node .*__lock__0000000000, write\\)\\n  waiter +waiter-2 +\\(session ${session(waiter)}`));
    const json = JSON.parse((await runShell(target().connectionString, ['--json', '--command', `locks ${path}`])).stdout);
    assert.equal(json.holders[0].identifier, 'holder-1');
    assert.equal(json.waiters[0].identifier, 'waiter-2');
    await a.release();
    await waiting;
    await b.release();
    assert.equal((await cmd(`locks ${path}`)).stdout, `lock ${path}: free\n`);
  });

  it('election, queue and barrier say what their nodes mean', { timeout: 60_000 }, async () => {
    const client = await connect(target());
    const epath = uniquePath('shell-election');
    const election = new Election(client, epath, { identifier: 'leader-a' });
    const running = election.run(() => new Promise<void>((resolve) => setTimeout(resolve, 3000)));
    await waitFor(async () => (await client.exists(epath)) !== null && (await client.getChildren(epath)).length === 1);
    assert.match((await cmd(`election ${epath}`)).stdout, /^election .*: leader leader-a, 0 candidates\n  leader +leader-a/);
    await running;

    const qpath = uniquePath('shell-queue');
    const queue = new Queue(client, qpath);
    await queue.put('second', { priority: 5 });
    await queue.put('first', { priority: 1 });
    const q = await cmd(`queue ${qpath}`);
    assert.match(q.stdout, /^queue .*: 2 items\n  entry-001-\d{10}  "first"\n  entry-005-\d{10}  "second"\n$/);

    const bpath = uniquePath('shell-barrier');
    assert.equal((await cmd(`barrier ${bpath}`)).stdout, `barrier ${bpath}: down (no node)\n`);
    const member = new DoubleBarrier(client, bpath, 1, { identifier: 'w1' });
    await member.enter({ timeout: 30_000 });
    assert.match((await cmd(`barrier ${bpath}`)).stdout, new RegExp(`^barrier ${bpath}: up, 1 member, ready\\n  w1 `));
    await member.leave({ timeout: 30_000 });
  });

  it('members shows a cluster with its primary and epoch', { timeout: 60_000 }, async () => {
    const cluster = `shell-cluster-${process.pid}-${Date.now().toString(36)}`;
    const node = await joinCluster({ cluster, identifier: 'm1', version: '1.0.0', backend: { coordination: target().connectionString } });
    try {
      await waitFor(() => node.isPrimary, 30_000, 'm1 primary');
      const r = await cmd(`members ${cluster}`);
      assert.match(r.stdout, new RegExp(`^cluster ${cluster}: 1 member, primary m1 \\(epoch \\d+\\) since .*\\n  \\* m1 `));
    } finally {
      await node.close();
    }
  });

});
