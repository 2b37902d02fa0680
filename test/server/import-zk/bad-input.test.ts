import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recoverZooKeeper } from '../../../src/server/storage/zk-format/zk-recover.js';
import { herd } from '../../cli/herd.js';
import type { ZooKeeperServer } from '../../support/zookeeper.js';
import { zookeeperRequired } from '../../support/targets.js';
import { filesOf, filledZooKeeper, hashDir } from './trees.js';

/**
 * `herd import-zk` on damaged ZooKeeper data (issue 18's bad input): a
 * truncated log, bit-flipped snapshots. Each failure names the file and
 * offset, leaves no target behind and never touches the source. (A
 * non-empty target is refused in export-zk.test.ts.)
 */

const haveZk = zookeeperRequired();

describe('herd import-zk: bad input', { skip: !haveZk, timeout: 300_000 }, () => {
  let work: string;
  let zk: ZooKeeperServer;
  /** A copy of the filled ZooKeeper dataDir, which each case copies and damages. */
  let zkData: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'herd-import-zk-'));
    zk = await filledZooKeeper();
    zkData = join(work, 'zk-data');
    await cp(zk.dataDir, zkData, { recursive: true });
  });

  after(async () => {
    await zk?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
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
