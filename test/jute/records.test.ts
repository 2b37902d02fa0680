/**
 * Every record and the request/response body of every op in `Ops`:
 * encode → decode is the identity and consumes every byte; then garbage
 * (random bytes, strict prefixes, mutated encodings) fed to every decoder
 * either decodes or throws JuteDecodeError.
 *
 * The garbage fuzz runs in a worker thread under a watchdog, so a decoder that
 * loops forever fails the test (naming the decoder) instead of hanging the suite.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import fc from 'fast-check';
import {
  ACLCodec,
  ConnectRequestCodec,
  ConnectResponseCodec,
  IdCodec,
  JuteDecodeError,
  JuteReader,
  MultiHeaderCodec,
  MultiRequestCodec,
  MultiResponseCodec,
  OpCode,
  Ops,
  ReplyHeaderCodec,
  RequestHeaderCodec,
  StatCodec,
  WatcherEventCodec,
  opByCode,
  type Codec,
  type MultiOp,
  type MultiResult,
  type Op,
} from '../../src/jute/index.js';
import {
  acl,
  connectRequest,
  connectResponse,
  decodeAll,
  encode,
  hex,
  id,
  multiAnyOp,
  multiHeader,
  multiResult,
  opArbitraries,
  rec,
  replyHeader,
  requestHeader,
  stat,
  watcherEvent,
} from './arbitraries.js';

// ---------------------------------------------------------------- cases

interface Sample {
  value: unknown;
  bytes: Buffer;
}

/** One decoder with an arbitrary of valid values, type-erased so every record and op fits one list. */
interface Case {
  name: string;
  /** A strict prefix may itself be valid (ConnectRequest/Response without the trailing readOnly byte). */
  prefixMayDecode: boolean;
  samples: fc.Arbitrary<Sample>;
  read(r: JuteReader): unknown;
  /** decode(bytes) then encode again. */
  reencode(bytes: Buffer): Buffer;
}

function makeCase<T>(name: string, codec: Codec<T>, arb: fc.Arbitrary<T>, prefixMayDecode = false): Case {
  return {
    name,
    prefixMayDecode,
    samples: arb.map((value) => ({ value, bytes: encode(codec, value) })),
    read: (r) => codec.read(r),
    reencode: (bytes) => encode(codec, decodeAll(codec, bytes)),
  };
}

type OpName = keyof typeof Ops;
const opNames = Object.keys(Ops) as OpName[];

function opCases(): Case[] {
  const out: Case[] = [];
  for (const name of opNames) {
    const op: Op<unknown, unknown> = Ops[name];
    const arbs: { request: fc.Arbitrary<unknown>; response: fc.Arbitrary<unknown> } | undefined = opArbitraries[name];
    if (arbs === undefined) throw new Error(`no arbitraries for op ${name}: add them to test/jute/arbitraries.ts`);
    out.push(makeCase(`${name} request`, op.request, arbs.request));
    out.push(makeCase(`${name} response`, op.response, arbs.response));
  }
  return out;
}

const recordCases: Case[] = [
  makeCase('Stat', StatCodec, stat),
  makeCase('Id', IdCodec, id),
  makeCase('ACL', ACLCodec, acl),
  makeCase('RequestHeader', RequestHeaderCodec, requestHeader),
  makeCase('ReplyHeader', ReplyHeaderCodec, replyHeader),
  makeCase('ConnectRequest', ConnectRequestCodec, connectRequest, true),
  makeCase('ConnectResponse', ConnectResponseCodec, connectResponse, true),
  makeCase('WatcherEvent', WatcherEventCodec, watcherEvent),
  makeCase('MultiHeader', MultiHeaderCodec, multiHeader),
  makeCase('MultiRequest (any op mix)', MultiRequestCodec, rec({ ops: fc.array(multiAnyOp, { maxLength: 10 }) })),
  makeCase('MultiResponse (any result mix)', MultiResponseCodec, rec({ results: fc.array(multiResult, { maxLength: 10 }) })),
];

