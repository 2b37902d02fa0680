/**
 * TLS between the nodes of a tables cluster (docs/tables.md,
 * "Deployment"): `tls` on openTables covers the hosted storage node, the
 * log's clients and the rpc service; a node that does not trust the
 * cluster's CA, or has no TLS, is refused at open.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { NodeAuthenticationError, NODES_PATH } from '../../src/log/index.js';
import { openTables } from '../../src/tables/index.js';
import { freePorts } from '../support/ports.js';
import { connect, forEachTarget } from '../support/targets.js';
import { startTestNode, tempDir } from '../log/node/support.js';
import { useCerts } from '../log/tls-support.js';
import { chroot, startWorker, type Worker } from './hosting-support.js';

const certs = useCerts();

forEachTarget('tables deployment: TLS between nodes', (target) => {
  it('three processes over TLS (hosted storage nodes, rpc) commit transfers; a process trusting another CA cannot join', { timeout: 90_000 }, async () => {
    const coordination = await chroot(target(), 'tables-hosting-tls');
    const members = { n1: 1, n2: 1, n3: 1, n4: 1 };
    const ports = await freePorts(4);
    const config = async (identifier: string, i: number, ca: string) =>
      ({ coordination, name: 'secure', identifier, dataDir: await tempDir('tables-hosting-tls'), logNodePort: ports[i]!, sessionTimeout: 3000, members, tls: { dir: certs().dir, ca } });
    const workers: Worker[] = await Promise.all(['n1', 'n2', 'n3'].map(async (id, i) => startWorker(await config(id, i, 'herd-test-ca.crt'))));
    try {
      const ok = async (worker: Worker, command: Record<string, unknown>): Promise<unknown> => {
        const answer = await worker.call(command);
        assert.equal(answer.ok, true, `${JSON.stringify(command)}: ${answer.message}\n${workers.map((w) => w.stderr()).join('\n---\n')}`);
        return answer.value;
      };
      const zk = await connect(target(), {}, coordination);
      const records = await Promise.all((await zk.getChildren(NODES_PATH)).map(async (n) => JSON.parse((await zk.getData(`${NODES_PATH}/${n}`)).data!.toString()) as { tls?: boolean }));
      assert.deepEqual(records.map((r) => r.tls), [true, true, true], 'every hosted storage node serves over TLS');
      await ok(workers[0]!, { cmd: 'init', accounts: { a: 100, b: 100 } });
      // Each reads past the init first: a transaction reads its own node's copy.
      for (const w of workers) await ok(w, { cmd: 'read' });
      await ok(workers[1]!, { cmd: 'transfer', from: 'a', to: 'b', amount: 10 });
      await ok(workers[2]!, { cmd: 'transfer', from: 'b', to: 'a', amount: 4 });
      for (const w of workers) assert.deepEqual(((await ok(w, { cmd: 'read' })) as { balances: unknown }).balances, { a: 94, b: 106 });
      await assert.rejects(startWorker(await config('n4', 3, 'rogue-ca.crt')), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'AUTHENTICATION', error.message);
        assert.match(error.message, /cannot join.*TLS failed/);
        return true;
      });
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  });

  it('a node that does not trust the cluster CA, or has no TLS, cannot join (NodeAuthenticationError), and leaves nothing behind', async () => {
    const coordination = await chroot(target(), 'tables-tls');
    const client = await connect(target(), {}, coordination);
    // The cluster's storage node, as a TLS tables node hosts it.
    await using node = await startTestNode(coordination, await tempDir('tables-hosting-tls'), { tls: { key: certs().serverKey, cert: certs().serverCert, ca: certs().ca } });
    const tables = { items: { key: 'sku' } };
    const refused = async (options: object, pattern: RegExp): Promise<void> => {
      const other = await connect(target(), {}, coordination);
      await assert.rejects(openTables({ client: other, name: 'secure', identifier: 'n2', tables, logNode: { fsync: false }, ...options }), (error: unknown) => {
        assert.ok(error instanceof NodeAuthenticationError, String(error));
        assert.match(error.message, pattern);
        return true;
      });
      assert.deepEqual(await client.getChildren(NODES_PATH), [node.instanceId], 'its hosted node deregistered');
    };
    await refused({ tls: { key: certs().serverKey, cert: certs().serverCert, ca: certs().rogueCert } }, /cannot join.*TLS failed/);
    await refused({}, /cannot join.*serves over TLS/);
  });
});
