/**
 * The serpent codec against real Python serpent (Debian's python3-serpent,
 * as Pyro4 4.82 uses it): bytes Python produces decode to the documented
 * values, bytes Node produces are read back by Python's serpent.loads to the
 * same values, round trips, and a fuzzed decoder that only ever throws
 * ProtocolError, within limits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../../src/rpc/errors.js';
import { PyComplex, decodeSerpent, encodeSerpent, isPyTuple, pyTuple } from '../../../src/rpc/pyro/serpent.js';
import { requirePyro4, runPython } from './support.js';

/** Python expressions, and the value each must decode to. */
const CASES: [string, unknown][] = [
  ['None', null],
  ['True', true],
  ['False', false],
  ['0', 0],
  ['-5', -5],
  ['2**70', 2n ** 70n],
  ['-2**70', -(2n ** 70n)],
  ['2**53-1', Number.MAX_SAFE_INTEGER],
  ['1.5', 1.5],
  ['0.1', 0.1],
  ['1e300', 1e300],
  ['-1e-300', -1e-300],
  ['-0.0', -0],
  ["float('inf')", Infinity],
  ["float('-inf')", -Infinity],
  ["float('nan')", NaN],
  ['"héllo\\n\\t\'\\"\\\\ \\x00 \\x7f \\u2028 \\U0001F600 \\r"', 'héllo\n\t\'"\\ \u0000 \u007f \u2028 \u{1F600} \r'],
  ["b'ab\\x00\\xff'", Buffer.from([0x61, 0x62, 0, 0xff])],
  ['bytearray(b"xy")', Buffer.from('xy')],
  ['()', pyTuple()],
  ['(1,)', pyTuple(1)],
  ["(1,'a',None)", pyTuple(1, 'a', null)],
  ['[]', []],
  ['[1,[2,[3]]]', [1, [2, [3]]]],
  ['{}', {}],
  ["{'a':1,'b':[True]}", { a: 1, b: [true] }],
  ["{'a':1, 2:'b', (1,2):3}", new Map<unknown, unknown>([['a', 1], [2, 'b'], [pyTuple(1, 2), 3]])],
  ['{1,2}', new Set([1, 2])],
  ['frozenset([3])', new Set([3])],
  ['set()', pyTuple()],
  ['3+4j', new PyComplex(3, 4)],
  ['complex(1.5,-2)', new PyComplex(1.5, -2)],
  ['datetime.datetime(2020,1,2,3,4,5,6)', '2020-01-02T03:04:05.000006'],
  ["decimal.Decimal('1.10')", '1.10'],
  ['uuid.UUID(int=5)', '00000000-0000-0000-0000-000000000005'],
  ["ValueError('bad', 3)", { __class__: 'builtins.ValueError', __exception__: true, args: pyTuple('bad', 3), attributes: {} }],
  ['C()', { a: 1, b: 'x', __class__: '__main__.C' }],
  ["{'x': {1.5: None}}", { x: new Map([[1.5, null]]) }],
  ["{'__proto__': 1}", JSON.parse('{"__proto__": 1}')],
];

const PRELUDE = `
import serpent, sys, datetime, decimal, uuid, json
class C:
    def __init__(s): s.a = 1; s.b = 'x'
`;

test('serpent: what Python serpent produces decodes to the documented values', async (t) => {
  if (!requirePyro4(t)) return;
  const script = `${PRELUDE}
exprs = json.loads(sys.argv[1])
for e in exprs:
    print(serpent.dumps(eval(e), module_in_classname=True).hex())
`;
  const out = (await runPython(script, [JSON.stringify(CASES.map(([e]) => e))])).trim().split('\n');
  assert.equal(out.length, CASES.length);
  CASES.forEach(([expr, expected], i) => {
    const got = decodeSerpent(Buffer.from(out[i]!, 'hex'));
    assert.deepStrictEqual(got, expected, `decoding ${expr}`);
    if (isPyTuple(expected)) assert.ok(isPyTuple(got), `${expr} decodes as a tuple`);
  });
});

