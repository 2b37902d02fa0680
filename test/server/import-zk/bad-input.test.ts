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
 * `herd import-zk` on damaged ZooKeeper data (issue 18's bad input): a
 * truncated log, no snapshot at all. Each failure names the file and
 * offset, leaves no target behind and never touches the source. (Corrupt
 * snapshots: bad-snapshot.test.ts; a non-empty target: export-zk.test.ts.)
 */

const haveZk = zookeeperRequired();

describe('herd import-zk: bad input', { skip: !haveZk, timeout: 300_000 }, () => {
  const { dirs } = withFilledZooKeeper();

  it('a truncated log: an error naming the file and offset, nothing written, the source untouched', async () => {
    const src = join(dirs.work, 'zk-torn');
    await cp(dirs.zkData, src, { recursive: true });
    const logs = (await filesOf(src, 'log.')).sort((a, b) => Number(BigInt(`0x${a.slice(4)}`) - BigInt(`0x${b.slice(4)}`)));
    const last = join(src, 'version-2', logs[logs.length - 1]!);
    const bytes = await readFile(last);
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    // Cut the last record in the middle.
    await writeFile(last, bytes.subarray(0, end - 7));
    const before = await hashDir(src);
    const target = join(dirs.work, 'from-torn');
    const run = herd('import-zk', '--from', src, '--data-dir', target);
    assert.equal(run.status, 1);
    assert.ok(run.stderr.includes(last), run.stderr);
    assert.match(run.stderr, /at offset \d+: record of \d+ bytes cut short/);
    await assert.rejects(readdir(target), { code: 'ENOENT' });
    assert.deepEqual((await readdir(dirs.work)).filter((n) => n.includes('.from-torn.tmp')), [], 'no temp dir left');
    // As ZooKeeper does, on request: the torn record is dropped.
    const warnings: string[] = [];
    const lenient = await importZooKeeper({ from: src, dataDir: target, allowTornLog: true, warn: (m) => warnings.push(m) });
    // Exactly the torn record is lost: ZooKeeper may roll its log just before the last txn, so the
    // last log can hold one record (then nothing is left to replay) or many.
    const intact = await recoverZooKeeper({ snapDir: dirs.zkData });
    assert.equal(lenient.txnsReplayed, Math.max(0, intact.txnsReplayed - 1));
    if (intact.txnsReplayed > 0) assert.ok(lenient.lastZxid < intact.lastZxid);
    assert.deepEqual(warnings.length, 1);
    assert.ok(warnings[0]!.startsWith(`${last}: torn record at offset `), warnings[0]);
    assert.ok((await readdir(target)).some((n) => n.startsWith('snapshot.')));
    assert.equal(await hashDir(src), before);
  });
  it('no snapshot at all: refused as ZooKeeper refuses it, or the whole log replayed from an empty tree on request', async () => {
    const src = join(dirs.work, 'zk-no-snapshot');
    await cp(dirs.zkData, src, { recursive: true });
    for (const name of await filesOf(src, 'snapshot.')) await rm(join(src, 'version-2', name));
    const target = join(dirs.work, 'from-no-snapshot');
    const bad = herd('import-zk', '--from', src, '--data-dir', target);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /no ZooKeeper snapshot in .*, but \d+ transaction log\(s\)/);
    await assert.rejects(readdir(target), { code: 'ENOENT' });
    // Every txn since ZooKeeper's first start is in the logs: replaying them all from ZooKeeper's
    // initial tree must give exactly what the newest snapshot plus the later logs give.
    const expected = await recoverZooKeeper({ snapDir: dirs.zkData });
    const replayed = await recoverZooKeeper({ snapDir: src, trustEmptySnapshot: true });
    assert.equal(replayed.snapshot, null);
    assert.deepEqual(treeView(replayed), treeView(expected));
    assert.deepEqual(replayed.sessions, expected.sessions);
  });
});
