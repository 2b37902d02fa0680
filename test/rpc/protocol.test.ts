/**
 * The herd/1 codec and framing, without a server: messages round-trip,
 * any byte string either decodes to a message or is a ProtocolError (never
 * another exception, never a class built from the wire), limits hold.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { ProtocolError } from '../../src/rpc/index.js';
import { HerdCodec } from '../../src/rpc/codec.js';
import { FrameReader, frame } from '../../src/rpc/frames.js';
import type { Message } from '../../src/rpc/protocol.js';

const codec = new HerdCodec();

/**
 * Values the codec promises to carry. Not -0: MessagePack has no integer
 * -0 and msgpackr writes it as 0 (docs/rpc.md says so; asserted below).
 */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true }).filter((d) => !Object.is(d, -0)),
    fc.boolean(),
    fc.constant(null),
    fc.bigInt(),
    fc.date({ noInvalidDate: true }),
    fc.uint8Array().map((a) => Buffer.from(a)),
    fc.array(tie('any'), { maxLength: 4 }),
    fc.dictionary(fc.string().filter((k) => k !== '__proto__'), tie('any'), { maxKeys: 4, noNullPrototype: true }),
    fc.array(fc.tuple(fc.oneof(fc.string(), fc.integer()), tie('any')), { maxLength: 3 }).map((e) => new Map(e)),
    fc.uniqueArray(fc.oneof(fc.string(), fc.integer()), { maxLength: 4 }).map((e) => new Set(e)),
  ),
})).any;

/** Records decode as plain objects: generate only those (a null-prototype object comes back plain). */
const plain = { noNullPrototype: true } as const;

const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ kind: fc.constant('hello' as const), version: fc.nat(), identifier: fc.string() }, plain),
  fc.record({
    kind: fc.constant('call' as const),
    id: fc.nat(),
    target: fc.string(),
    method: fc.string(),
    args: fc.array(value, { maxLength: 3 }),
    timeout: fc.nat(),
  }, plain),
  fc.record({ kind: fc.constant('result' as const), id: fc.nat(), value }, plain),
  fc.record({ kind: fc.constant('cancel' as const), id: fc.nat() }, plain),
  fc.record({ kind: fc.constant('oneway' as const), target: fc.string(), method: fc.string(), args: fc.array(value, { maxLength: 3 }) }, plain),
  fc.record({ kind: fc.constant('close' as const), code: fc.string(), message: fc.string() }, plain),
);

describe('rpc protocol', () => {
  test('every message round-trips through encode, framing in any chunks, and decode', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 8 }), (messages, cuts) => {
        const bytes = Buffer.concat(messages.map((m) => frame(codec.encode(m))));
        const reader = new FrameReader();
        const payloads: Buffer[] = [];
        let at = 0;
        for (const cut of cuts) {
          payloads.push(...reader.push(bytes.subarray(at, Math.min(bytes.length, at + cut))));
          at = Math.min(bytes.length, at + cut);
        }
        payloads.push(...reader.push(bytes.subarray(at)));
        assert.deepEqual(
          payloads.map((p) => codec.decode(p)),
          messages,
        );
      }),
      { numRuns: 300 },
    );
  });

  test('-0 arrives as 0 (the one number that does not round-trip)', () => {
    const back = codec.decode(codec.encode({ kind: 'result', id: 1, value: -0 })) as { value: number };
    assert.ok(Object.is(back.value, 0));
  });

  test('any bytes decode to a message or throw ProtocolError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          codec.decode(Buffer.from(bytes));
        } catch (error) {
          assert.ok(error instanceof ProtocolError, String(error));
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('a frame announcing more than maxFrameSize is refused before it is buffered', () => {
    const reader = new FrameReader({ maxFrameSize: 1000 });
    const head = Buffer.alloc(4);
    head.writeUInt32BE(1001);
    assert.throws(() => reader.push(head), ProtocolError);
    const ok = new FrameReader({ maxFrameSize: 1000 });
    assert.deepEqual(ok.push(frame(Buffer.alloc(1000, 0xc0))).length, 1);
  });

  test('nesting deeper than maxDepth is refused, however deep (no stack overflow escapes)', () => {
    const packr = new Packr({ useRecords: true });
    let nested: unknown = 1;
    for (let i = 0; i < 10; i++) nested = [nested];
    const shallow = new HerdCodec({ maxDepth: 8 });
    assert.throws(() => shallow.decode(packr.pack([2, 1, nested])), /nested deeper than 8/);
    assert.equal((new HerdCodec({ maxDepth: 20 }).decode(packr.pack([2, 1, nested])) as { kind: string }).kind, 'result');
    const deep = Buffer.alloc(1 << 20, 0x91);
    deep[deep.length - 1] = 0xc0;
    assert.throws(() => codec.decode(deep), ProtocolError);
    // The decoder is still sound afterwards.
    assert.deepEqual(codec.decode(codec.encode({ kind: 'cancel', id: 3 })), { kind: 'cancel', id: 3 });
  });

  test('the wire builds no classes and no prototypes: error names, __proto__ keys', () => {
    // msgpackr's error extension (0x65) with a global function's name: only the built-in Error types exist.
    const evil = new Packr({ moreTypes: true });
    const asError = evil.pack([2, 1, Object.assign(new Error('x'), { name: 'Function' })]);
    const decoded = codec.decode(asError) as { kind: 'result'; value: unknown };
    assert.ok(decoded.value instanceof Error);
    assert.equal(typeof decoded.value, 'object');
    const proto = new Packr({ useRecords: false }).pack([2, 1, JSON.parse('{"__proto__": {"polluted": true}}')]);
    const result = codec.decode(proto) as { kind: 'result'; value: Record<string, unknown> };
    assert.equal(Object.getPrototypeOf(result.value), Map.prototype, 'a plain MessagePack map is a Map, never an object with a prototype set');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('messages of the wrong shape are ProtocolErrors', () => {
    const packr = new Packr({ useRecords: true });
    for (const bad of [[], ['x'], [99], [1, -1, 't', 'm', [], 5], [1, 1, 't', 'm', 'args', 5], [1, 1, 't', 'm', [], -5], [0, 'other', 1], [2, 1.5, 'v']]) {
      assert.throws(() => codec.decode(packr.pack(bad)), ProtocolError, JSON.stringify(bad));
    }
    assert.throws(() => codec.decode(packr.pack({ kind: 1 })), ProtocolError);
  });
});
