/**
 * Pyro4's json serializer (json.ts): what Pyro4's JsonSerializer writes
 * decodes to the documented values, Python reads what Node writes, bad
 * input is a ProtocolError, and a stock Python proxy with
 * `SERIALIZER = 'json'` calls a Node object (the daemon answers each
 * message in its own serializer).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolError } from '../../../src/rpc/index.js';
import { decodeJson, encodeJson } from '../../../src/rpc/pyro/json.js';
import { PyComplex, servePyro4 } from '../../../src/rpc/pyro/index.js';
import { connect, forEachTarget } from '../../support/targets.js';
import { requirePyro4, runPython } from './support.js';

test('json: Pyro4 JsonSerializer output decodes; Python reads what Node encodes', async (t) => {
  if (!requirePyro4(t)) return;
  const dumped = await runPython(`
import sys, Pyro4.util
s = Pyro4.util.JsonSerializer()
sys.stdout.buffer.write(s.dumps([None, True, 2**70, -1.5, float('nan'), float('inf'), 'é\\n"', (1, 2), {'k': {'__proto__': 1}}]))
`);
  const v = decodeJson(Buffer.from(dumped)) as unknown[];
  assert.deepEqual(v.slice(0, 4), [null, true, 2n ** 70n, -1.5]);
  assert.ok(Number.isNaN(v[4]));
  assert.equal(v[5], Infinity);
  assert.deepEqual(v.slice(6, 8), ['é\n"', [1, 2]]);
  assert.equal(Object.getPrototypeOf((v[8] as Record<string, Record<string, unknown>>).k), Object.prototype, '__proto__ is a plain key');
  const encoded = encodeJson([null, 2n ** 70n, 1.5, NaN, -Infinity, 'x"y', new Set([1]), new Map([[1, 'a']]), Buffer.from('by'), undefined]);
  const read = await runPython(`
import sys, json
print(repr(json.loads(sys.stdin.read())))
`, [], encoded.toString('utf8'));
  assert.equal(read.trim(), "[None, 1180591620717411303424, 1.5, nan, -inf, 'x\"y', [1], {'1': 'a'}, {'data': 'Ynk=', 'encoding': 'base64'}, None]");
});

test('json: bad input is a ProtocolError', () => {
  for (const bad of ['', '[1,', '{"a" 1}', '[1] 2', 'nul', '"unterminated', '{1: 2}', '[' .repeat(100) + ']'.repeat(100), '\u0000']) {
    assert.throws(() => decodeJson(Buffer.from(bad)), ProtocolError, JSON.stringify(bad.slice(0, 20)));
  }
  assert.throws(() => decodeJson(Buffer.from([0xff, 0xfe])), ProtocolError);
  assert.throws(() => decodeJson(Buffer.alloc(100, 0x20), { maxSize: 10 }), ProtocolError);
  assert.throws(() => encodeJson(new PyComplex(1, 2)), ProtocolError);
});

forEachTarget('pyro4 json serializer', (target) => {
  test('a Python proxy with SERIALIZER = json calls a Node object', async (t) => {
    if (!requirePyro4(t)) return;
    const client = await connect(target());
    await using served = await servePyro4(client, `json-${process.pid}`, { add: (a: number | bigint, b: number | bigint) => BigInt(a) + BigInt(b), fail: () => { throw new RangeError('bad'); }, async *upTo(n: number) { for (let i = 0; i < n; i++) yield i; } }, { expose: ['add', 'fail', 'upTo'], timeout: 20000 });
    const out = await runPython(
      `
import sys, Pyro4
Pyro4.config.SERIALIZER = 'json'
p = Pyro4.Proxy(sys.argv[1])
try:
    p.fail()
except ValueError as e:
    failed = str(e)
print([p.add(2, 2**60), failed, list(p.upTo(3))])
`,
      [served.uri],
    );
    assert.equal(out.trim(), `[${2n + 2n ** 60n}, 'bad', [0, 1, 2]]`);
  });
}, { targets: ['herd'] });