const allCases: Case[] = [...opCases(), ...recordCases];

// ---------------------------------------------------------------- garbage (worker side)

const GARBAGE_RUNS = { random: 150, prefixes: 15, mutated: 150 };

/** Decodes or throws JuteDecodeError with a sane offset; anything else is a failure. */
function decodeOrDecodeError(c: Case, buf: Buffer, start = 0, end = buf.length): 'decoded' | 'rejected' {
  const r = new JuteReader(buf, start, end);
  try {
    c.read(r);
  } catch (e) {
    if (e instanceof JuteDecodeError) {
      if (e.offset < start || e.offset > end) throw new Error(`${c.name}: JuteDecodeError offset ${e.offset} outside [${start}, ${end}]`);
      return 'rejected';
    }
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new Error(`${c.name} threw ${what} instead of JuteDecodeError on ${hex(buf.subarray(start, end))}`);
  }
  if (r.offset < start || r.offset > end) throw new Error(`${c.name}: reader offset ${r.offset} outside [${start}, ${end}]`);
  return 'decoded';
}

const interesting = fc.oneof(fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0x01, 0x0e, 0x0f, 0x0d), fc.nat(255));
const mutation = fc.record({ at: fc.nat(), value: interesting });

interface GarbageReport {
  failures: string[];
  decodes: number;
  decoded: number;
}

