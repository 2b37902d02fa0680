import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameReader } from '../../src/client/frame-reader.js';
import { ConnectionLossError } from '../../src/errors.js';

function frame(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function collect(reader: FrameReader, chunks: Buffer[]): { frames: string[]; error: Error | undefined } {
  const frames: string[] = [];
  let error: Error | undefined;
  for (const c of chunks) {
    error = reader.push(c, (f) => {
      frames.push(f.toString());
      return true;
    });
    if (error) break;
  }
  return { frames, error };
}

describe('FrameReader', () => {
  const stream = Buffer.concat([frame(Buffer.from('hello')), frame(Buffer.alloc(0)), frame(Buffer.from('x'.repeat(300)))]);

  it('cuts frames from one chunk', () => {
    const { frames, error } = collect(new FrameReader(1000), [stream]);
    assert.equal(error, undefined);
    assert.deepEqual(frames, ['hello', '', 'x'.repeat(300)]);
  });

  it('gives the same frames for every way of splitting the stream', () => {
    for (let a = 0; a <= stream.length; a++) {
      for (const b of [a, Math.min(stream.length, a + 1), Math.min(stream.length, a + 3), stream.length]) {
        const chunks = [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)];
        const { frames, error } = collect(new FrameReader(1000), chunks);
        assert.equal(error, undefined);
        assert.deepEqual(frames, ['hello', '', 'x'.repeat(300)], `split at ${a}/${b}`);
      }
    }
  });

  it('byte by byte', () => {
    const chunks = [...stream].map((b) => Buffer.from([b]));
    assert.deepEqual(collect(new FrameReader(1000), chunks).frames, ['hello', '', 'x'.repeat(300)]);
  });

  it('keeps the incomplete rest', () => {
    const reader = new FrameReader(1000);
    const { frames } = collect(reader, [stream.subarray(0, 12)]);
    assert.deepEqual(frames, ['hello']);
    assert.equal(reader.pendingBytes, 3);
  });

  it('rejects a frame over the maximum, even before its body arrives', () => {
    const big = Buffer.alloc(4);
    big.writeInt32BE(1001);
    const { frames, error } = collect(new FrameReader(1000), [Buffer.concat([frame(Buffer.from('ok')), big])]);
    assert.deepEqual(frames, ['ok']);
    assert.ok(error instanceof ConnectionLossError);
  });

  it('rejects a negative length split across chunks', () => {
    const neg = Buffer.alloc(4);
    neg.writeInt32BE(-5);
    const { error } = collect(new FrameReader(1000), [neg.subarray(0, 2), neg.subarray(2)]);
    assert.ok(error instanceof ConnectionLossError);
  });

  it('stops when the callback says so', () => {
    const reader = new FrameReader(1000);
    const seen: string[] = [];
    reader.push(stream, (f) => {
      seen.push(f.toString());
      return false;
    });
    assert.deepEqual(seen, ['hello']);
  });
});