test('serpent: Python serpent.loads reads what Node encodes', async (t) => {
  if (!requirePyro4(t)) return;
  const values: [unknown, string][] = [
    [null, 'None'],
    [undefined, 'None'],
    [true, 'True'],
    [42, '42'],
    [-(2n ** 80n), '-2**80'],
    [0.1, '0.1'],
    [-0, '-0.0'],
    [5e-7, '5e-07'],
    [2.5, '2.5'],
    [Infinity, "float('inf')"],
    [-Infinity, "float('-inf')"],
    ['quote \' back\\slash \n nl \u0001 \u0085 \u2028 \u{1F600} é', "'quote \\' back\\\\slash \\n nl \\x01 \\x85 \\u2028 \\U0001F600 é'"],
    ['\ud800 lone', "'\\ud800 lone'"],
    [Buffer.from([0, 1, 255]), "{'data': 'AAH/', 'encoding': 'base64'}"],
    [[1, [2]], '[1,[2]]'],
    [pyTuple(1), '(1,)'],
    [pyTuple(), '()'],
    [{ a: 1, 'b c': null }, "{'a':1,'b c':None}"],
    [new Map<unknown, unknown>([[1, 'x'], [[1, 2], 'tuple key']]), "{1:'x',(1,2):'tuple key'}"],
    [new Set(['a']), "{'a'}"],
    [new Set(), '()'],
    [new PyComplex(1, -2), 'complex(1,-2)'],
    [new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6)), "'2020-01-02T03:04:05.006Z'"],
    [new TypeError('boom'), "{'__class__':'builtins.TypeError','__exception__':True,'args':('boom',),'attributes':{}}"],
  ];
  const script = `${PRELUDE}
import math
ok = []
for line in sys.stdin.read().split():
    enc, expected = line.split(':')
    got = serpent.loads(bytes.fromhex(enc))
    exp = eval(bytes.fromhex(expected).decode())
    same = got == exp or (isinstance(got, float) and isinstance(exp, float) and math.copysign(1, got) == math.copysign(1, exp) and got == exp)
    if isinstance(got, float) and got == 0: same = math.copysign(1, got) == math.copysign(1, exp)
    ok.append('ok' if same and type(got) == type(exp) else 'BAD %r != %r' % (got, exp))
print('\\n'.join(ok))
`;
  const input = values.map(([v, e]) => `${encodeSerpent(v).toString('hex')}:${Buffer.from(e).toString('hex')}`).join('\n');
  const out = await runPython(script, [], input);
  const lines = out.trim().split('\n');
  assert.equal(lines.length, values.length, out);
  lines.forEach((line, i) => assert.equal(line, 'ok', `value ${i} (${values[i]![1]})`));
});

test('serpent: round trips', () => {
  const value = fc.letrec((tie) => ({
    leaf: fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }).filter((n) => n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)),
      fc.double({ noNaN: true }),
      fc.string({ unit: 'binary-ascii' }), fc.string({ unit: 'grapheme', maxLength: 8 }),
      fc.uint8Array().map((b) => Buffer.from(b)),
    ),
    node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('node'), { maxKeys: 4, noNullPrototype: true })),
  })).node;
  fc.assert(
    fc.property(value, (v) => {
      assert.deepStrictEqual(decodeSerpent(encodeSerpent(v)), v);
    }),
    { numRuns: 300 },
  );
  const tuple = decodeSerpent(encodeSerpent(pyTuple(1, pyTuple(2))));
  assert.ok(isPyTuple(tuple) && isPyTuple((tuple as unknown[])[1]));
});

test('serpent: bad input is a ProtocolError, never an evaluation or a hang', () => {
  const bad = [
    '',
    '__import__("os").system("true")',
    'open("/etc/passwd")',
    '1 + 2',
    '[1, 2',
    "'unterminated",
    '{[1]: 2}',
    '{1: 2, [3]}',
    '--1',
    '0777',
    '1__0',
    "'\\N{BULLET}'",
    "b'é'",
    "'a' b'b'",
    '(1 2)',
    '[' .repeat(100) + ']'.repeat(100),
    '1\u0000',
  ];
  for (const text of bad) assert.throws(() => decodeSerpent(Buffer.from(text)), ProtocolError, text);
  assert.throws(() => decodeSerpent(Buffer.from([0xff, 0xfe])), ProtocolError);
  assert.throws(() => decodeSerpent(Buffer.alloc(100, 0x31), { maxSize: 10 }), ProtocolError);
  assert.throws(() => encodeSerpent(() => 1), ProtocolError);
  const cyclic: unknown[] = [];
  cyclic.push(cyclic);
  assert.throws(() => encodeSerpent(cyclic), ProtocolError);
  // Deep nesting right at the limit is fine; one more is refused.
  assert.deepStrictEqual(decodeSerpent(Buffer.from('['.repeat(64) + ']'.repeat(64))) instanceof Array, true);
  assert.throws(() => decodeSerpent(Buffer.from('['.repeat(65) + ']'.repeat(65))), ProtocolError);

  const alphabet = fc.constantFrom(...'()[]{},:\'"\\bBrRuUjJeE0123456789.+-_xXoO #\nNoneTrueFalse\u00e9\u0000'.split(''));
  const text = fc.oneof(fc.string({ unit: alphabet, maxLength: 60 }), fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString('latin1')));
  fc.assert(
    fc.property(text, (s) => {
      const started = Date.now();
      try {
        decodeSerpent(Buffer.from(s, 'utf8'));
      } catch (error) {
        assert.ok(error instanceof ProtocolError, `${JSON.stringify(s)}: ${String(error)}`);
      }
      assert.ok(Date.now() - started < 1000, 'decoding returned promptly');
    }),
    { numRuns: 3000 },
  );
});
