/**
 * Every failure status reaches the caller as its own error class: the
 * status table both ways for every status, and a corrupt copy on a real
 * node's disk read over a real socket as CorruptEntryError (then repaired
 * by adding a good copy).
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { connectLogNode, CorruptEntryError, HerdError, NodeError } from '../../../src/log/index.js';
import { errorFromStatus, Status, statusOfError } from '../../../src/log/protocol/index.js';
import { forEachTarget } from '../../support/targets.js';
import { collect, entry, removeDirs, startTestNode, tempDir } from './support.js';

after(removeDirs);

it('each failure status maps to an error class whose code is the status name, and back', () => {
  for (const [name, status] of Object.entries(Status)) {
    if (status === Status.OK) continue;
    const error = errorFromStatus(status, `log node 127.0.0.1:1: what failed (${name})`, { segmentId: 4, entryId: 2 });
    assert.ok(error instanceof HerdError, name);
    assert.equal(error.code, name);
    assert.match(error.name, /Error$/);
    assert.equal(error.message, `log node 127.0.0.1:1: what failed (${name})`, 'the node\'s message, not a rebuilt one');
    assert.equal(statusOfError(error), status, `${name} round trip`);
  }
  const unknown = errorFromStatus(99, 'from a newer node');
  assert.ok(unknown instanceof NodeError);
  assert.match(unknown.message, /STATUS_99: from a newer node/);
  assert.equal(statusOfError(new Error('unexpected')), Status.NODE_ERROR);
});

forEachTarget('log node errors', (target) => {
  it('a corrupt copy on disk is CorruptEntryError over the wire, never served; a good copy repairs it', async () => {
    const dataDir = await tempDir();
    const node = await startTestNode(target().connectionString, dataDir);
    const entries = [entry(8, 0, 'first entry'), entry(8, 1, 'second entry, to be bit-flipped'), entry(8, 2, 'third entry')];
    {
      await using c = await connectLogNode(node.address);
      for (const e of entries) await c.addEntry(e);
    }
    await node.close();
    // A reopen checkpoints the segment file and drops the journal that held the entries: after it, the file is the only copy.
    await (await startTestNode(target().connectionString, dataDir, { port: node.port })).close();
    const file = join(dataDir, 'segments', '8.seg');
    const bytes = await readFile(file);
    const at = bytes.indexOf('bit-flipped');
    assert.ok(at > 0);
    bytes[at]! ^= 0x01;
    await writeFile(file, bytes);
    await using again = await startTestNode(target().connectionString, dataDir, { port: node.port });
    await using c = await connectLogNode(again.address);
    await assert.rejects(c.readEntry(8, 1), (e: unknown) => {
      assert.ok(e instanceof CorruptEntryError, String(e));
      assert.equal(e.code, 'CORRUPT_ENTRY');
      assert.equal(e.segmentId, 8);
      assert.equal(e.entryId, 1);
      assert.ok(e.message.includes(again.address) && e.message.includes('8.seg'), e.message);
      return true;
    });
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of c.readRange(8)) seen.push(e.entryId);
      })(),
      CorruptEntryError,
    );
    assert.deepEqual(seen, [0], 'the entries before the bad copy, then the error');
    assert.deepEqual(await c.readEntry(8, 2), entries[2]);
    await c.addEntry(entries[1]!, { recovery: true });
    assert.deepEqual(await collect(c.readRange(8)), entries);
  });

  it('an add far beyond the segment\'s last entry is stored sparsely: no allocation for the gap, range reads skip it', async () => {
    await using node = await startTestNode(target().connectionString, await tempDir());
    await using c = await connectLogNode(node.address);
    const before = process.memoryUsage().arrayBuffers;
    await c.addEntry(entry(3, 0));
    const far = { ...entry(3, 2 ** 48), timestamp: entry(3, 1).timestamp };
    await c.addEntry(far);
    const near = { ...entry(3, 10 ** 8), timestamp: entry(3, 1).timestamp };
    await c.addEntry(near);
    assert.deepEqual(await c.readEntry(3, 2 ** 48), far);
    assert.deepEqual((await collect(c.readRange(3))).map((e) => e.entryId), [0, 10 ** 8, 2 ** 48]);
    // Dense arrays to entry 10^8 would take 2 GB; three pages take 60 KB.
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'no allocation in proportion to the entry id');
  });
}, { concurrency: false });
