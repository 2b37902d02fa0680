/**
 * Malformed input, fuzzed: random bytes and garbled frames thrown at a
 * running node over raw sockets while a writer adds entries on its own
 * connection. Whole frames (right length prefix, garbled header or body)
 * must each get exactly one final reply with a known status, never
 * NODE_ERROR, on a connection that stays open; random bytes may close
 * only their own connection. Afterwards every entry the writer had
 * acknowledged is read back byte for byte.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import fc from 'fast-check';
import { JuteWriter } from '../../../src/jute/writer.js';
import { connectLogNode, type LogEntry } from '../../../src/log/index.js';
import { JuteReader } from '../../../src/jute/reader.js';
import { MAX_BATCH_ENTRIES, Messages, PROTOCOL_VERSION, Status } from '../../../src/log/protocol/index.js';
import { forEachTarget } from '../../support/targets.js';
import { collect, RawConnection, removeDirs, startTestNode, tempDir } from './support.js';

after(removeDirs);

const MAX_FRAME = 4096;
/** The writer's segment: far from the 0..9 the fuzzed requests use, so no garbled request can touch it. */
const WRITER_SEGMENT = 123_456_789;
const SENTINEL_ID = 0x7ffffff0;
const KNOWN_STATUSES = new Set<number>(Object.values(Status));

const segmentId = fc.integer({ min: 0, max: 9 });
const entryId = fc.integer({ min: 0, max: 20 });
const optionalLong = fc.option(fc.integer({ min: 0, max: 2_000_000_000_000 }), { nil: undefined });

/** A valid request frame (header and body, no length prefix) of any kind. */
const validFrame: fc.Arbitrary<Buffer> = fc
  .oneof(
    fc
      .record({
        segmentId,
        entryId,
        timestamp: fc.integer({ min: 0, max: 2_000_000_000_000 }),
        lastAddConfirmed: fc.integer({ min: -1, max: 20 }),
        recovery: fc.boolean(),
        data: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
      })
      .map((body) => frameOf(Messages.AddEntry, body)),
    fc.record({ segmentId, entryId, fence: fc.boolean() }).map((body) => frameOf(Messages.ReadEntry, body)),
    fc
      .record({ segmentId, fromEntry: optionalLong, toEntry: optionalLong, fromTime: optionalLong, toTime: optionalLong, limit: fc.option(fc.nat(50), { nil: undefined }) })
      .map((body) => frameOf(Messages.ReadRange, body)),
    fc.record({ segmentId }).map((body) => frameOf(Messages.Fence, body)),
    fc.record({ segmentId }).map((body) => frameOf(Messages.ReadLastEntry, body)),
    fc.constant(frameOf(Messages.Info, {})),
    // toEntry may come before fromEntry (BAD_REQUEST) or far past anything held.
    fc
      .record({ segmentId, fromEntry: entryId, toEntry: fc.oneof(entryId, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), verify: fc.boolean() })
      .map((body) => frameOf(Messages.HeldEntries, body)),
    fc
      .record({
        segmentId,
        firstEntryId: entryId,
        lastAddConfirmed: fc.integer({ min: -1, max: 20 }),
        recovery: fc.boolean(),
        timestamp: fc.integer({ min: 0, max: 2_000_000_000_000 }),
        entries: fc.array(fc.uint8Array({ maxLength: 32 }).map((a) => Buffer.from(a)), { minLength: 1, maxLength: 8 }),
      })
      .map(({ timestamp, entries, ...body }) => frameOf(Messages.AddEntries, { ...body, entries: entries.map((data, i) => ({ timestamp: timestamp + i, data })) })),
  )
  .chain((frame) =>
    fc.record({
      requestId: fc.integer({ min: 1, max: 1_000_000 }),
      version: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer() }),
      kind: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer() }),
      flips: fc.array(fc.record({ at: fc.nat(frame.length * 8 - 1) }), { maxLength: 4 }),
      cut: fc.option(fc.nat(frame.length), { nil: undefined }),
      extra: fc.uint8Array({ maxLength: 8 }),
      oversized: fc.oneof({ weight: 19, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    }).map((m) => {
      let f = Buffer.from(frame);
      f.writeInt32BE(m.requestId, 8);
      if (m.version !== undefined) f.writeInt32BE(m.version, 0);
      if (m.kind !== undefined) f.writeInt32BE(m.kind, 4);
      // Bit flips spare the request id, so every frame's reply can be told apart.
      for (const { at } of m.flips) if (at < 64 || at >= 96) f[at >> 3]! ^= 1 << (at & 7);
      if (m.cut !== undefined) f = f.subarray(0, Math.max(m.cut, 12));
      f = Buffer.concat([f, m.extra, m.oversized ? Buffer.alloc(MAX_FRAME) : Buffer.alloc(0)]);
      return f;
    }),
  );

function frameOf<T>(message: { kind: number; request: { write(w: JuteWriter, v: T): void } }, body: T): Buffer {
  const w = new JuteWriter(64);
  w.int(PROTOCOL_VERSION).int(message.kind).int(1).int(0);
  message.request.write(w, body);
  return w.take();
}

