/**
 * Snapshots, log truncation and persistence (issue 14, "Joining and
 * restart"): the snapshot file's framing refuses damage with the file and
 * offset; the truncation point is the members' oldest snapshot; on both
 * servers the primary truncates the log (its segment count shrinks), a node
 * back from an absence longer than the truncation loads the primary's
 * snapshot, a node restarts from its own file, and a node whose file has
 * flipped bytes refuses it and loads the primary's snapshot.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, it, test } from 'node:test';
import { CorruptSnapshotError, type Tables } from '../../src/tables/index.js';
import { frameSnapshotFile, SNAPSHOT_FILE, unframeSnapshotFile } from '../../src/tables/snapshots/file.js';
import { truncationPoint } from '../../src/tables/snapshots/truncation.js';
import { resolveSnapshotOptions } from '../../src/tables/snapshots/options.js';
import { BadArgumentsError } from '../../src/errors.js';
import { removeDirs, tempDir } from '../log/node/support.js';
import { forEachTarget, waitFor } from '../support/targets.js';
import { converged, putItems, startSnapshotEnv } from './support/snapshots.js';

after(removeDirs);

const T = 30_000;

test('snapshot file: round trip; a flipped byte or a cut file is refused with the file and the offset', () => {
  const payload = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  const framed = frameSnapshotFile(payload, 256);
  assert.deepEqual(unframeSnapshotFile(framed, '/d/snapshot'), payload);
  const flipped = Buffer.from(framed);
  flipped[28 + 260 + 5]! ^= 0xff; // inside the second chunk (header 28, first chunk 256 + its CRC 4)
  assert.throws(() => unframeSnapshotFile(flipped, '/d/snapshot'), (err: Error) => err instanceof CorruptSnapshotError && /\/d\/snapshot: chunk checksum mismatch \(CRC32C\) at offset 288$/.test(err.message));
  assert.throws(() => unframeSnapshotFile(framed.subarray(0, 700), '/d/snapshot'), /\/d\/snapshot: truncated: 700 bytes, the chunk at offset 548 needs 260 at offset 700/);
  assert.throws(() => unframeSnapshotFile(framed.subarray(0, 10), '/d/snapshot'), /truncated header \(10 of 28 bytes\) at offset 10/);
  const badMagic = Buffer.from(framed);
  badMagic[0] = 0;
  assert.throws(() => unframeSnapshotFile(badMagic, '/d/snapshot'), /bad magic\) at offset 0/);
});

test('truncation point: the oldest snapshot, capped by the least applied and (durable) the newest snapshot on disk', () => {
  const p = (segmentId: number, entryId: number) => ({ segmentId, entryId });
  const a = { applied: p(5, 10), snapshot: p(5, 2), durable: null };
  const b = { applied: p(5, 12), snapshot: p(4, 7), durable: p(4, 7) };
  assert.deepEqual(truncationPoint([a, b], 'always'), p(4, 7));
  assert.deepEqual(truncationPoint([a, b], 'durable'), p(4, 7));
  assert.deepEqual(truncationPoint([a, { ...b, durable: p(3, 1) }], 'durable'), p(3, 1));
  assert.equal(truncationPoint([a], 'durable'), null, 'no snapshot on disk anywhere');
  assert.equal(truncationPoint([a, { ...b, snapshot: null }], 'always'), null, 'a member without a snapshot may need the whole log');
  assert.equal(truncationPoint([a, { ...b, applied: null }], 'always'), null);
  assert.equal(truncationPoint([a, b], 'never'), null);
  assert.throws(() => resolveSnapshotOptions({ snapshots: { entries: 0 } }), BadArgumentsError);
  assert.throws(() => resolveSnapshotOptions({ snapshots: { truncate: 'sometimes' as 'never' } }), BadArgumentsError);
  assert.throws(() => resolveSnapshotOptions({ dataDir: '' }), BadArgumentsError);
});

forEachTarget('tables snapshots', (target) => {
  it('truncation; a long-absent node loads the primary snapshot; restart from the file; a corrupt file falls back', { timeout: 120_000 }, async () => {
    await using env = await startSnapshotEnv(target(), 'snap');
    const open = (identifier: string, dataDir?: string): Promise<Tables> => env.open(identifier, { dataDir, truncate: 'durable' });
    const [d1, d2] = [await tempDir('tables-snap'), await tempDir('tables-snap')];
    const n1 = await open('n1', d1);
    let n2 = await open('n2', d2);
    // A third member (in memory) keeps the quorum while n2 is away.
    const n3 = await open('n3');
    await putItems(n1, 0, 30);
    await waitFor(() => n2.snapshots.durable !== null && n2.snapshots.durable.segmentId >= 0, T, 'n2 writes a snapshot file');
    const absentAt = n2.snapshots.durable!;
    await n2.close();

    // While n2 is away the log rolls over to many segments, and the primary truncates it below the snapshots.
    const before = await env.segments();
    await putItems(n1, 30, 150);
    await waitFor(async () => (await env.segments())[0]! > absentAt.segmentId + 1, T, 'the log truncated past n2');
    // Truncation follows the snapshots, which follow the writes: once the writes stop it catches up.
    await waitFor(async () => (await env.segments()).length <= 3, T, 'truncation to leave few segments');
    const left = await env.segments();
    assert.ok(left[0]! > before[0]! && left.at(-1)! - before[0]! >= 5, `segments ${before} became ${left}: many were added and the oldest removed`);
    assert.ok(left.length <= 3, `few segments are left: ${left}`);

    // n2 loads its file, finds it older than the truncated log, and loads the primary's snapshot.
    n2 = await open('n2', d2);
    await waitFor(() => n2.snapshots.loaded?.from === 'member', T, 'n2 loads the primary snapshot');
    await converged([n1, n2, n3], T);
    assert.equal((await n2.get('items', 'i149'))?.qty, 149);

    // A restart with a recent file loads it and follows the log from its position: no member snapshot.
    await putItems(n1, 150, 170);
    await waitFor(() => n2.snapshots.durable !== null && n2.snapshots.durable.entryId === n2.status.position!.entryId, T, 'n2 snapshot on disk is current');
    const onDisk = n2.snapshots.durable!;
    await n2.close();
    await putItems(n1, 170, 175);
    n2 = await open('n2', d2);
    assert.deepEqual(n2.snapshots.loaded, { from: 'file', position: onDisk });
    await converged([n1, n2, n3], T);
    assert.equal(n2.snapshots.loaded?.from, 'file', 'it followed the log from its file, no member snapshot needed');

    // Flipped bytes: the file is refused (the warning names it and the offset), the primary's snapshot is loaded.
    await n2.close();
    const file = join(d2, SNAPSHOT_FILE);
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x5a;
    await writeFile(file, bytes);
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      n2 = await open('n2', d2);
      await waitFor(() => n2.snapshots.loaded?.from === 'member', T, 'n2 falls back to the primary snapshot');
    } finally {
      process.off('warning', onWarning);
    }
    assert.ok(warnings.some((m) => m.includes(`tables snapshot file ${file}: chunk checksum mismatch (CRC32C) at offset`)), `a warning names the file and offset: ${warnings.join(' | ')}`);
    await converged([n1, n2, n3], T);
  });
});
