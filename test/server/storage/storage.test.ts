import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, appendFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client } from '../../../src/client/index.js';
import { HerdServer } from '../../../src/server/server.js';
import { CorruptDataError } from '../../../src/server/storage/corrupt-data-error.js';
import { listFiles } from '../../../src/server/storage/data-dir.js';
import { LOG_MAGIC, readLogData } from '../../../src/server/storage/log-format.js';
import type { ServerOptions } from '../../../src/server/options.js';

/** Durability of the data directory: restart, snapshots and purge, torn tails, corruption. */

async function openServer(dataDir: string, extra: ServerOptions = {}): Promise<HerdServer> {
  const server = await HerdServer.open({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', forceSync: false, ...extra });
  await server.listen();
  return server;
}

async function connect(server: HerdServer): Promise<Client> {
  const client = createClient(`127.0.0.1:${server.port}`, { sessionTimeout: 4000 });
  await client.connect();
  return client;
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'herd-storage-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('storage', () => {
  it('keeps every write, sequence counter and session across a restart', async () => {
    await withDir(async (dir) => {
      let server = await openServer(dir);
      let client = await connect(server);
      await client.create('/app', Buffer.from('v1'));
      await client.setData('/app', Buffer.from('v2'));
      const seq1 = await client.create('/app/job-', null, { mode: 'persistentSequential' });
      await client.delete(seq1);
      await client.create('/app/eph', null, { mode: 'ephemeral' });
      const sessionId = client.sessionId;
      const before = await client.getData('/app');
      await server.close();
      await client.close().catch(() => {});

      server = await openServer(dir);
      client = await connect(server);
      const afterRestart = await client.getData('/app');
      assert.equal(afterRestart.data?.toString(), 'v2');
      assert.deepEqual(afterRestart.stat, before.stat);
      // The sequence continues from the parent's cversion: no suffix is reused.
      const seq2 = await client.create('/app/job-', null, { mode: 'persistentSequential' });
      assert.equal(seq2, '/app/job-0000000002');
      // The ephemeral's session was restored (it may still reconnect) ...
      assert.ok(server.sessions.get(sessionId), 'session restored');
      assert.ok(await client.exists('/app/eph'));
      // ... and when it expires, its ephemeral goes.
      server.expire(server.sessions.get(sessionId)!);
      assert.equal(await client.exists('/app/eph'), null);
      await client.close();
      await server.close();
    });
  });

  it('snapshots every snapCount txns, purges old files, and recovers from snapshot + log', async () => {
    await withDir(async (dir) => {
      let server = await openServer(dir, { snapCount: 20, snapRetainCount: 2, preallocateBytes: 64 * 1024 });
      let client = await connect(server);
      await client.create('/s', null);
      for (let i = 0; i < 200; i++) await client.create(`/s/n${i}`, Buffer.from(String(i)));
      for (let i = 0; i < 200; i += 3) await client.setData(`/s/n${i}`, Buffer.from(`x${i}`));
      await server.snapshot();
      const snapshots = await listFiles(dir, 'snapshot');
      assert.ok(snapshots.length >= 1 && snapshots.length <= 2, `kept ${snapshots.length} snapshots`);
      const expected = await client.getChildren('/s');
      await client.close();
      await server.close();

      server = await openServer(dir);
      client = await connect(server);
      assert.deepEqual((await client.getChildren('/s')).sort(), expected.sort());
      for (let i = 0; i < 200; i++) {
        const { data } = await client.getData(`/s/n${i}`);
        assert.equal(data?.toString(), i % 3 === 0 ? `x${i}` : String(i));
      }
      await client.close();
      await server.close();
    });
  });

  it('writes a snapshot in slices that is exactly the tree as of its zxid, while writes go on', async () => {
    await withDir(async (dir) => {
      const server = await openServer(dir, { snapRetainCount: 5 });
      const client = await connect(server);
      await client.create('/big', null);
      const creates = [];
      for (let i = 0; i < 12_000; i++) creates.push(client.create(`/big/n${i}`, Buffer.from(`v${i}`)));
      await Promise.all(creates);
      // The state the snapshot must hold: every node's stat and data right now.
      const expected = new Map<string, string>();
      for (const [path, node] of server.tree.entries()) expected.set(path, JSON.stringify([node.data?.toString('hex'), node.stat()], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
      const zxid = server.tree.lastZxid;
      const snapshot = server.snapshot();
      // Change nodes not yet serialized (from the end of the list, which is written last) and,
      // as writes keep coming, ones already written.
      const writes = [];
      for (let i = 11_999; i >= 0; i -= 7) writes.push(client.setData(`/big/n${i}`, Buffer.from('changed')));
      for (let i = 11_998; i >= 0; i -= 97) writes.push(client.delete(`/big/n${i}`));
      for (let i = 0; i < 50; i++) writes.push(client.create(`/big/new${i}`, null));
      await Promise.all([snapshot, ...writes]);
      const files = await listFiles(dir, 'snapshot');
      const file = files.find((f) => f.zxid === zxid);
      assert.ok(file, `a snapshot at 0x${zxid.toString(16)}`);
      const tree = new (await import('../../../src/server/data-tree.js')).DataTree();
      await (await import('../../../src/server/storage/snapshot.js')).readSnapshot(file.path, tree);
      const actual = new Map<string, string>();
      for (const [path, node] of tree.entries()) actual.set(path, JSON.stringify([node.data?.toString('hex'), node.stat()], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
      const differing = [...expected].filter(([path, v]) => actual.get(path) !== v).map(([path]) => path);
      const extra = [...actual.keys()].filter((path) => !expected.has(path));
      assert.deepEqual({ differing: differing.slice(0, 5), extra: extra.slice(0, 5) }, { differing: [], extra: [] });
      await client.close();
      await server.close();
    });
  });

  it('truncates a torn record at the tail of the last log with a warning', async () => {
    await withDir(async (dir) => {
      let server = await openServer(dir);
      let client = await connect(server);
      await client.create('/kept', Buffer.from('yes'));
      await client.close();
      await server.close();
      const [log] = await listFiles(dir, 'log');
      const data = await readLogData(log!.path);
      // A record header promising 100 bytes, of which only a few made it to disk.
      const torn = Buffer.alloc(20);
      torn.writeInt32BE(100, 0);
      torn.writeUInt32BE(0xdeadbeef, 4);
      torn.fill(7, 8);
      const fh = await import('node:fs/promises').then((m) => m.open(log!.path, 'r+'));
      await fh.write(torn, 0, torn.length, data.length);
      await fh.close();

      const warnings: string[] = [];
      const logger = {
        debug() {},
        info() {},
        warn(_o: object, msg?: string) {
          warnings.push(msg ?? '');
        },
        error() {},
      };
      server = await HerdServer.open({ host: '127.0.0.1', port: 0, dataDir: dir, logger, forceSync: false });
      await server.listen();
      assert.ok(warnings.some((w) => w.includes('torn tail')), `warned: ${warnings.join('; ')}`);
      client = await connect(server);
      assert.equal((await client.getData('/kept')).data?.toString(), 'yes');
      await client.create('/after', null);
      await client.close();
      await server.close();
      server = await openServer(dir);
      client = await connect(server);
      assert.ok(await client.exists('/after'));
      await client.close();
      await server.close();
    });
  });

  it('refuses to start on a checksum mismatch before the tail, naming file and offset', async () => {
    await withDir(async (dir) => {
      const server = await openServer(dir);
      const client = await connect(server);
      for (let i = 0; i < 5; i++) await client.create(`/n${i}`, Buffer.from('payload'));
      await client.close();
      await server.close();
      const [log] = await listFiles(dir, 'log');
      const bytes = await readFile(log!.path);
      // Flip a byte inside the first record's payload; later records are intact.
      const offset = LOG_MAGIC.length + 12;
      bytes[offset] = bytes[offset]! ^ 0xff;
      await writeFile(log!.path, bytes);
      await assert.rejects(HerdServer.open({ dataDir: dir, logLevel: 'silent' }), (err: unknown) => {
        assert.ok(err instanceof CorruptDataError);
        assert.equal(err.file, log!.path);
        assert.equal(err.offset, LOG_MAGIC.length);
        assert.match(err.message, /log\.0{15}1 at offset 8/);
        return true;
      });
    });
  });

  it('refuses a log with missing transactions', async () => {
    await withDir(async (dir) => {
      const server = await openServer(dir, { preallocateBytes: 4096 });
      const client = await connect(server);
      await client.create('/a', null);
      await server.snapshot(); // rolls the log: later txns go to a second file
      await client.create('/b', null);
      await client.close();
      await server.close();
      const snapshots = await listFiles(dir, 'snapshot');
      for (const s of snapshots) await rm(s.path);
      const logs = await listFiles(dir, 'log');
      assert.ok(logs.length >= 2, `${logs.length} log files`);
      await rm(logs[0]!.path);
      await assert.rejects(HerdServer.open({ dataDir: dir, logLevel: 'silent' }), /missing transactions/);
    });
  });

  it('falls back to an older snapshot when the newest is damaged', async () => {
    await withDir(async (dir) => {
      const server = await openServer(dir, { snapRetainCount: 3 });
      const client = await connect(server);
      await client.create('/one', null);
      await server.snapshot();
      await client.create('/two', null);
      await server.snapshot();
      await client.close();
      await server.close();
      const snapshots = await listFiles(dir, 'snapshot');
      await appendFile(snapshots[snapshots.length - 1]!.path, Buffer.from('garbage'));
      const reopened = await openServer(dir);
      const c = await connect(reopened);
      assert.ok(await c.exists('/one'));
      assert.ok(await c.exists('/two'));
      await c.close();
      await reopened.close();
      assert.ok((await readdir(dir)).includes('secret'));
    });
  });
});
