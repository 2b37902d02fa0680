import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isInZookeeperSubtree, isSpecialPath, parentForCreate, parentForDelete } from '../../src/server/path.js';

// The rules every layer shares (validation, parent, join) are tested in test/base/path.test.ts.

describe('special paths', () => {
  it('are exactly the four ZooKeeper-owned nodes', () => {
    for (const p of ['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config']) assert.equal(isSpecialPath(p), true, p);
    for (const p of ['', '/zookeeper/', '/zookeeper/quota/a', '/zookeeper/other', '/zookeeperx', '/a']) {
      assert.equal(isSpecialPath(p), false, p);
    }
  });

  it('subtree test covers /zookeeper and below only', () => {
    assert.equal(isInZookeeperSubtree('/zookeeper'), true);
    assert.equal(isInZookeeperSubtree('/zookeeper/quota/a/zookeeper_limits'), true);
    assert.equal(isInZookeeperSubtree('/zookeeperx'), false);
    assert.equal(isInZookeeperSubtree('/'), false);
  });
});

describe('pre-validation of create and delete', () => {
  it('create needs a slash and no NUL, nothing more', () => {
    assert.equal(parentForCreate('/a/b'), '/a');
    assert.equal(parentForCreate('/a/'), '/a');
    assert.equal(parentForCreate('/'), '/');
    assert.equal(parentForCreate('/zookeeper/x'), '/zookeeper');
    assert.equal(parentForCreate('/a//b'), '/a/');
    assert.equal(parentForCreate('a'), null);
    assert.equal(parentForCreate('/a\0'), null);
  });

  it('delete also refuses the special paths', () => {
    assert.equal(parentForDelete('/a/b'), '/a');
    assert.equal(parentForDelete('/zookeeper/quota/a'), '/zookeeper/quota');
    for (const p of ['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config', 'a', '/a\0b']) {
      assert.equal(parentForDelete(p), null, JSON.stringify(p));
    }
  });
});
