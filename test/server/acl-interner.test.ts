import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AclInterner } from '../../src/server/acl-interner.js';
import { DataTree } from '../../src/server/data-tree.js';

const open = () => [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

describe('AclInterner', () => {
  it('returns one shared list for equal lists and keeps different ones apart', () => {
    const interner = new AclInterner();
    const first = interner.intern(open());
    assert.equal(interner.intern(open()), first);
    const digest = interner.intern([{ perms: 1, id: { scheme: 'digest', id: 'u:x' } }]);
    assert.notEqual(digest, first);
    // Fields are length-prefixed: these two must not share a key.
    const a = interner.intern([{ perms: 1, id: { scheme: 'ab', id: 'c' } }]);
    const b = interner.intern([{ perms: 1, id: { scheme: 'a', id: 'bc' } }]);
    assert.notEqual(a, b);
    assert.deepEqual(b, [{ perms: 1, id: { scheme: 'a', id: 'bc' } }]);
  });

  it('stops adding lists at its cap but still answers with an equal list', () => {
    const interner = new AclInterner();
    for (let i = 0; i < 5000; i++) interner.intern([{ perms: 1, id: { scheme: 'ip', id: `10.0.${i >> 8}.${i & 255}` } }]);
    assert.equal(interner.size, 4096);
    const late = [{ perms: 1, id: { scheme: 'ip', id: '10.0.19.200' } }];
    assert.equal(interner.intern(late), late);
  });

  it('lets nodes created with equal ACLs share them in the tree; setACL replaces, never mutates', () => {
    const tree = new DataTree();
    const header = (zxid: bigint) => ({ sessionId: 1n, cxid: 1, zxid, time: 1 });
    const create = (path: string, zxid: bigint) =>
      tree.apply(header(zxid), { type: 'create', path, data: null, acl: open(), ephemeralOwner: 0n, parentCVersion: 1 }, []);
    create('/a', 1n);
    create('/b', 2n);
    assert.equal(tree.get('/a')!.acl, tree.get('/b')!.acl);
    const digest = [{ perms: 31, id: { scheme: 'digest', id: 'u:x' } }];
    tree.apply(header(3n), { type: 'setACL', path: '/a', acl: digest, version: 1 }, []);
    assert.deepEqual(tree.get('/a')!.acl, digest);
    assert.deepEqual(tree.get('/b')!.acl, open());
  });
});