function prefixed(frame: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(frame.length);
  return Buffer.concat([length, frame]);
}

/** Splits bytes into chunks at the given cut points, so frames straddle socket writes. */
function chunks(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) out.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  return out;
}

/** A reply is final unless it is a READ_RANGE part (OK, `done` byte 0). */
function isFinal(kind: number, status: number, body: Buffer): boolean {
  return !(kind === Messages.ReadRange.kind && status === Status.OK && body[body.length - 1] === 0);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An ADD_ENTRIES frame (prefix included) with request id `id`, its body passed through `tamper` first. */
function batchFrame(id: number, body: Parameters<typeof Messages.AddEntries.request.write>[1], tamper: (b: Buffer) => Buffer = (b) => b): Buffer {
  const f = tamper(frameOf(Messages.AddEntries, body));
  f.writeInt32BE(id, 8);
  return prefixed(f);
}

const batchOf = (segment: number, first: number, n: number, size = 8) => ({
  recovery: false,
  segmentId: segment,
  firstEntryId: first,
  lastAddConfirmed: first - 1,
  entries: Array.from({ length: n }, (_, i) => ({ timestamp: 1_700_000_000_000 + first + i, data: Buffer.alloc(size, i) })),
});

/** Offset in an ADD_ENTRIES frame (no prefix) of `count`: header 16, recovery 1, three longs. */
const COUNT_AT = 16 + 1 + 24;

forEachTarget('log node fuzz', (target) => {
  it('malformed and oversized ADD_ENTRIES batches: a typed reply each, nothing of a refused batch stored, the connection kept', async () => {
    await using node = await startTestNode(target().connectionString, await tempDir(), { maxFrameSize: MAX_FRAME });
    await using client = await connectLogNode(node.address, { timeout: 10_000 });
    const raw = await RawConnection.connect(node.port);
    try {
      const cases: Array<[what: string, frame: Buffer, status: number, mentions: RegExp]> = [
        ['count far past the bytes sent', batchFrame(1, batchOf(1, 0, 2), (b) => (b.writeInt32BE(1000, COUNT_AT), b)), Status.BAD_REQUEST, /entries cannot fit/],
        ['count 0', batchFrame(2, batchOf(1, 0, 1), (b) => (b.writeInt32BE(0, COUNT_AT), b.subarray(0, COUNT_AT + 4))), Status.BAD_REQUEST, /count 0 out of range/],
        ['count past MAX_BATCH_ENTRIES', batchFrame(3, batchOf(1, 0, 1), (b) => (b.writeInt32BE(MAX_BATCH_ENTRIES + 1, COUNT_AT), b)), Status.BAD_REQUEST, /more than the 65536/],
        ['a flipped bit in entry 2 (CRC32C)', batchFrame(4, batchOf(2, 0, 4), (b) => ((b[COUNT_AT + 4 + 2 * 24 + 12] as number) ^= 4, b)), Status.BAD_REQUEST, /entry 2 \(batch index 2\): CRC32C/],
        ['truncated in the last entry', batchFrame(5, batchOf(3, 0, 3), (b) => b.subarray(0, b.length - 6)), Status.BAD_REQUEST, /ADD_ENTRIES/],
        ['larger than maxFrameSize', batchFrame(6, batchOf(4, 0, 40, 200)), Status.TOO_LARGE, /larger than the node's maxFrameSize/],
        ['an entry whose timestamp goes back', batchFrame(7, { ...batchOf(5, 0, 3), entries: batchOf(5, 0, 3).entries.map((e, i) => (i === 2 ? { ...e, timestamp: 1 } : e)) }), Status.BAD_REQUEST, /entry 2: timestamp 1 is before entry 1/],
      ];
      for (const [what, frame, status, mentions] of cases) {
        const before = raw.replies.length;
        raw.send(frame);
        const replies = await raw.waitReplies(before + 1);
        assert.equal(raw.closed, false, `${what}: connection kept`);
        const reply = replies[before]!;
        assert.equal(reply.header.kind, Messages.AddEntries.kind, what);
        assert.equal(reply.header.status, status, `${what}: ${reply.message}`);
        assert.match(reply.message ?? '', mentions, what);
      }
      // A refused batch left nothing behind, not even the good entries before a bad timestamp (checked before anything is queued).
      for (const segment of [1, 2, 3, 4, 5]) await assert.rejects(client.readLastEntry(segment), { code: 'NO_ENTRY' });
      // The same connection still takes a good batch, and the client's method sends the same thing.
      raw.send(batchFrame(8, batchOf(6, 0, 5)));
      const ok = (await raw.waitReplies(cases.length + 1))[cases.length]!;
      assert.deepEqual([ok.header.requestId, ok.header.status], [8, Status.OK]);
      assert.deepEqual(Messages.AddEntries.reply.read(new JuteReader(ok.body)), { segmentId: 6, firstEntryId: 0, count: 5 });
      const stored = await collect(client.readRange(6));
      assert.deepEqual(stored.map((e) => [e.entryId, e.lastAddConfirmed, e.data[0]]), [0, 1, 2, 3, 4].map((i) => [i, -1, i]));
      await client.addEntries({ segmentId: 7, firstEntryId: 3, lastAddConfirmed: 2, entries: batchOf(7, 3, 3).entries });
      assert.deepEqual((await collect(client.readRange(7))).map((e) => e.entryId), [3, 4, 5]);
      await assert.rejects(client.addEntries({ segmentId: 7, firstEntryId: 0, lastAddConfirmed: -1, entries: [] }), { code: 'BADARGUMENTS' });
    } finally {
      raw.close();
    }
  });

  it('garbled frames get one typed reply each on a kept connection; random bytes close at most their own connection; the writer loses nothing', async () => {
    await using node = await startTestNode(target().connectionString, await tempDir(), { maxFrameSize: MAX_FRAME });
    await using writer = await connectLogNode(node.address, { timeout: 10_000 });
    await using other = await connectLogNode(node.address, { timeout: 10_000 });

    // The writer adds in the background for the whole run, recording its acknowledgements.
    const acked: LogEntry[] = [];
    const writerErrors: unknown[] = [];
    let stop = false;
    const writing = (async () => {
      for (let i = 0; !stop; i++) {
        const e = { segmentId: WRITER_SEGMENT, entryId: i, timestamp: 1_700_000_000_000 + i, lastAddConfirmed: i - 1, data: Buffer.from(`writer ${i}`) };
        try {
          if (i % 2 === 0) {
            await writer.addEntry(e);
            acked.push(e);
          } else {
            // Every other turn a batch of three, all with the same last-add-confirmed.
            const batch = [0, 1, 2].map((k) => ({ ...e, entryId: i + k, timestamp: e.timestamp + k, data: Buffer.from(`writer ${i + k}`) }));
            await writer.addEntries({ segmentId: WRITER_SEGMENT, firstEntryId: i, lastAddConfirmed: e.lastAddConfirmed, entries: batch });
            acked.push(...batch);
            i += 2;
          }
        } catch (error) {
          writerErrors.push(error);
          return;
        }
      }
    })();

    let framedRuns = 0;
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 3, arbitrary: fc.record({ framed: fc.constant(true as const), frames: fc.array(validFrame, { minLength: 1, maxLength: 6 }), cuts: fc.array(fc.nat(), { maxLength: 5 }) }) },
          { weight: 1, arbitrary: fc.record({ framed: fc.constant(false as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }), cuts: fc.array(fc.nat(), { maxLength: 5 }) }) },
        ),
        async (input) => {
          const raw = await RawConnection.connect(node.port);
          try {
            if (input.framed) {
              framedRuns++;
              const sentinel = Buffer.from(frameOf(Messages.Info, {}));
              sentinel.writeInt32BE(SENTINEL_ID, 8);
              const bytes = Buffer.concat([...input.frames.map(prefixed), prefixed(sentinel)]);
              for (const c of chunks(bytes, input.cuts)) raw.send(c);
              const want = input.frames.length + 1;
              const finals = () => raw.replies.filter((r) => isFinal(r.header.kind, r.header.status, r.body)).length;
              const deadline = Date.now() + 5000;
              while (finals() < want && !raw.closed && Date.now() < deadline) await raw.waitReplies(raw.replies.length + 1, 100);
              assert.equal(raw.closed, false, 'a whole frame never closes the connection');
              assert.equal(finals(), want, `one final reply per frame: ${JSON.stringify(raw.replies.map((r) => [r.header, r.message]))}`);
              for (const r of raw.replies) {
                assert.ok(KNOWN_STATUSES.has(r.header.status), `status ${r.header.status}`);
                assert.notEqual(r.header.status, Status.NODE_ERROR, `the node failed unexpectedly: ${r.message}`);
                if (r.header.status !== Status.OK) assert.ok(r.message !== undefined && r.message.length > 0);
                seen.add(r.header.status);
              }
              assert.equal(raw.replies.find((r) => r.header.requestId === SENTINEL_ID)?.header.status, Status.OK);
            } else {
              for (const c of chunks(Buffer.from(input.bytes), input.cuts)) raw.send(c);
              await sleep(2);
            }
            // Whatever this connection did, the others are untouched.
            assert.equal(writer.connected && other.connected, true, 'other connections kept');
            assert.equal((await other.info()).instanceId, node.instanceId);
          } finally {
            raw.close();
          }
        },
      ),
      { numRuns: 600 },
    );

    stop = true;
    await writing;
    assert.deepEqual(writerErrors, []);
    assert.ok(framedRuns > 0);
    // The fuzzer reached every way a frame can fail, and some garbled requests still made sense.
    for (const status of [Status.OK, Status.BAD_REQUEST, Status.TOO_LARGE, Status.UNSUPPORTED_VERSION, Status.NO_ENTRY]) {
      assert.ok(seen.has(status), `status ${status} seen (${[...seen].join(', ')})`);
    }
    assert.ok(acked.length > 0);
    await using check = await connectLogNode(node.address);
    assert.deepEqual(await collect(check.readRange(WRITER_SEGMENT)), acked, 'every acknowledged entry, byte for byte');
  });
}, { concurrency: false });
