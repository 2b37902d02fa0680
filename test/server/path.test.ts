import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  basename,
  isInZookeeperSubtree,
  isSpecialPath,
  joinPath,
  parentForCreate,
  parentForDelete,
  parentOf,
  validatePath,
} from '../../src/server/path.js';

// Expected reasons were produced by ZooKeeper 3.8.0's PathUtils.validatePath
// (Debian's zookeeper.jar) for the same inputs.
const VALIDATE_CASES: ReadonlyArray<readonly [string, string | null]> = [
  ['', 'Path length must be > 0'],
  ['a', 'Path must start with / character'],
  ['/', null],
  ['/a', null],
  ['/a/b/c', null],
  ['/zookeeper', null],
  ['/a b', null],
  ['/a/', 'Path must not end with / character'],
  ['//', 'Path must not end with / character'],
  ['/a//b', 'Invalid path string "/a//b" caused by empty node name specified @3'],
  ['/.', 'Invalid path string "/." caused by relative paths not allowed @1'],
  ['/..', 'Invalid path string "/.." caused by relative paths not allowed @2'],
  ['/...', null],
  ['/.a', null],
  ['/..a', null],
  ['/a.', null],
  ['/a..', null],
  ['/a/.b/c', null],
  ['/a/.', 'Invalid path string "/a/." caused by relative paths not allowed @3'],
  ['/a/..', 'Invalid path string "/a/.." caused by relative paths not allowed @4'],
  ['/a/../b', 'Invalid path string "/a/../b" caused by relative paths not allowed @4'],
  ['/./a', 'Invalid path string "/./a" caused by relative paths not allowed @1'],
  ['/a\u0000b', 'Invalid path string "/a\u0000b" caused by null character not allowed @2'],
  ['/a\u0001', 'Invalid path string "/a\u0001" caused by invalid character @2'],
  ['/a\u001f', 'Invalid path string "/a\u001f" caused by invalid character @2'],
  ['/a~', null],
  ['/a\u007f', 'Invalid path string "/a\u007f" caused by invalid character @2'],
  ['/a\u009f', 'Invalid path string "/a\u009f" caused by invalid character @2'],
  ['/a\u00a0', null],
  ['/a\ud7ff', null],
  ['/a\ud800', 'Invalid path string "/a\ud800" caused by invalid character @2'],
  ['/a\uf8ff', 'Invalid path string "/a\uf8ff" caused by invalid character @2'],
  ['/a\uf900', null],
  ['/a\uffef', null],
  ['/a\ufff0', 'Invalid path string "/a\ufff0" caused by invalid character @2'],
  ['/a\uffff', 'Invalid path string "/a\uffff" caused by invalid character @2'],
  // Outside the BMP means a surrogate pair, which falls in U+D800–U+F8FF.
  ['/\u{1f600}', 'Invalid path string "/\u{1f600}" caused by invalid character @1'],
  ['/ü/日本', null],
];

describe('validatePath', () => {
  for (const [path, expected] of VALIDATE_CASES) {
    it(`${JSON.stringify(path)} -> ${expected === null ? 'valid' : 'invalid'}`, () => {
      assert.equal(validatePath(path), expected);
    });
  }

  it('reports the first problem only', () => {
    assert.equal(validatePath('/a\u0001//'), 'Path must not end with / character');
    assert.equal(validatePath('/./\u0001'), 'Invalid path string "/./\u0001" caused by relative paths not allowed @1');
  });
});

describe('parentOf', () => {
  const cases: ReadonlyArray<readonly [string, string | null]> = [
    ['/a/b/c', '/a/b'],
    ['/a', '/'],
    ['/', '/'],
    ['/a/', '/a'],
    ['/a//b', '/a/'],
    ['a', null],
    ['', null],
  ];
  for (const [path, parent] of cases) {
    it(`${JSON.stringify(path)} -> ${JSON.stringify(parent)}`, () => {
      assert.equal(parentOf(path), parent);
    });
  }
});

describe('basename and joinPath', () => {
  it('takes the last segment', () => {
    assert.equal(basename('/a/b/c'), 'c');
    assert.equal(basename('/a'), 'a');
    assert.equal(basename('/'), '');
    assert.equal(basename('/a/'), '');
    assert.equal(basename('x'), 'x');
  });

  it('joins without doubling the root slash', () => {
    assert.equal(joinPath('/', 'a'), '/a');
    assert.equal(joinPath('/a', 'b'), '/a/b');
    assert.equal(joinPath('/a/b', 'lock-0000000001'), '/a/b/lock-0000000001');
  });

  it('round-trips parentOf and basename for valid non-root paths', () => {
    for (const p of ['/a', '/a/b', '/zookeeper/quota/x', '/.a/...']) {
      const parent = parentOf(p);
      assert.notEqual(parent, null);
      assert.equal(joinPath(parent ?? '', basename(p)), p);
    }
  });
});

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
