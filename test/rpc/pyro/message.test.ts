/**
 * Pyro4's message layer and daemon under bad input, over real sockets (no
 * Python needed): messages round-trip with and without HMAC; wrong magic,
 * version, checksum, oversized or truncated frames close that connection
 * only; compressed payloads are inflated within the size limit (a zlib
 * bomb is refused); fuzzed frames and serpent payloads never stop the
 * daemon from answering a well-behaved connection.
 */
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { startPyroDaemon, type PyroDaemon } from '../../../src/rpc/pyro/daemon.js';
import { MessageFlags, MessageReader, MessageType, PyroFrameError, encodeMessage, type PyroMessage } from '../../../src/rpc/pyro/message.js';
import { decodeSerpent, encodeSerpent, pyTuple } from '../../../src/rpc/pyro/serpent.js';

const serpent = 1;

function frame(type: number, data: Buffer, flags = 0, seq = 0, hmacKey?: Buffer): Buffer {
  return encodeMessage({ type, flags, seq, serializerId: serpent, data }, hmacKey);
}

const connectFrame = (object = 'thing'): Buffer => frame(MessageType.CONNECT, encodeSerpent({ handshake: 'hello', object }), MessageFlags.META_ON_CONNECT);

/** Sends `bytes`, collects the messages answered until the peer closes, `until` messages came, or `wait` ms pass. */
async function exchange(port: number, bytes: Buffer, wait = 300, until = Infinity): Promise<{ messages: PyroMessage[]; closed: boolean }> {
  const socket: Socket = tcpConnect(port, '127.0.0.1');
  const reader = new MessageReader({ maxMessageSize: 10 * 1024 * 1024 });
  const messages: PyroMessage[] = [];
  let closed = false;
  let enough = (): void => {};
  const counted = new Promise<void>((resolve) => (enough = resolve));
  socket.on('data', (b: Buffer) => {
    messages.push(...reader.push(b));
    if (messages.length >= until) enough();
  });
  socket.on('error', () => {});
  const closedNow = new Promise<void>((resolve) => socket.on('close', () => ((closed = true), resolve())));
  const done = Promise.race([closedNow, counted]);
  socket.write(bytes);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise((r) => (timer = setTimeout(r, wait)))]);
  clearTimeout(timer);
  socket.destroy();
  return { messages, closed };
}

let daemon: PyroDaemon;
before(async () => {
  daemon = await startPyroDaemon(
    new Map([['thing', { methods: ['add'], oneway: [], call: async (_m: string, args: unknown[]) => (args[0] as number) + (args[1] as number) }]]),
    { maxMessageSize: 64 * 1024 },
  );
});
after(() => daemon.close());

async function healthy(): Promise<void> {
  const call = frame(MessageType.INVOKE, encodeSerpent(pyTuple('thing', 'add', pyTuple(2, 3), {})), 0, 7);
  const { messages } = await exchange(daemon.port, Buffer.concat([connectFrame(), call, frame(MessageType.PING, Buffer.from('ping'), 0, 8)]), 20000, 3);
  assert.equal(messages[0]?.type, MessageType.CONNECTOK);
  assert.deepEqual(decodeSerpent(messages[0]!.data), { handshake: 'hello', meta: { methods: ['add'], oneway: [], attrs: [] } });
  assert.equal(messages[1]?.seq, 7);
  assert.equal(decodeSerpent(messages[1]!.data), 5);
  assert.equal(messages[2]?.type, MessageType.PING);
}

test('pyro4 messages: encode and read back, in pieces, with HMAC', () => {
  const key = Buffer.from('k');
  const bytes = Buffer.concat([frame(MessageType.INVOKE, Buffer.from('abc'), MessageFlags.ONEWAY, 65535, key), frame(MessageType.PING, Buffer.alloc(0), 0, 1, key)]);
  const reader = new MessageReader({ hmacKey: key });
  const got: PyroMessage[] = [];
  for (const b of bytes) got.push(...reader.push(Buffer.from([b])));
  assert.deepEqual(
    got.map((m) => [m.type, m.flags, m.seq, m.data.toString(), m.securityError]),
    [
      [MessageType.INVOKE, MessageFlags.ONEWAY, 65535, 'abc', undefined],
      [MessageType.PING, 0, 1, '', undefined],
    ],
  );
  assert.equal(new MessageReader({ hmacKey: Buffer.from('other') }).push(bytes)[0]?.securityError, 'message hmac mismatch');
  assert.match(new MessageReader().push(bytes)[0]?.securityError ?? '', /not symmetric/);
  const bad = Buffer.from(bytes);
  bad[22] ^= 1;
  assert.throws(() => new MessageReader({ hmacKey: key }).push(bad), PyroFrameError);
  assert.throws(() => new MessageReader().push(Buffer.from('GET / HTTP/1.1\r\n')), PyroFrameError);
  assert.throws(() => new MessageReader({ maxMessageSize: 2 }).push(frame(MessageType.PING, Buffer.from('ping'))), PyroFrameError);
});