function runGarbage(progress: (label: string) => void): GarbageReport {
  const failures: string[] = [];
  let decodes = 0;
  let decoded = 0;
  const tally = (outcome: 'decoded' | 'rejected'): void => {
    decodes++;
    if (outcome === 'decoded') decoded++;
  };
  const check = <Ts extends [unknown, ...unknown[]]>(label: string, prop: fc.IPropertyWithHooks<Ts>, numRuns: number): void => {
    progress(label);
    try {
      fc.assert(prop, { numRuns });
    } catch (e) {
      failures.push(`${label}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  for (const c of allCases) {
    check(
      `${c.name}: random bytes`,
      fc.property(fc.uint8Array({ maxLength: 96 }), fc.nat(8), (u, pad) => {
        // Also from a window inside a larger buffer, so reading past `end` would show.
        const buf = Buffer.concat([Buffer.alloc(pad, 0x41), u, Buffer.alloc(pad, 0x7f)]);
        tally(decodeOrDecodeError(c, Buffer.from(u)));
        tally(decodeOrDecodeError(c, buf, pad, pad + u.length));
      }),
      GARBAGE_RUNS.random,
    );
    check(
      `${c.name}: every strict prefix of a valid encoding`,
      fc.property(c.samples, ({ bytes }) => {
        for (let len = 0; len < bytes.length; len++) {
          const outcome = decodeOrDecodeError(c, bytes, 0, len);
          tally(outcome);
          if (outcome === 'decoded' && !c.prefixMayDecode) {
            throw new Error(`${c.name}: the ${len}-byte prefix of ${hex(bytes)} decoded`);
          }
        }
      }),
      GARBAGE_RUNS.prefixes,
    );
    check(
      `${c.name}: mutated valid encodings`,
      fc.property(
        c.samples,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.uint8Array({ maxLength: 8 }),
        ({ bytes }, muts, cut, tail) => {
          const buf = Buffer.concat([bytes, tail]);
          if (buf.length > 0) for (const m of muts) buf[m.at % buf.length] = m.value;
          const end = cut === undefined ? buf.length : cut % (buf.length + 1);
          tally(decodeOrDecodeError(c, buf, 0, end));
        },
      ),
      GARBAGE_RUNS.mutated,
    );
  }
  return { failures, decodes, decoded };
}

type WorkerMessage = { kind: 'progress'; label: string } | ({ kind: 'done' } & GarbageReport);

if (!isMainThread) {
  const port = parentPort;
  if (port === null) throw new Error('no parent port');
  const report = runGarbage((label) => port.postMessage({ kind: 'progress', label } satisfies WorkerMessage));
  port.postMessage({ kind: 'done', ...report } satisfies WorkerMessage);
}

/** Runs the garbage fuzz in a worker; resolves with its report, or fails naming the decoder that hung. */
function garbageInWorker(timeoutMs: number): Promise<GarbageReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url));
    let last = '(starting)';
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`garbage decoding did not finish within ${timeoutMs} ms; stuck in "${last}" (a decoder hangs?)`));
    }, timeoutMs);
    worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'progress') {
        last = m.label;
        return;
      }
      clearTimeout(timer);
      void worker.terminate();
      resolve(m);
    });
    worker.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

// ---------------------------------------------------------------- tests (main thread)

if (isMainThread) {
  test('the Ops table is consistent and every op has arbitraries', () => {
    assert.ok(opNames.length >= 30);
    const codes = new Set<number>();
    for (const name of opNames) {
      const op = Ops[name];
      assert.equal(op.name, name);
      assert.equal(op.code, OpCode[name]);
      assert.ok(!codes.has(op.code), `duplicate code ${op.code}`);
      codes.add(op.code);
      assert.equal(opByCode(op.code), op);
      assert.ok(name in opArbitraries, `no arbitraries for op ${name}`);
    }
    assert.deepEqual(Object.keys(opArbitraries).sort(), [...opNames].sort());
    assert.equal(opByCode(10), undefined);
    assert.equal(allCases.length, opNames.length * 2 + recordCases.length);
  });

  test('encode → decode is the identity and consumes exactly every byte', async (t) => {
    for (const c of allCases) {
      await t.test(c.name, () => {
        fc.assert(
          fc.property(c.samples, ({ value, bytes }) => {
            const r = new JuteReader(bytes);
            assert.deepStrictEqual(c.read(r), value);
            assert.equal(r.offset, bytes.length, 'consumed every byte');
            assert.equal(hex(c.reencode(bytes)), hex(bytes), 'decode → encode gives the same bytes');
          }),
          { numRuns: 100 },
        );
      });
    }
  });

  test('decoding from a window inside a larger buffer stops at its end', () => {
    const pad = fc.uint8Array({ maxLength: 12 }).map((u) => Buffer.from(u));
    for (const c of allCases) {
      fc.assert(
        fc.property(pad, c.samples, pad, (before, { value, bytes }, after) => {
          const buf = Buffer.concat([before, bytes, after]);
          const r = new JuteReader(buf, before.length, before.length + bytes.length);
          assert.deepStrictEqual(c.read(r), value, c.name);
          assert.equal(r.offset, r.end, c.name);
        }),
        { numRuns: 25 },
      );
    }
  });

  test('ConnectRequest/Response: the readOnly byte is optional and its absence is preserved', () => {
    fc.assert(
      fc.property(connectRequest, connectResponse, (req, res) => {
        const reqBytes = encode(ConnectRequestCodec, req);
        const resBytes = encode(ConnectResponseCodec, res);
        const reqBase = 4 + 8 + 4 + 8 + 4 + req.passwd.length;
        const resBase = 4 + 4 + 8 + 4 + res.passwd.length;
        assert.equal(reqBytes.length, reqBase + (req.readOnly === undefined ? 0 : 1));
        assert.equal(resBytes.length, resBase + (res.readOnly === undefined ? 0 : 1));
        const gotReq = decodeAll(ConnectRequestCodec, reqBytes);
        const gotRes = decodeAll(ConnectResponseCodec, resBytes);
        assert.equal('readOnly' in gotReq, req.readOnly !== undefined);
        assert.equal('readOnly' in gotRes, res.readOnly !== undefined);
        // The same frame without its last byte is the old-client form.
        if (req.readOnly !== undefined) {
          const { readOnly: _, ...old } = req;
          assert.deepStrictEqual(decodeAll(ConnectRequestCodec, reqBytes.subarray(0, reqBase)), old);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('multi: random op mixes are framed by MultiHeaders and a terminator', () => {
    const TERMINATOR = 'ffffffff' + '01' + 'ffffffff';
    fc.assert(
      fc.property(fc.array(multiAnyOp, { maxLength: 10 }), fc.array(multiResult, { maxLength: 10 }), (ops, results) => {
        const req = encode(MultiRequestCodec, { ops });
        const res = encode(MultiResponseCodec, { results });
        assert.ok(hex(req).endsWith(TERMINATOR));
        assert.ok(hex(res).endsWith(TERMINATOR));
        assert.deepStrictEqual(decodeAll(MultiRequestCodec, req), { ops });
        assert.deepStrictEqual(decodeAll(MultiResponseCodec, res), { results });
        // Walk the headers: one per op with done=false, err=-1, then the terminator.
        const r = new JuteReader(req);
        for (const op of ops) {
          assert.deepStrictEqual(MultiHeaderCodec.read(r), { type: OpCode[op.type], done: false, err: -1 });
          skipOp(r, op);
        }
        assert.deepStrictEqual(MultiHeaderCodec.read(r), { type: -1, done: true, err: -1 });
        assert.equal(r.remaining, 0);
        if (results.length > 0) {
          const first = MultiHeaderCodec.read(new JuteReader(res));
          assert.deepStrictEqual(first, expectedResultHeader(results[0]));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('multi: an empty transaction is just the terminator', () => {
    assert.equal(hex(encode(MultiRequestCodec, { ops: [] })), 'ffffffff01ffffffff');
    assert.equal(hex(encode(MultiResponseCodec, { results: [] })), 'ffffffff01ffffffff');
  });

  test('multi: op and result types the protocol does not allow are JuteDecodeErrors', () => {
    for (const type of [OpCode.ping, OpCode.multi, OpCode.exists, OpCode.auth, 0, 99, -10]) {
      const bytes = Buffer.from(hex(encode(MultiHeaderCodec, { type, done: false, err: -1 })) + '00000000' + 'ffffffff01ffffffff', 'hex');
      assert.throws(() => decodeAll(MultiRequestCodec, bytes), JuteDecodeError, `op type ${type}`);
    }
    for (const type of [OpCode.ping, OpCode.exists, OpCode.createTTL, 99]) {
      const bytes = Buffer.from(hex(encode(MultiHeaderCodec, { type, done: false, err: 0 })) + '00000000' + 'ffffffff01ffffffff', 'hex');
      assert.throws(() => decodeAll(MultiResponseCodec, bytes), JuteDecodeError, `result type ${type}`);
    }
    // No terminator: the loop must end with a JuteDecodeError, not run off the end.
    assert.throws(() => decodeAll(MultiRequestCodec, Buffer.alloc(0)), JuteDecodeError);
  });

  test('garbage: random bytes, prefixes and mutations decode or throw JuteDecodeError (worker, watchdog)', async (t) => {
    const report = await garbageInWorker(20_000);
    assert.deepEqual(report.failures, []);
    assert.ok(report.decodes > 10_000, `only ${report.decodes} decodes`);
    // Not a pass condition, but the mutations should still decode sometimes.
    assert.ok(report.decoded > 0);
    t.diagnostic(`garbage: ${report.decodes} decodes, ${report.decoded} decoded`);
  });
}

function skipOp(r: JuteReader, op: MultiOp): void {
  switch (op.type) {
    case 'create':
    case 'create2':
    case 'createContainer':
      Ops.create.request.read(r);
      return;
    case 'createTTL':
      Ops.createTTL.request.read(r);
      return;
    case 'delete':
    case 'check':
      Ops.delete.request.read(r);
      return;
    case 'setData':
      Ops.setData.request.read(r);
      return;
    case 'getData':
    case 'getChildren':
      Ops.getData.request.read(r);
      return;
  }
}

function expectedResultHeader(res: MultiResult): { type: number; done: boolean; err: number } {
  if (res.type === 'error') return { type: -1, done: false, err: res.err };
  return { type: OpCode[res.type], done: false, err: 0 };
}
