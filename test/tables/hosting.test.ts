/**
 * Deployment (docs/tables.md): tables nodes that host the log's storage
 * nodes in their own processes, with no other storage node, are a
 * complete cluster; one process alone works (1/1/1); TLS between nodes
 * refuses a node that does not trust the cluster's CA.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import { NodeAuthenticationError, NODES_PATH } from '../../src/log/index.js';
import { openTables } from '../../src/tables/index.js';
import { freePorts } from '../support/ports.js';
import { sigkill } from '../support/processes.js';
import { makeCerts, type Certs } from '../support/tls-certs.js';
import { connect, forEachTarget, uniquePath, waitFor, type Target } from '../support/targets.js';
import { removeDirs, tempDir } from '../log/node/support.js';
import type { HostingWorkerConfig } from './hosting-worker.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'hosting-worker.js');

let certs: Certs;
before(async () => {
  certs = await makeCerts();
});
after(async () => {
  await removeDirs();
  if (certs) await rm(certs.dir, { recursive: true, force: true });
});

/** One worker process; `call` sends a command and resolves with its answer. */
interface Worker {
  readonly child: ChildProcess;
  call(command: Record<string, unknown>): Promise<{ ok: boolean; value?: unknown; code?: string; message?: string }>;
  /** The end of its stderr (warnings and events), for failure messages. */
  stderr(): string;
  /** Closes stdin (the worker closes its node) and waits for the exit. */
  stop(): Promise<void>;
}

function startWorker(config: HostingWorkerConfig): Promise<Worker> {
  const child = spawn(process.execPath, [WORKER, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdin!.on('error', () => {});
  const waiting = new Map<number, (answer: never) => void>();
  let nextId = 0;
  let lines = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${config.identifier} did not open within 60 s: ${stderr}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${config.identifier} exited (${code}): ${lines}${stderr}`)));
    child.stdout!.on('data', (d: Buffer) => {
      lines += d.toString();
      for (let i = lines.indexOf('\n'); i >= 0; i = lines.indexOf('\n')) {
        const line = lines.slice(0, i);
        lines = lines.slice(i + 1);
        if (line === 'READY') {
          clearTimeout(timer);
          resolve({
            child,
            stderr: () => stderr,
            call: (command) =>
              new Promise((settle) => {
                const id = ++nextId;
                waiting.set(id, settle as (answer: never) => void);
                child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
              }),
            stop: async () => {
              const exited = new Promise((done) => child.once('exit', done));
              child.stdin!.end();
              await exited;
            },
          });
        } else if (line.startsWith('FAILED ')) {
          clearTimeout(timer);
          reject(Object.assign(new Error(`${config.identifier} failed to open`), JSON.parse(line.slice(7)) as object));
        } else if (line.startsWith('R ')) {
          const { id, ...answer } = JSON.parse(line.slice(2)) as { id: number };
          waiting.get(id)?.(answer as never);
          waiting.delete(id);
        }
      }
    });
  });
}

async function chroot(target: Target, name: string): Promise<string> {
  const root = uniquePath(name);
  await (await connect(target)).mkdirp(root);
  return `${target.connectionString}${root}`;
}

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

  it('TLS between nodes: a node that does not trust the cluster CA, or has no TLS, cannot join (NodeAuthenticationError)', async () => {
    const coordination = await chroot(target(), 'tables-tls');
    const client = await connect(target(), {}, coordination);
    const tables = { items: { key: 'sku' } };
    const tls = { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca };
    const first = await openTables({ client, name: 'secure', identifier: 'n1', tables, logNode: { fsync: false }, tls });
    try {
      const { data } = await client.getData(`${NODES_PATH}/${(await client.getChildren(NODES_PATH))[0]}`);
      assert.equal((JSON.parse(data!.toString()) as { tls?: boolean }).tls, true, 'the hosted node serves over TLS');
      const refused = async (options: object, pattern: RegExp): Promise<void> => {
        const other = await connect(target(), {}, coordination);
        await assert.rejects(openTables({ client: other, name: 'secure', identifier: 'n2', tables, logNode: { fsync: false }, ...options }), (error: unknown) => {
          assert.ok(error instanceof NodeAuthenticationError, String(error));
          assert.match(error.message, pattern);
          return true;
        });
        // Nothing of it stays: its hosted node deregistered.
        assert.equal((await client.getChildren(NODES_PATH)).length, 1);
      };
      await refused({ tls: { ...tls, ca: certs.rogueCert } }, /cannot join.*TLS failed/);
      await refused({}, /cannot join.*serves over TLS/);
    } finally {
      await first.close();
    }
  });
});
