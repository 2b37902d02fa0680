import assert from 'node:assert/strict';
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { importZooKeeper } from '../../../src/server/storage/zk-format/convert.js';
import { recoverZooKeeper } from '../../../src/server/storage/zk-format/zk-recover.js';
import { herd } from '../../cli/herd.js';
import { zookeeperRequired } from '../../support/targets.js';
import { filesOf, hashDir, treeView, withFilledZooKeeper } from './trees.js';

/**
 * `herd import-zk` on bit-flipped ZooKeeper snapshots (issue 18's bad
 * input): it falls back to an older valid snapshot as ZooKeeper does, and
 * fails naming every file and offset when none is valid, leaving no target
 * behind and the source untouched.
 */

const haveZk = zookeeperRequired();

describe('herd import-zk: corrupt snapshots', { skip: !haveZk, timeout: 300_000 }, () => {
  const { dirs } = withFilledZooKeeper();

  it('a bit-flipped snapshot: falls back to the previous one and replays more log, or fails when none is valid', async () => {
    const src = join(dirs.work, 'zk-flipped');
    await cp(dirs.zkData, src, { recursive: true });
    const expected = await recoverZooKeeper({ snapDir: dirs.zkData });
    const snaps = (await filesOf(src, 'snapshot.')).sort((a, b) => Number(BigInt(`0x${b.slice(9)}`) - BigInt(`0x${a.slice(9)}`)));
    const flip = async (name: string): Promise<void> => {
      const path = join(src, 'version-2', name);
      const bytes = await readFile(path);
      bytes[Math.floor(bytes.length / 2)]! ^= 0x10;
      await writeFile(path, bytes);
    };
    await flip(snaps[0]!);
    const warnings: string[] = [];
    const recovered = await recoverZooKeeper({ snapDir: src, warn: (m) => warnings.push(m) });
    assert.equal(recovered.snapshot, join(src, 'version-2', snaps[1]!));
    assert.ok(recovered.txnsReplayed > expected.txnsReplayed);
    assert.deepEqual(treeView(recovered), treeView(expected));
    assert.deepEqual(recovered.sessions, expected.sessions);

    assert.equal(warnings.length, 1);
    assert.ok(warnings[0]!.startsWith(`skipping unreadable snapshot: corrupt data in ${join(src, 'version-2', snaps[0]!)} at offset`), warnings[0]);
    for (const name of snaps.slice(1)) await flip(name);
    const allFlipped = await hashDir(src);
    const target = join(dirs.work, 'from-all-flipped');
    const bad = herd('import-zk', '--from', src, '--data-dir', target);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /no valid ZooKeeper snapshot/);
    for (const name of snaps) assert.ok(bad.stderr.includes(`corrupt data in ${join(src, 'version-2', name)} at offset`), bad.stderr);
    await assert.rejects(readdir(target), { code: 'ENOENT' });
    assert.equal(await hashDir(src), allFlipped, 'the source is untouched');
  });

  it('a damaged snappy-compressed snapshot: named with its offset and skipped for the previous one', async () => {
    const src = join(dirs.work, 'zk-snappy');
    await cp(dirs.zkData, src, { recursive: true });
    const expected = await recoverZooKeeper({ snapDir: dirs.zkData });
    const snaps = (await filesOf(src, 'snapshot.')).sort((a, b) => Number(BigInt(`0x${b.slice(9)}`) - BigInt(`0x${a.slice(9)}`)));
    // A plain snapshot under a .snappy name has no snappy-java header: damage at offset 0, as a torn copy would be.
    const snappy = join(src, 'version-2', `${snaps[0]!}.snappy`);
    await writeFile(snappy, await readFile(join(src, 'version-2', snaps[0]!)));
    await rm(join(src, 'version-2', snaps[0]!));
    const warnings: string[] = [];
    const recovered = await recoverZooKeeper({ snapDir: src, warn: (m) => warnings.push(m) });
    assert.equal(recovered.snapshot, join(src, 'version-2', snaps[1]!));
    assert.deepEqual(treeView(recovered), treeView(expected));
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0]!.includes(`corrupt data in ${snappy} at offset 0`), warnings[0]);
    assert.match(warnings[0]!, /no 0x82 SNAPPY header/);
  });
});
