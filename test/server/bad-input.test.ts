/**
 * Bad input against Herd's server (in this process): garbage frames,
 * negative and oversized lengths, a truncated ConnectRequest, an unknown
 * opcode, an undecodable body, a request header cut short, and thousands of
 * random frames. Each must close only the offending connection and be
 * logged, while a witness session connected all along keeps working (a
 * create/getData round trip after every case). Uncaught exceptions and
 * unhandled rejections are hooked: the server must never throw.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer, type ServerHandle } from '../../src/server/server.js';
import type { Logger } from '../../src/server/logger.js';
import { JuteWriter } from '../../src/jute/writer.js';
import { ConnectRequestCodec } from '../../src/jute/records/connect.js';
import { OpCode } from '../../src/jute/op-codes.js';
import type { ACL } from '../../src/jute/records/acl.js';
import { RawSession } from '../support/raw-session.js';
import { seededRandom } from '../support/random.js';

const OPEN: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string | undefined;
}

const logs: LogLine[] = [];
const logger: Logger = {
  debug: (obj, msg) => void logs.push({ level: 'debug', obj, msg }),
  info: (obj, msg) => void logs.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => void logs.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => void logs.push({ level: 'error', obj, msg }),
};

const escaped: unknown[] = [];
const onEscape = (err: unknown): void => void escaped.push(err);

function frame(body: Uint8Array): Buffer {
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(body.length, 0);
  b.set(body, 4);
  return b;
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v, 0);
  return b;
}

function connectRequest(): Buffer {
  const w = new JuteWriter();
  ConnectRequestCodec.write(w, { protocolVersion: 0, lastZxidSeen: 0n, timeOut: 30000, sessionId: 0n, passwd: Buffer.alloc(16), readOnly: false });
  return w.take();
}

async function closedWithin(s: RawSession, ms = 3000): Promise<boolean> {
  return Promise.race([s.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

describe('bad input: each fault closes only its connection', () => {
  let server: ServerHandle;
  let witness: RawSession;
  let round = 0;

  /** The witness session still works: a create and a getData of what it wrote. */
  async function witnessWorks(): Promise<void> {
    const path = `/w${round++}`;
    const created = await witness.send('create', { path, data: Buffer.from(path), acl: OPEN, flags: 0 });
    assert.equal(created.header.err, 0, `create ${path}`);
    assert.deepEqual(created.body, { path });
    const read = await witness.send('getData', { path, watch: false });
    assert.equal(read.header.err, 0);
    assert.equal(read.body?.data?.toString(), path);
    assert.equal(witness.isClosed, false);
  }

  /** Sends bytes on a fresh socket (optionally after a handshake) and expects the server to close it, with a log line. */
  async function expectClosed(bytes: Buffer, options: { handshake?: boolean; logged?: boolean } = {}): Promise<RawSession> {
    const s = await RawSession.open(server.connectionString);
    if (options.handshake) await s.handshake({ readOnly: false });
    const before = logs.filter((l) => l.level === 'warn').length;
    s.sendRaw(bytes);
    assert.equal(await closedWithin(s), true, 'the server closes the connection');
    if (options.logged ?? true) {
      assert.ok(logs.filter((l) => l.level === 'warn').length > before, 'the fault is logged');
    }
    await witnessWorks();
    return s;
  }

  before(async () => {
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
    server = await startServer({ host: '127.0.0.1', port: 0, logger, tickTime: 2000 });
    witness = await RawSession.connect(server.connectionString, { readOnly: false });
    await witnessWorks();
  });

  after(async () => {
    witness?.close();
    await server?.close();
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    assert.deepEqual(escaped, [], 'nothing escaped the server');
    assert.deepEqual(
      logs.filter((l) => l.level === 'error'),
      [],
      'no error-level log (a handler that threw)',
    );
  });

  it('garbage frame instead of a ConnectRequest', async () => {
    await expectClosed(frame(Buffer.from('this is not a ConnectRequest at all')));
  });

  it('negative frame length, before and after the handshake', async () => {
    await expectClosed(int32(-1));
    await expectClosed(int32(-0x7fffffff));
    await expectClosed(int32(-5), { handshake: true });
  });

  it('oversized frame length (> 1 MiB - 1), before and after the handshake', async () => {
    await expectClosed(int32(0x100000));
    await expectClosed(int32(0x7fffffff));
    await expectClosed(Buffer.concat([int32(0x100000), randomBytes(64)]), { handshake: true });
  });

  it('a frame of exactly the maximum size is read, not refused for its length', async () => {
    const s = await RawSession.connect(server.connectionString, { readOnly: false });
    // header (8) + path (4 + 4) + data (4 + n) + null ACL vector (4) + flags (4) = 0xfffff
    const dataLen = 0xfffff - 28;
    const w = new JuteWriter();
    w.int(0xfffff).int(1).int(OpCode.create).ustring('/big').buffer(Buffer.alloc(dataLen, 7)).int(-1).int(0);
    const bytes = w.take();
    assert.equal(bytes.length, 4 + 0xfffff);
    s.sendRaw(bytes);
    for (let i = 0; i < 200 && s.frames.length === 0 && !s.isClosed; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(
      s.frames.map((f) => [f.xid, f.err]),
      [[1, -114]],
      'answered (InvalidACL for the null ACL), not dropped',
    );
    assert.equal(s.isClosed, false);
    s.close();
    await witnessWorks();
  });

  it('truncated ConnectRequest', async () => {
    const full = connectRequest();
    await expectClosed(frame(full.subarray(0, 10)));
    await expectClosed(frame(full.subarray(0, 24)));
    // the length says more than is ever sent: the server waits, then the client gives up; nothing breaks
    const s = await RawSession.open(server.connectionString);
    s.sendRaw(Buffer.concat([int32(full.length), full.subarray(0, 12)]));
    await new Promise((r) => setTimeout(r, 100));
    s.close();
    await witnessWorks();
  });

  it('unknown opcode: Unimplemented, then close', async () => {
    const s = await RawSession.connect(server.connectionString, { readOnly: false });
    const reply = await s.sendType(4242);
    assert.equal(reply.header.err, -6);
    assert.equal(await closedWithin(s), true);
    await witnessWorks();
  });

  it('undecodable bodies: MarshallingError, then close', async () => {
    const bodies: Array<[number, Buffer]> = [
      // create: path length 1000 with 3 bytes
      [OpCode.create, Buffer.concat([int32(1000), Buffer.from('/ab')])],
      // getData: no watch byte
      [OpCode.getData, Buffer.concat([int32(2), Buffer.from('/a')])],
      // setData: negative buffer length -7
      [OpCode.setData, Buffer.concat([int32(2), Buffer.from('/a'), int32(-7), int32(0)])],
      // multi: an op type not allowed in multi
      [OpCode.multi, Buffer.concat([int32(OpCode.getACL), Buffer.from([0]), int32(-1), int32(2), Buffer.from('/a')])],
      // multi: no terminator
      [OpCode.multi, Buffer.concat([int32(OpCode.delete), Buffer.from([0]), int32(-1), int32(2), Buffer.from('/a'), int32(-1)])],
      // setWatches: a vector count far beyond the bytes
      [OpCode.setWatches, Buffer.concat([Buffer.alloc(8), int32(0x7ffffff0)])],
      // create with an ACL vector count beyond the bytes
      [OpCode.create, Buffer.concat([int32(2), Buffer.from('/a'), int32(-1), int32(1_000_000)])],
    ];
    for (const [type, body] of bodies) {
      const s = await RawSession.connect(server.connectionString, { readOnly: false });
      const reply = await s.sendType(type, body);
      assert.equal(reply.header.err, -5, `type ${type}: MarshallingError`);
      assert.equal(await closedWithin(s), true, `type ${type}: closed`);
      await witnessWorks();
    }
  });

  it('a frame too short for a RequestHeader', async () => {
    await expectClosed(frame(Buffer.from([0, 0, 0])), { handshake: true });
    await expectClosed(frame(Buffer.alloc(0)), { handshake: true });
  });

  it('thousands of random frames, before and after the handshake', async () => {
    const seed = Number(process.env['BAD_INPUT_SEED'] ?? Date.now() % 1_000_000);
    const rnd = seededRandom(seed);
    const int = (n: number): number => Math.floor(rnd() * n);
    const opCodes = Object.values(OpCode).filter((c) => c !== OpCode.closeSession);
    let frames = 0;
    let closedByServer = 0;
    const warnsBefore = logs.filter((l) => l.level === 'warn').length;
    for (let c = 0; c < 60; c++) {
      const s = await RawSession.open(server.connectionString);
      const handshake = c % 3 !== 0;
      if (handshake) await s.handshake({ readOnly: false });
      const chunks: Buffer[] = [];
      for (let i = 0; i < 60; i++) {
        const len = int(4) === 0 ? int(16) : int(300);
        const body = Buffer.alloc(len);
        for (let j = 0; j < len; j++) body[j] = int(256);
        if (handshake && len >= 8 && int(2) === 0) {
          // a plausible header: a real op code with random arguments
          body.writeInt32BE(i + 1, 0);
          body.writeInt32BE(opCodes[int(opCodes.length)]!, 4);
        }
        chunks.push(frame(body));
        frames++;
      }
      // sometimes one bad length in the middle of the stream
      if (int(4) === 0) chunks.splice(int(chunks.length), 0, int32(int(2) ? -int(1000) - 1 : 0x100000 + int(1000)));
      s.sendRaw(Buffer.concat(chunks));
      // let the server chew, then drop the connection if it still stands
      if (await closedWithin(s, 20)) closedByServer++;
      s.close();
      if (c % 10 === 9) await witnessWorks();
    }
    assert.ok(frames >= 3000, `sent ${frames} frames (seed ${seed})`);
    assert.ok(closedByServer > 30, `most connections were closed by the server (${closedByServer}/60, seed ${seed})`);
    assert.ok(logs.filter((l) => l.level === 'warn').length > warnsBefore, 'the faults were logged');
    await witnessWorks();
  });
});
