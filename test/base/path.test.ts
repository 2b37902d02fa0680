import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { basename, invalidPathReason, joinPath, parentPath, pathPrefixes } from '../../src/base/path.js';

// Expected reasons were produced by ZooKeeper 3.8.0's PathUtils.validatePath
// (Debian's zookeeper.jar) for the same inputs.
const VALIDATE_CASES: ReadonlyArray<readonly [string, string | undefined]> = [
  ['', 'Path length must be > 0'],
  ['a', 'Path must start with / character'],
  ['/', undefined],
  ['/a', undefined],
  ['/a/b/c', undefined],
  ['/zookeeper', undefined],
  ['/a b', undefined],
  ['/a/', 'Path must not end with / character'],
  ['//', 'Path must not end with / character'],
  ['/a//b', 'Invalid path string "/a//b" caused by empty node name specified @3'],
  ['/.', 'Invalid path string "/." caused by relative paths not allowed @1'],
  ['/..', 'Invalid path string "/.." caused by relative paths not allowed @2'],
  ['/...', undefined],
  ['/.a', undefined],
  ['/..a', undefined],
  ['/a.', undefined],
  ['/a..', undefined],
  ['/a/.b/c', undefined],
  ['/a/.', 'Invalid path string "/a/." caused by relative paths not allowed @3'],
  ['/a/..', 'Invalid path string "/a/.." caused by relative paths not allowed @4'],
  ['/a/../b', 'Invalid path string "/a/../b" caused by relative paths not allowed @4'],
  ['/./a', 'Invalid path string "/./a" caused by relative paths not allowed @1'],
  ['/a\u0000b', 'Invalid path string "/a\u0000b" caused by null character not allowed @2'],
  ['/a\u0001', 'Invalid path string "/a\u0001" caused by invalid character @2'],
  ['/a\u001f', 'Invalid path string "/a\u001f" caused by invalid character @2'],
  ['/a~', undefined],
  ['/a\u007f', 'Invalid path string "/a\u007f" caused by invalid character @2'],
  ['/a\u009f', 'Invalid path string "/a\u009f" caused by invalid character @2'],
  ['/a\u00a0', undefined],
  ['/a\ud7ff', undefined],
  ['/a\ud800', 'Invalid path string "/a\ud800" caused by invalid character @2'],
  ['/a\uf8ff', 'Invalid path string "/a\uf8ff" caused by invalid character @2'],
  ['/a\uf900', undefined],
  ['/a\uffef', undefined],
  ['/a\ufff0', 'Invalid path string "/a\ufff0" caused by invalid character @2'],
  ['/a\uffff', 'Invalid path string "/a\uffff" caused by invalid character @2'],
  // Outside the BMP means a surrogate pair, which falls in U+D800–U+F8FF.
  ['/\u{1f600}', 'Invalid path string "/\u{1f600}" caused by invalid character @1'],
  ['/ü/日本', undefined],
];

describe('invalidPathReason', () => {
  for (const [path, expected] of VALIDATE_CASES) {
    it(`${JSON.stringify(path)} -> ${expected === undefined ? 'valid' : 'invalid'}`, () => {
      assert.equal(invalidPathReason(path), expected);
    });
  }

  it('reports the first problem only', () => {
    assert.equal(invalidPathReason('/a\u0001//'), 'Path must not end with / character');
    assert.equal(invalidPathReason('/./\u0001'), 'Invalid path string "/./\u0001" caused by relative paths not allowed @1');
  });

  it('checks a sequential create as if its suffix were appended', () => {
    // ZooKeeper's client validates path + "1" for a sequential mode.
    for (const p of ['/parent/', '/', '/a/.', '/a/..', '/a']) assert.equal(invalidPathReason(p, true), undefined, p);
    assert.equal(invalidPathReason('/parent/'), 'Path must not end with / character');
    assert.equal(invalidPathReason('//', true), 'Invalid path string "//" caused by empty node name specified @1');
    assert.equal(invalidPathReason('/./', true), 'Invalid path string "/./" caused by relative paths not allowed @1');
    assert.equal(invalidPathReason('', true), 'Path length must be > 0');
  });

  it('accepts what the fast path skips and checks what it does not', () => {
    for (let c = 0x30; c < 0x7f; c++) assert.equal(invalidPathReason(`/a${String.fromCharCode(c)}b`), undefined, String(c));
    for (const c of [0x20, 0x21, 0x2d, 0x2e, 0xa0, 0xd7ff, 0xf900]) assert.equal(invalidPathReason(`/a${String.fromCharCode(c)}`), undefined, String(c));
  });
});

describe('parentPath', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['/a/b/c', '/a/b'],
    ['/a', '/'],
    ['/', '/'],
    ['/a/', '/a'],
    ['/a//b', '/a/'],
    ['a', '/'],
  ];
  for (const [path, parent] of cases) {
    it(`${JSON.stringify(path)} -> ${JSON.stringify(parent)}`, () => {
      assert.equal(parentPath(path), parent);
    });
  }
});

describe('basename, joinPath and pathPrefixes', () => {
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

  it('round-trips parentPath and basename for valid non-root paths', () => {
    for (const p of ['/a', '/a/b', '/zookeeper/quota/x', '/.a/...']) assert.equal(joinPath(parentPath(p), basename(p)), p);
  });

  it('lists the ancestors top-down', () => {
    assert.deepEqual(pathPrefixes('/a/b/c'), ['/a', '/a/b', '/a/b/c']);
    assert.deepEqual(pathPrefixes('/a'), ['/a']);
    assert.deepEqual(pathPrefixes('/'), []);
  });
});