test('pyro4 daemon: bad frames close only their own connection', async () => {
  await healthy();
  const version = connectFrame();
  version.writeUInt16BE(47, 4);
  const oversized = frame(MessageType.INVOKE, Buffer.alloc(70 * 1024));
  for (const bytes of [Buffer.from('NOPE'), version, oversized, Buffer.concat([connectFrame(), Buffer.from('PYRO\0\x30garbage-garbage-garbage!')])]) {
    const { closed } = await exchange(daemon.port, bytes, 5000);
    assert.ok(closed, `closed after ${bytes.subarray(0, 8).toString('hex')}`);
  }
  // Not a CONNECT first, an unknown serializer, a body that is no serpent: answered, then closed or refused.
  const first = await exchange(daemon.port, frame(MessageType.PING, Buffer.from('ping')), 5000);
  assert.equal(first.messages[0]?.type, MessageType.CONNECTFAIL);
  const garbage = await exchange(daemon.port, Buffer.concat([connectFrame(), frame(MessageType.INVOKE, Buffer.from('__import__("os")'), 0, 3)]), 20000, 2);
  assert.equal(garbage.messages[1]?.flags, MessageFlags.EXCEPTION);
  assert.match(String((decodeSerpent(garbage.messages[1]!.data) as Record<string, unknown>).__class__), /SerializeError/);
  const unknown = await exchange(daemon.port, Buffer.concat([connectFrame(), frame(9, Buffer.alloc(0))]), 5000);
  assert.ok(unknown.closed);
  await healthy();
});

test('pyro4 daemon: fuzzed frames never stop it from serving', async () => {
  const good = connectFrame();
  const mutated = fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
    const b = Buffer.from(good);
    b[i]! ^= x;
    return b;
  });
  const payload = fc.uint8Array({ maxLength: 200 }).map((d) => Buffer.concat([good, frame(MessageType.INVOKE, Buffer.from(d), 0, 1)]));
  const random = fc.uint8Array({ maxLength: 100 }).map((d) => Buffer.from(d));
  await fc.assert(
    fc.asyncProperty(fc.oneof(mutated, payload, random), async (bytes) => {
      await exchange(daemon.port, bytes, 50);
    }),
    { numRuns: 60 },
  );
  await healthy();
});

test('pyro4 daemon: compressed calls are inflated; one inflating past the limit is refused, the daemon goes on', async () => {
  const call = (data: Buffer, seq: number): Buffer => frame(MessageType.INVOKE, data, MessageFlags.COMPRESSED, seq);
  // Padding makes the payload compressible, as Pyro4 only compresses payloads over 200 bytes.
  const body = encodeSerpent(pyTuple('thing', 'add', pyTuple(20, 22), { pad: 'x'.repeat(2000) }));
  const bomb = deflateSync(Buffer.alloc(1024 * 1024, 0x20));
  const { messages } = await exchange(
    daemon.port,
    Buffer.concat([connectFrame(), call(deflateSync(body), 1), call(bomb, 2), call(Buffer.from('not zlib'), 3)]),
    20000,
    4,
  );
  assert.deepEqual(messages.map((m) => [m.seq, m.flags]), [[0, MessageFlags.META_ON_CONNECT], [1, 0], [2, MessageFlags.EXCEPTION], [3, MessageFlags.EXCEPTION]]);
  assert.equal(decodeSerpent(messages[1]!.data), 42);
  const refused = messages.slice(2).map((m) => decodeSerpent(m.data) as { __class__: string; args: string[] });
  assert.deepEqual(refused.map((e) => e.__class__), ['Pyro4.errors.ProtocolError', 'Pyro4.errors.ProtocolError']);
  assert.match(refused[0]!.args[0]!, /inflates to more than 65536 bytes/);
  assert.match(refused[1]!.args[0]!, /not zlib data/);
  await healthy();
});
