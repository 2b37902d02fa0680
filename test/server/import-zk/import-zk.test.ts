import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../../src/client/index.js';
import { HerdServer } from '../../../src/server/server.js';
import { recoverZooKeeper } from '../../../src/server/storage/zk-format/zk-recover.js';
import { herd } from '../../cli/herd.js';
import { startZooKeeper, type ZooKeeperServer } from '../../support/zookeeper.js';
import { zookeeperRequired } from '../../support/targets.js';
import { connectTo, fillFirst, fillSecond, hashDir, readTree } from './trees.js';

/**
 * `herd import-zk` and `herd export-zk` against Debian's ZooKeeper 3.8: a
 * tree filled through the client (every node kind, ACLs, raised versions, a
 * live session's ephemerals) is compared znode by znode, Stat and ACL
 * included, between ZooKeeper and Herd on the converted data.
 */

const haveZk = zookeeperRequired();

async function openHerd(dataDir: string): Promise<HerdServer> {
  const server = await HerdServer.open({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', forceSync: false, snapCount: 30 });
  await server.listen();
  return server;
}

async function assertSameTrees(a: Client, b: Client): Promise<number> {
  const [left, right] = [await readTree(a), await readTree(b)];
  assert.deepEqual([...right.keys()].sort(), [...left.keys()].sort());
  for (const [path, view] of left) assert.deepEqual(right.get(path), view, `znode ${path}`);
  return left.size;
}

/** The names in `dir/version-2` that start with `prefix`. */
async function filesOf(dir: string, prefix: string): Promise<string[]> {
  return (await readdir(join(dir, 'version-2'))).filter((n) => n.startsWith(prefix));
}

describe('herd import-zk / export-zk', { skip: !haveZk, timeout: 300_000 }, () => {
  let work: string;
  let zk: ZooKeeperServer;
  /** A copy of the filled ZooKeeper dataDir, for the bad-input cases. */
  let zkData: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'herd-import-zk-'));
    // snapCount 20: ZooKeeper snapshots every 10 to 20 txns, so the fill spans several snapshots and logs.
    zk = await startZooKeeper({ extraConfig: { snapCount: 20 }, forceSync: false });
    const client = await connectTo(zk.connectionString);
    const owner = await connectTo(zk.connectionString);
    await fillFirst(client, owner);
    await fillSecond(client, owner, 25);
    await client.close();
    // The owner's session stays open: ZooKeeper stops with it alive, its ephemerals in the data.
    await zk.stop();
    await owner.close().catch(() => {});
    zkData = join(work, 'zk-data');
    await cp(zk.dataDir, zkData, { recursive: true });
  });

  after(async () => {
    await zk?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('imports snapshots and logs: every znode, Stat and ACL as ZooKeeper restores them', async () => {
    assert.ok((await filesOf(zk.dataDir, 'snapshot.')).length >= 3, 'several snapshots');
    assert.ok((await filesOf(zk.dataDir, 'log.')).length >= 2, 'several logs');
    const before = await hashDir(zk.dataDir);
    const target = join(work, 'herd-imported');
    const run = herd('import-zk', '--from', zk.dataDir, '--data-dir', target);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^imported \d+ znodes and \d+ sessions up to zxid 0x[0-9a-f]+/);
    assert.match(run.stdout, /replayed {2}[1-9]\d* transactions/);
    assert.equal(await hashDir(zk.dataDir), before, 'the ZooKeeper data dir is untouched');

    await zk.start();
    const server = await openHerd(target);
    const onZk = await connectTo(zk.connectionString);
    const onHerd = await connectTo(`127.0.0.1:${server.port}`);
    try {
      const count = await assertSameTrees(onZk, onHerd);
      assert.ok(count > 40, `${count} znodes compared`);
      // The ephemerals are still there, owned by the session that was open when ZooKeeper stopped.
      const eph = await onHerd.exists('/imp/eph');
      assert.ok(eph && eph.ephemeralOwner !== 0n);
      assert.ok(await onHerd.exists('/imp/late-eph'));
      assert.ok(server.sessions.get(eph.ephemeralOwner), 'the owner session was imported');
    } finally {
      await onZk.close();
      await onHerd.close();
      await server.close();
      await zk.stop();
    }
  });

  it('exports a Herd data directory that ZooKeeper 3.8 starts from with the same tree', async () => {
    const herdDir = join(work, 'herd-source');
    let server = await openHerd(herdDir);
    const client = await connectTo(`127.0.0.1:${server.port}`);
    const owner = await connectTo(`127.0.0.1:${server.port}`);
    await fillFirst(client, owner);
    await server.snapshot();
    await fillSecond(client, owner, 10);
    await client.close();
    await server.close();
    await owner.close().catch(() => {});

    const before = await hashDir(herdDir);
    const out = join(work, 'zk-exported');
    const run = herd('export-zk', '--data-dir', herdDir, '--to', out);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^exported \d+ znodes and 1 sessions at zxid 0x[0-9a-f]+/);
    assert.equal(await hashDir(herdDir), before, 'the Herd data dir is untouched');
    assert.deepEqual(await readdir(out), ['version-2']);

    const fresh = await startZooKeeper({ forceSync: false });
    try {
      await fresh.stop();
      await rm(join(fresh.dataDir, 'version-2'), { recursive: true, force: true });
      await cp(join(out, 'version-2'), join(fresh.dataDir, 'version-2'), { recursive: true });
      await fresh.start();
      server = await openHerd(herdDir);
      const onZk = await connectTo(fresh.connectionString);
      const onHerd = await connectTo(`127.0.0.1:${server.port}`);
      try {
        await assertSameTrees(onHerd, onZk);
        const eph = await onZk.exists('/imp/eph');
        assert.ok(eph && eph.ephemeralOwner !== 0n, 'ZooKeeper restored the ephemeral with its session');
      } finally {
        await onZk.close();
        await onHerd.close();
        await server.close();
      }
    } finally {
      await fresh.destroy();
    }
  });

  it('refuses a non-empty target and writes nothing', async () => {
    const target = join(work, 'not-empty');
    await mkdir(target);
    await writeFile(join(target, 'keep'), 'mine');
    const run = herd('import-zk', '--from', zkData, '--data-dir', target);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^herd: --data-dir .*not-empty is not empty/);
    assert.deepEqual(await readdir(target), ['keep']);
    const exp = herd('export-zk', '--data-dir', join(work, 'herd-imported'), '--to', target);
    assert.equal(exp.status, 1);
    assert.match(exp.stderr, /^herd: --to .*not-empty is not empty/);
  });

  it('a truncated log: an error naming the file and offset, nothing written, the source untouched', async () => {
    const src = join(work, 'zk-torn');
    await cp(zkData, src, { recursive: true });
    const logs = (await filesOf(src, 'log.')).sort((a, b) => Number(BigInt(`0x${a.slice(4)}`) - BigInt(`0x${b.slice(4)}`)));
    const last = join(src, 'version-2', logs[logs.length - 1]!);
    const bytes = await readFile(last);
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    // Cut the last record in the middle.
    await writeFile(last, bytes.subarray(0, end - 7));
    const before = await hashDir(src);
    const target = join(work, 'from-torn');
    const run = herd('import-zk', '--from', src, '--data-dir', target);
    assert.equal(run.status, 1);
    assert.ok(run.stderr.includes(last), run.stderr);
    assert.match(run.stderr, /at offset \d+: record of \d+ bytes cut short/);
    await assert.rejects(readdir(target), { code: 'ENOENT' });
    assert.deepEqual((await readdir(work)).filter((n) => n.includes('.from-torn.tmp')), [], 'no temp dir left');
    // As ZooKeeper does, on request: the torn record is dropped.
    const lenient = herd('import-zk', '--from', src, '--data-dir', target, '--allow-torn-log');
    assert.equal(lenient.status, 0, lenient.stderr);
    assert.match(lenient.stderr, /torn record at offset \d+/);
    assert.equal(await hashDir(src), before);
  });

  it('a bit-flipped snapshot: falls back to the previous one and replays more log, or fails when none is valid', async () => {
    const src = join(work, 'zk-flipped');
    await cp(zkData, src, { recursive: true });
    const expected = await recoverZooKeeper({ snapDir: zkData });
    const snaps = (await filesOf(src, 'snapshot.')).sort((a, b) => Number(BigInt(`0x${b.slice(9)}`) - BigInt(`0x${a.slice(9)}`)));
    const flip = async (name: string): Promise<void> => {
      const path = join(src, 'version-2', name);
      const bytes = await readFile(path);
      bytes[Math.floor(bytes.length / 2)]! ^= 0x10;
      await writeFile(path, bytes);
    };
    await flip(snaps[0]!);
    const recovered = await recoverZooKeeper({ snapDir: src });
    assert.equal(recovered.snapshot, join(src, 'version-2', snaps[1]!));
    assert.ok(recovered.txnsReplayed > expected.txnsReplayed);
    const view = (r: typeof expected) => [...r.tree.nodes].map(([p, n]) => [p, { ...n, children: [...n.children].sort() }]).sort();
    assert.deepEqual(view(recovered), view(expected));
    assert.deepEqual(recovered.sessions, expected.sessions);

    const before = await hashDir(src);
    const ok = herd('import-zk', '--from', src, '--data-dir', join(work, 'from-flipped'));
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(ok.stderr.includes(`skipping unreadable snapshot: corrupt data in ${join(src, 'version-2', snaps[0]!)} at offset`), ok.stderr);

    assert.equal(await hashDir(src), before, 'the source is untouched');
    for (const name of snaps.slice(1)) await flip(name);
    const allFlipped = await hashDir(src);
    const target = join(work, 'from-all-flipped');
    const bad = herd('import-zk', '--from', src, '--data-dir', target);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /no valid ZooKeeper snapshot/);
    for (const name of snaps) assert.ok(bad.stderr.includes(`corrupt data in ${join(src, 'version-2', name)} at offset`), bad.stderr);
    await assert.rejects(readdir(target), { code: 'ENOENT' });
    assert.equal(await hashDir(src), allFlipped, 'the source is untouched');
  });
});
