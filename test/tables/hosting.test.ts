/**
 * Deployment (docs/tables.md): tables nodes that host the log's storage
 * nodes in their own processes, with no other storage node, are a
 * complete cluster; one process alone works (1/1/1). TLS: hosting-tls.test.ts.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { NODES_PATH } from '../../src/log/index.js';
import { openTables } from '../../src/tables/index.js';
import { freePorts } from '../support/ports.js';
import { sigkill } from '../support/processes.js';
import { connect, forEachTarget, waitFor } from '../support/targets.js';
import { removeDirs, tempDir } from '../log/node/support.js';
import { chroot, startWorker, type Worker } from './hosting-support.js';

after(removeDirs);

forEachTarget('tables deployment: hosted log storage nodes', (target) => {
  it('three processes, each hosting its storage node, are a complete cluster; one SIGKILLed, the others go on; it rejoins', { timeout: 120_000 }, async () => {
    const coordination = await chroot(target(), 'tables-hosting');
    const members = { n1: 1, n2: 1, n3: 1 };
    const ports = await freePorts(3);
    const configs = await Promise.all(
      ['n1', 'n2', 'n3'].map(async (identifier, i) => ({ coordination, name: 'inventory', identifier, dataDir: await tempDir('tables-hosting'), logNodePort: ports[i]!, sessionTimeout: 3000, members })),
    );
    const workers = await Promise.all(configs.map(startWorker));
    try {
      const [n1, n2, n3] = workers as [Worker, Worker, Worker];
      const ok = async (worker: Worker, command: Record<string, unknown>): Promise<unknown> => {
        const answer = await worker.call(command);
        assert.equal(answer.ok, true, `${JSON.stringify(command)}: ${answer.message}\n${workers.map((w) => w.stderr()).join('\n---\n')}`);
        return answer.value;
      };
      // No storage node but the three hosted ones.
      const zk = await connect(target(), {}, coordination);
      assert.equal((await zk.getChildren(NODES_PATH)).length, 3);
      await ok(n1, { cmd: 'init', accounts: { a: 100, b: 100 } });
      // Each reads past the init first: a transaction reads its own node's copy.
      for (const w of workers) await ok(w, { cmd: 'read' });
      await ok(n2, { cmd: 'transfer', from: 'a', to: 'b', amount: 10 });
      await ok(n3, { cmd: 'transfer', from: 'b', to: 'a', amount: 3 });
      const read = (await ok(n1, { cmd: 'read' })) as { balances: unknown; primary: string };
      assert.deepEqual(read.balances, { a: 93, b: 107 });
      const { data } = await zk.getData('/herd/log/logs/tables.inventory');
      const quorums = JSON.parse(data!.toString()) as { ensembleSize: number; writeQuorum: number; ackQuorum: number };
      assert.deepEqual([quorums.ensembleSize, quorums.writeQuorum, quorums.ackQuorum], [2, 2, 2], 'three declared members: 2/2/2 (a spare for a dead node)');

      // SIGKILL the primary: the other two elect another, recover its segment and go on.
      const primary = read.primary;
      const victim = workers[configs.findIndex((c) => c.identifier === primary)]!;
      const others = workers.filter((w) => w !== victim);
      await sigkill(victim.child);
      // A forward sent to the dead primary waits for it for its whole timeout: wait for the election first.
      await waitFor(async () => {
        const seen = await Promise.all(others.map((w) => ok(w, { cmd: 'primary' })));
        return seen.every((p) => p !== null && p !== primary);
      }, 30_000, 'a new primary');
      await ok(others[0]!, { cmd: 'transfer', from: 'a', to: 'b', amount: 20 });
      assert.deepEqual(((await ok(others[1]!, { cmd: 'read' })) as { balances: unknown }).balances, { a: 73, b: 127 });

      // It rejoins from its data directory (the same storage node at the same address) and catches up.
      const back = await startWorker(configs[workers.indexOf(victim)]!);
      workers[workers.indexOf(victim)] = back;
      assert.deepEqual(((await ok(back, { cmd: 'read' })) as { balances: unknown }).balances, { a: 73, b: 127 });
      await ok(back, { cmd: 'transfer', from: 'b', to: 'a', amount: 7 });
      assert.deepEqual(((await ok(others[0]!, { cmd: 'read' })) as { balances: unknown }).balances, { a: 80, b: 120 });
    } finally {
      await Promise.all(workers.map((w) => (w.child.exitCode === null && w.child.signalCode === null ? w.stop() : undefined)));
    }
  });

  it('one process alone works: its hosted node, log 1/1/1, gone on close', async () => {
    const coordination = await chroot(target(), 'tables-alone');
    const client = await connect(target(), {}, coordination);
    const db = await openTables({ client, name: 'alone', identifier: 'solo', tables: { items: { key: 'sku' } }, logNode: { fsync: false } });
    try {
      const { position } = await db.transaction(async (tx) => tx.put('items', { sku: 'A1', qty: 3 }));
      assert.deepEqual(db.local.get('items', 'A1'), { sku: 'A1', qty: 3 });
      assert.ok(position.entryId >= 0);
      const { data } = await client.getData('/herd/log/logs/tables.alone');
      const log = JSON.parse(data!.toString()) as { ensembleSize: number; writeQuorum: number; ackQuorum: number };
      assert.deepEqual([log.ensembleSize, log.writeQuorum, log.ackQuorum], [1, 1, 1]);
      assert.equal((await client.getChildren(NODES_PATH)).length, 1);
    } finally {
      await db.close();
    }
    assert.deepEqual(await client.getChildren(NODES_PATH), [], 'the hosted node closed with the tables');
  });
});
