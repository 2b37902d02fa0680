import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readZkSnapshot } from '../../../src/server/storage/zk-format/zk-snapshot.js';
import { EphemeralOwner } from '../../../src/server/txn.js';
import { herd } from '../../cli/herd.js';
import { startZooKeeper } from '../../support/zookeeper.js';
import { zookeeperRequired } from '../../support/targets.js';
import { assertSameTrees, connectTo, fillFirst, fillSecond, hashDir, openHerd } from './trees.js';

/**
 * `herd export-zk`: a Herd data directory filled through the client becomes
 * a ZooKeeper dataDir that Debian's ZooKeeper 3.8 starts from, and the two
 * servers then show the same znodes, Stats and ACLs. Both commands refuse
 * a non-empty target.
 */

const haveZk = zookeeperRequired();

describe('herd export-zk', { skip: !haveZk, timeout: 300_000 }, () => {
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'herd-export-zk-'));
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
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
        const written = await readZkSnapshot(join(out, 'version-2', (await readdir(join(out, 'version-2')))[0]!));
        assert.equal(written.tree.nodes.get('/imp/cont')!.ephemeralOwner, EphemeralOwner.container);
        assert.equal(written.tree.nodes.get('/imp/ttl')!.ephemeralOwner, EphemeralOwner.ttl(3_600_000));
        assert.deepEqual([...written.sessions.keys()], [eph.ephemeralOwner]);
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
    const help = herd('import-zk', '--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--from <dir>[\s\S]*--data-dir <dir>[\s\S]*--allow-torn-log/);

    const target = join(work, 'not-empty');
    await mkdir(target);
    await writeFile(join(target, 'keep'), 'mine');
    const run = herd('import-zk', '--from', join(work, 'herd-source'), '--data-dir', target);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^herd: --data-dir .*not-empty is not empty/);
    assert.deepEqual(await readdir(target), ['keep']);
    const exp = herd('export-zk', '--data-dir', join(work, 'herd-source'), '--to', target);
    assert.equal(exp.status, 1);
    assert.match(exp.stderr, /^herd: --to .*not-empty is not empty/);
  });
});
