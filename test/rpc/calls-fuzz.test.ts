/**
 * Bad input for the call semantics, against a serving child over real
 * sockets: random messages of the stream, reference and batch kinds, items
 * sent without credit, references to handles that do not exist. Each bad
 * connection is closed with a PROTOCOL CLOSE or its input is ignored, the
 * serving process lives on, and another caller's streams and calls keep
 * working meanwhile.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { lookup, type Remote } from '../../src/rpc/index.js';
import { HerdCodec } from '../../src/rpc/codec.js';
import { frame } from '../../src/rpc/frames.js';
import { connect, forEachTarget } from '../support/targets.js';
import type { Calls } from './calls-demo.js';
import { sendRaw, startCallsChild, type CallsChild } from './calls-support.js';

const codec = new HerdCodec();
const hello = frame(codec.encode({ kind: 'hello', version: 1, identifier: 'fuzzer' }));
const packr = new Packr({ useRecords: true });

const exchange = (address: string, bytes: Buffer, wait: number): ReturnType<typeof sendRaw> => sendRaw(address, Buffer.concat([hello, bytes]), wait);

forEachTarget('rpc calls bad input', (target) => {
  let child: CallsChild;
  let address: string;
  let name: string;
  let remote: Remote<Calls>;
  before(async () => {
    name = `calls-fuzz-${process.pid}-${Date.now()}`;
    child = await startCallsChild(target().connectionString, name);
    address = child.address;
    remote = await lookup<Calls>(await connect(target()), name, { callTimeout: 20000 });
  });
  after(async () => {
    await remote?.[Symbol.asyncDispose]();
    await child.kill();
  });

  test('an item the server never gave credit for closes that connection; a stream the server reads is unaffected elsewhere', async () => {
    const call = codec.encode({ kind: 'call', id: 1, target: name, method: 'sum', args: [null], timeout: 5000, handles: [[0, 'stream', 9]] });
    const items = Array.from({ length: 40 }, (_, i) => frame(codec.encode({ kind: 'item', handle: 9, value: i })));
    const out = await exchange(address, Buffer.concat([frame(call), ...items]), 3000);
    assert.ok(out.closed);
    const close = out.messages.find((m) => m.kind === 'close');
    assert.ok(close?.kind === 'close' && /without credit/.test(close.message), JSON.stringify(out.messages));
    async function* ten(): AsyncGenerator<number> {
      for (let i = 0; i < 10; i++) yield i;
    }
    assert.equal(await remote.sum(ten()), 45);
  });

  test('fuzz: random stream, reference, batch and hold messages never stop the server', async () => {
    let calls = 0;
    let stop = false;
    const steady = (async () => {
      while (!stop) {
        let n = 0;
        for await (const x of remote.count(20)) n += x;
        assert.equal(n, 190);
        calls++;
      }
    })();
    const field = fc.oneof(fc.nat(20), fc.string({ maxLength: 8 }), fc.constant(null), fc.array(fc.nat(5), { maxLength: 3 }), fc.anything({ maxDepth: 2 }));
    const message = fc.oneof(
      fc.tuple(fc.integer({ min: 7, max: 14 }), field, field, field, field).map((m) => frame(packr.pack(m))),
      fc.tuple(fc.nat(20), fc.array(fc.tuple(fc.nat(3), fc.constantFrom('fn', 'stream', 'x'), fc.nat(20)), { maxLength: 3 })).map(([id, handles]) =>
        frame(packr.pack([1, id, name, 'sum', [null, null], 200, handles])),
      ),
      fc.array(fc.tuple(fc.nat(20), fc.constantFrom('add', 'count', 'open', 'nope'), fc.array(fc.nat(9), { maxLength: 2 })), { maxLength: 4 }).map((cs) =>
        frame(packr.pack([13, cs.map(([id, m, args]) => [id, name, m, args, 500])])),
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 5 }), async (frames) => {
        const out = await exchange(address, Buffer.concat(frames), 60);
        for (const m of out.messages) assert.ok(['hello', 'close', 'error', 'result', 'handle', 'item', 'end', 'credit', 'call'].includes(m.kind), m.kind);
      }),
      { numRuns: 150 },
    );
    stop = true;
    await steady;
    assert.ok(calls > 3, `the other caller read ${calls} streams during the fuzz`);
    assert.equal(child.child.exitCode, null, 'the serving process is alive');
    assert.equal(await remote.add(2, 3), 5);
  });
});
