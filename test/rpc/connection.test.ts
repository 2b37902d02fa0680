/**
 * Bad input against a serving process (a child, over real sockets): garbage
 * bytes, truncated, oversized and over-deep frames, a wrong protocol
 * version, malformed messages. Each closes only its own connection (with a
 * CLOSE frame saying why) or gets a typed error, while other callers'
 * calls go on succeeding.
 */
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { lookup, type Remote } from '../../src/rpc/index.js';
import { HerdCodec } from '../../src/rpc/codec.js';
import { FrameReader, frame } from '../../src/rpc/frames.js';
import type { Message } from '../../src/rpc/protocol.js';
import { splitAddress } from '../../src/rpc/connection.js';
import { connect, forEachTarget } from '../support/targets.js';
import type { Demo } from './demo.js';
import { killChildren, startServingChild, type ServingChild } from './support.js';

const codec = new HerdCodec();
const hello = frame(codec.encode({ kind: 'hello', version: 1, identifier: 'fuzzer' }));

/** What a raw peer saw: the messages it decoded, and whether the server closed the socket. */
interface Outcome {
  messages: Message[];
  closed: boolean;
}

/** Sends `bytes` on a fresh connection; collects what comes back until the socket closes or `wait` ms pass. */
async function rawExchange(address: string, bytes: Buffer, wait = 300): Promise<Outcome> {
  const { host, port } = splitAddress(address);
  const socket: Socket = netConnect({ host, port });
  const reader = new FrameReader();
  const messages: Message[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    for (const p of reader.push(chunk)) messages.push(codec.decode(p));
  });
  socket.on('error', () => undefined);
  const done = new Promise<void>((resolve) => {
    socket.on('close', () => {
      closed = true;
      resolve();
    });
    setTimeout(resolve, wait);
  });
  socket.once('connect', () => socket.write(bytes));
  await done;
  socket.destroy();
  return { messages, closed };
}

forEachTarget('rpc bad input', (target) => {
  let child: ServingChild;
  let remote: Remote<Demo>;
  before(async () => {
    child = await startServingChild(target().connectionString, `fuzz-${process.pid}-${Date.now()}`, 'fuzzed');
    remote = await lookup<Demo>(await connect(target()), child.name, { callTimeout: 10000 });
  });
  after(async () => {
    await remote?.[Symbol.asyncDispose]();
    await killChildren();
  });

  test('an oversized frame closes that connection with a PROTOCOL CLOSE', async () => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(64 * 1024 * 1024);
    const out = await rawExchange(child.address, Buffer.concat([hello, head]), 3000);
    assert.ok(out.closed);
    const close = out.messages.find((m) => m.kind === 'close');
    assert.ok(close && close.kind === 'close' && close.code === 'PROTOCOL' && /exceeds the limit/.test(close.message), JSON.stringify(out.messages));
    assert.equal(await remote.add(1, 2), 3);
  });

  test('an over-deep frame, a bad message and a wrong version each close their own connection', async () => {
    const packr = new Packr({ useRecords: true });
    let nested: unknown = 0;
    for (let i = 0; i < 200; i++) nested = [nested];
    const cases: [string, Buffer, RegExp][] = [
      ['deep', Buffer.concat([hello, frame(packr.pack([1, 1, 'x', 'echo', [nested], 1000]))]), /nested deeper/],
      ['shape', Buffer.concat([hello, frame(packr.pack([1, 'id?', 'x', 'echo']))]), /malformed message/],
      ['not msgpack', Buffer.concat([hello, frame(Buffer.from([0xc1, 0xc1, 0xff]))]), /malformed|undecodable/],
      ['truncated', Buffer.concat([hello, frame(Buffer.from([0x95, 0x01]))]), /undecodable/],
      ['version', frame(codec.encode({ kind: 'hello', version: 99, identifier: 'old' })), /protocol version 99/],
      ['call before hello', frame(codec.encode({ kind: 'call', id: 1, target: 'x', method: 'echo', args: [], timeout: 100 })), /expected HELLO/],
    ];
    for (const [what, bytes, reason] of cases) {
      const out = await rawExchange(child.address, bytes, 3000);
      assert.ok(out.closed, `${what}: connection closed`);
      const close = out.messages.find((m) => m.kind === 'close');
      assert.ok(close?.kind === 'close' && reason.test(close.message), `${what}: ${JSON.stringify(out.messages)}`);
    }
    assert.deepEqual(await remote.echo(['still', 'here']), ['still', 'here']);
  });

  test('a well-formed call to an unknown object or method gets a typed error; the connection stays', async () => {
    const calls = [
      codec.encode({ kind: 'call', id: 7, target: 'elsewhere', method: 'echo', args: [1], timeout: 1000 }),
      codec.encode({ kind: 'call', id: 8, target: child.name, method: 'constructor', args: [], timeout: 1000 }),
      codec.encode({ kind: 'call', id: 9, target: child.name, method: 'add', args: [40, 2], timeout: 1000 }),
    ];
    const out = await rawExchange(child.address, Buffer.concat([hello, ...calls.map(frame)]), 1000);
    assert.equal(out.closed, false);
    const byId = new Map(out.messages.filter((m) => m.kind === 'error' || m.kind === 'result').map((m) => [(m as { id: number }).id, m]));
    assert.equal((byId.get(7) as { error: { code: string } }).error.code, 'NOT_EXPOSED');
    assert.equal((byId.get(8) as { error: { code: string } }).error.code, 'NOT_EXPOSED');
    assert.deepEqual(byId.get(9), { kind: 'result', id: 9, value: 42 });
  });

  test('fuzz: garbage frames never stop the server; other callers keep working meanwhile', async () => {
    let calls = 0;
    let stop = false;
    // Another caller, calling all the time the fuzzer runs.
    const steady = (async () => {
      while (!stop) {
        assert.equal(await remote.add(calls, 1), calls + 1);
        calls++;
      }
    })();
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([hello, Buffer.from(b)])),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([hello, frame(Buffer.from(b))])),
      fc.array(fc.anything(), { maxLength: 6 }).map((a) => Buffer.concat([hello, frame(new Packr({ useRecords: true }).pack(a))])),
      fc.tuple(fc.integer({ min: 0, max: 6 }), fc.anything()).map(([kind, x]) => Buffer.concat([hello, frame(new Packr().pack([kind, x, x, x]))])),
    );
    await fc.assert(
      fc.asyncProperty(garbage, async (bytes) => {
        const out = await rawExchange(child.address, bytes, 50);
        // Whatever came back is a well-formed message of ours.
        for (const m of out.messages) assert.ok(['hello', 'close', 'error', 'result'].includes(m.kind));
      }),
      { numRuns: 150 },
    );
    stop = true;
    await steady;
    assert.ok(calls > 10, `the other caller made ${calls} calls during the fuzz`);
    assert.equal(child.process.exitCode, null, 'the serving process is alive');
    assert.deepEqual(await remote.whoAmI(), { pid: child.pid, label: 'fuzzed' });
  });
});
