import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DataTree } from '../../../src/server/data-tree.js';
import { CorruptDataError } from '../../../src/server/storage/corrupt-data-error.js';
import { readSnapshot, serializeSnapshot, writeSnapshot } from '../../../src/server/storage/snapshot.js';
import type { Txn } from '../../../src/server/txn.js';

/**
 * A snapshot walks the live tree in slices while txns keep applying: what it
 * writes must still be exactly the tree at its zxid. Driven on a DataTree
 * directly, so each change lands at a known point of the walk.
 */

const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const DIGEST = [{ perms: 1, id: { scheme: 'digest', id: 'u:x' } }];

class Applier {
  zxid = 0n;
  constructor(readonly tree: DataTree) {}
  private apply(txn: Txn): void {
    this.tree.apply({ sessionId: 1n, cxid: 0, zxid: ++this.zxid, time: 1_700_000_000_000 + Number(this.zxid) }, txn, []);
  }
  create(path: string, data: string, acl = OPEN): void {
    const parent = this.tree.get(path.slice(0, path.lastIndexOf('/')) || '/')!;
    this.apply({ type: 'create', path, data: Buffer.from(data), acl, ephemeralOwner: 0n, parentCVersion: parent.cversion + 1 });
  }
  delete(path: string): void {
    this.apply({ type: 'delete', path });
  }
  setData(path: string, data: string): void {
    this.apply({ type: 'setData', path, data: Buffer.from(data), version: this.tree.get(path)!.version + 1 });
  }
}

/** Every node as JSON: data, Stat, ACL and children. */
function describeTree(tree: DataTree): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, node] of tree.entries()) {
    const children = [...(node.children ?? [])].sort();
    out.set(path, JSON.stringify([node.data?.toString(), node.stat(), node.acl, children], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  }
  return out;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('snapshot', () => {
  it('is exactly the tree at its zxid while nodes are created, changed, deleted and re-created during the walk', async () => {
    const tree = new DataTree();
    const a = new Applier(tree);
    a.create('/a', 'a');
    for (let i = 0; i < 1000; i++) a.create(`/a/c${i}`, `v${i}`, i % 3 === 0 ? DIGEST : OPEN);
    a.create('/b', 'b');
    a.create('/b/x', 'x');
    a.create('/d', 'd');
    a.create('/d/y', 'y');
    const expected = describeTree(tree);
    const zxid = tree.lastZxid;

    // sliceMs 0: a slice is 256 nodes, so the first turn writes /a and its first children only.
    const serialized = serializeSnapshot(tree, zxid, [{ id: 5n, timeout: 4000 }], { sliceMs: 0 });
    await nextTurn();
    a.delete('/a/c0'); // already written: written again from the deleted list
    a.delete('/a/c999'); // not reached yet
    a.setData('/a/c998', 'changed'); // not reached yet: its copy from before is written
    a.setData('/b', 'changed');
    a.delete('/d/y'); // a parent and child deleted before the walk reaches them,
    a.delete('/d');
    a.create('/d', 'new d'); // and the parent re-created (later czxid: skipped)
    a.create('/new', 'new');
    await nextTurn();
    a.delete('/b/x');
    const chunks = await serialized;
    assert.equal(tree.beforeChange, null);
    assert.equal(tree.beforeDelete, null);

    const dir = await mkdtemp(join(tmpdir(), 'herd-snapshot-'));
    try {
      const file = await writeSnapshot(dir, zxid, chunks, false);
      const loaded = new DataTree();
      const contents = await readSnapshot(file, loaded);
      assert.equal(contents.zxid, zxid);
      assert.deepEqual(contents.sessions, [{ id: 5n, timeout: 4000 }]);
      assert.equal(loaded.lastZxid, zxid);
      assert.deepEqual(describeTree(loaded), expected);
      assert.equal(loaded.nodeCount, expected.size + 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('checks a large snapshot on a worker thread: loads a good one, refuses a damaged one naming the file', async () => {
    const tree = new DataTree();
    const a = new Applier(tree);
    for (let i = 0; i < 2000; i++) a.create(`/n${i}`, `value ${i}`);
    const chunks = await serializeSnapshot(tree, tree.lastZxid, []);
    const dir = await mkdtemp(join(tmpdir(), 'herd-snapshot-'));
    try {
      const file = await writeSnapshot(dir, tree.lastZxid, chunks, false);
      const good = new DataTree();
      await readSnapshot(file, good, { workerChecksumMin: 0 });
      assert.deepEqual(describeTree(good), describeTree(tree));
      // A changed value byte decodes fine: only the checksum can tell.
      const bytes = await readFile(file);
      const at = bytes.indexOf('value 1000');
      bytes[at + 6] ^= 1;
      await writeFile(file, bytes);
      await assert.rejects(readSnapshot(file, new DataTree(), { workerChecksumMin: 0 }), (err: unknown) => {
        assert.ok(err instanceof CorruptDataError);
        assert.match(err.message, /checksum mismatch/);
        assert.ok(err.message.includes(file));
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a second snapshot while one is being written', async () => {
    const tree = new DataTree();
    const a = new Applier(tree);
    for (let i = 0; i < 300; i++) a.create(`/n${i}`, '');
    // 300 nodes: the walk yields after 256, with the first snapshot still under way.
    const first = serializeSnapshot(tree, tree.lastZxid, [], { sliceMs: 0 });
    await assert.rejects(serializeSnapshot(tree, 0n, []), /already being taken/);
    await first;
  });
});
