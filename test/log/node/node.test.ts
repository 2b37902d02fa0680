import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { after, it } from 'node:test';
import { JuteWriter } from '../../../src/jute/writer.js';
import {
  BadArgumentsError,
  BadRequestError,
  ClientClosedError,
  connectLogNode,
  EntryConflictError,
  FrameTooLargeError,
  NoEntryError,
  NodeDisconnectedError,
  SegmentFencedError,
  TimeoutError,
} from '../../../src/log/index.js';
import { cookiePath, nodePath } from '../../../src/log/node/registration.js';
import { Messages, PROTOCOL_VERSION, Status } from '../../../src/log/protocol/index.js';
import { connect, forEachTarget, waitFor } from '../../support/targets.js';
import { collect, entry, RawConnection, rawFrame, removeDirs, startTestNode, tempDir } from './support.js';

after(removeDirs);

forEachTarget('log node', (target) => {
  it('adds, reads by position, streams ranges by entry and time, and answers INFO and READ_LAST_ENTRY', async () => {
    await using node = await startTestNode(target().connectionString, await tempDir());
    await using c = await connectLogNode(node.address, { timeout: 5000 });
    assert.equal(c.instanceId, node.instanceId);
    // Pipelined: 600 adds in flight at once on one connection, about 2.4 MB, more than one READ_RANGE reply.
    const big = Buffer.alloc(4000, 7);
    const entries = Array.from({ length: 600 }, (_, i) => ({ ...entry(5, i), data: Buffer.concat([Buffer.from(`${i}:`), big]) }));
    await Promise.all(entries.map((e) => c.addEntry(e)));
    const one = await c.readEntry(5, 42);
    assert.deepEqual(one, entries[42]);
    assert.deepEqual(await collect(c.readRange(5)), entries);
    assert.deepEqual(await collect(c.readRange(5, { fromEntry: 10, toEntry: 19 })), entries.slice(10, 20));
    const t = entries[100]!.timestamp;
    assert.deepEqual(await collect(c.readRange(5, { fromTime: t, toTime: t + 4 })), entries.slice(100, 105));
    assert.deepEqual(await collect(c.readRange(5, { fromEntry: 500, limit: 3 })), entries.slice(500, 503));
    assert.deepEqual(await collect(c.readRange(6)), []);
    assert.deepEqual(await c.readLastEntry(5), { entryId: 599, lastAddConfirmed: 598, timestamp: entries[599]!.timestamp });
    await assert.rejects(c.readLastEntry(6), NoEntryError);
    await assert.rejects(c.readEntry(5, 600), (e: unknown) => e instanceof NoEntryError && /segment 5 entry 600/.test(e.message));
    const info = await c.info();
    assert.equal(info.instanceId, node.instanceId);
    assert.equal(info.segments, 1);
    assert.ok(info.bytesStored > 600 * 4000, `bytesStored ${info.bytesStored}`);
    // The same entry again is a retry; other bytes are a conflict.
    await c.addEntry(entries[3]!);
    await assert.rejects(c.addEntry({ ...entries[3]!, data: Buffer.from('other') }), EntryConflictError);
  });

  it('fences: normal adds are refused with SegmentFencedError, recovery adds still land', async () => {
    await using node = await startTestNode(target().connectionString, await tempDir());
    await using writer = await connectLogNode(node.address);
    await using recovery = await connectLogNode(node.address);
    await writer.addEntry(entry(9, 0));
    await writer.addEntry(entry(9, 1));
    assert.deepEqual(await recovery.fence(9), { lastEntryId: 1, lastAddConfirmed: 0 });
    await assert.rejects(writer.addEntry(entry(9, 2)), (e: unknown) => e instanceof SegmentFencedError && e.code === 'SEGMENT_FENCED' && e.message.includes(node.address));
    await recovery.addEntry(entry(9, 2), { recovery: true });
    assert.equal((await recovery.readEntry(9, 2)).data.toString(), 'entry 9/2');
    // Fencing a segment the node has never seen fences it too: a late first add from an old writer fails.
    assert.deepEqual(await recovery.fence(10), { lastEntryId: -1, lastAddConfirmed: -1 });
    await assert.rejects(writer.addEntry(entry(10, 0)), SegmentFencedError);
  });

  it('a recovery read (fence flag) fences the segment before it reads', async () => {
    const dataDir = await tempDir();
    let node = await startTestNode(target().connectionString, dataDir);
    const writer = await connectLogNode(node.address);
    await writer.addEntry(entry(3, 0));
    const recovery = await connectLogNode(node.address);
    assert.equal((await recovery.readEntry(3, 0, { fence: true })).data.toString(), 'entry 3/0');
    await assert.rejects(writer.addEntry(entry(3, 1)), SegmentFencedError);
    // A plain read does not fence.
    await writer.addEntry(entry(4, 0));
    await recovery.readEntry(4, 0);
    await writer.addEntry(entry(4, 1));
    // A fence by a read with no entry there still fences (NO_ENTRY, and fenced).
    await assert.rejects(recovery.readEntry(4, 7, { fence: true }), NoEntryError);
    await assert.rejects(writer.addEntry(entry(4, 2)), SegmentFencedError);
    await writer.close();
    await recovery.close();
    // The fence is durable: it survives a restart.
    await node.close();
    node = await startTestNode(target().connectionString, dataDir);
    await using again = await connectLogNode(node.address);
    await assert.rejects(again.addEntry(entry(3, 1)), SegmentFencedError);
    await node.close();
  });

  it('registers an ephemeral node and its address cookie; the node is gone after close', async () => {
    const checker = await connect(target());
    const node = await startTestNode(target().connectionString, await tempDir());
    const { data, stat } = await checker.getData(nodePath(node.instanceId));
    assert.notEqual(stat.ephemeralOwner, 0n, 'registration is ephemeral');
    const record = JSON.parse(data!.toString()) as Record<string, unknown>;
    assert.deepEqual(
      { ...record, startedAt: typeof record.startedAt },
      { instanceId: node.instanceId, host: '127.0.0.1', port: node.port, version: PROTOCOL_VERSION, startedAt: 'number' },
    );
    const cookie = await checker.getData(cookiePath('127.0.0.1', node.port));
    assert.equal(cookie.stat.ephemeralOwner, 0n, 'the cookie is persistent');
    assert.equal((JSON.parse(cookie.data!.toString()) as { instanceId: string }).instanceId, node.instanceId);
    await node.close();
    await node.close();
    assert.equal(await checker.exists(nodePath(node.instanceId)), null);
    assert.notEqual(await checker.exists(cookiePath('127.0.0.1', node.port)), null, 'the cookie stays');
  });

  it('a wiped data directory at the same address is a new, empty instance; the cookie is updated', async () => {
    const checker = await connect(target());
    const dataDir = await tempDir();
    const logged: string[] = [];
    const first = await startTestNode(target().connectionString, dataDir);
    const port = first.port;
    {
      await using c = await connectLogNode(first.address);
      await c.addEntry(entry(1, 0));
    }
    await first.close();
    // Restarted as it was: the same instance, nothing replaced.
    const same = await startTestNode(target().connectionString, dataDir, { port });
    assert.equal(same.instanceId, first.instanceId);
    assert.equal(same.replacedInstanceId, undefined);
    await same.close();
    await rm(dataDir, { recursive: true, force: true });
    const wiped = await startTestNode(target().connectionString, dataDir, { port, logger: (m) => logged.push(m) });
    try {
      assert.notEqual(wiped.instanceId, first.instanceId);
      assert.equal(wiped.replacedInstanceId, first.instanceId);
      assert.ok(logged.some((m) => m.includes(first.instanceId) && m.includes(wiped.instanceId)), logged.join('\n'));
      const cookie = JSON.parse((await checker.getData(cookiePath('127.0.0.1', port))).data!.toString()) as { instanceId: string };
      assert.equal(cookie.instanceId, wiped.instanceId);
      assert.equal(await checker.exists(nodePath(first.instanceId)), null);
      assert.notEqual(await checker.exists(nodePath(wiped.instanceId)), null);
      await using c = await connectLogNode(wiped.address);
      await assert.rejects(c.readEntry(1, 0), NoEntryError, 'the new instance is empty');
    } finally {
      await wiped.close();
    }
  });

  it('registers again after its session expired', async () => {
    const checker = await connect(target());
    const client = await connect(target(), { reconnectOnExpiry: true });
    await using node = await startTestNode(client, await tempDir());
    const path = nodePath(node.instanceId);
    const before = client.sessionId;
    assert.equal((await checker.exists(path))?.ephemeralOwner, before);
    await target().expire(client);
    await waitFor(async () => {
      const stat = await checker.exists(path);
      return client.sessionId !== before && stat !== null && stat.ephemeralOwner === client.sessionId;
    }, 15000, 'registration in the new session');
  });

  it('answers bad input with typed errors and keeps the connection; another client is unaffected', async () => {
    await using node = await startTestNode(target().connectionString, await tempDir(), { maxFrameSize: 4096 });
    await using other = await connectLogNode(node.address);
    await using c = await connectLogNode(node.address);
    const raw = await RawConnection.connect(node.port);
    try {
      const good = new JuteWriter();
      Messages.AddEntry.request.write(good, { ...entry(2, 0), recovery: false });
      const body = good.take();
      raw.send(rawFrame({ kind: Messages.AddEntry.kind, requestId: 11, body: body.subarray(0, body.length - 3) })); // truncated
      raw.send(rawFrame({ kind: 99, requestId: 12 })); // unknown kind
      raw.send(rawFrame({ kind: Messages.AddEntry.kind, requestId: 13, body: Buffer.alloc(5000) })); // oversized: skipped unread
      raw.send(rawFrame({ version: PROTOCOL_VERSION - 1, requestId: 14 })); // a client of the previous protocol version
      raw.send(Buffer.from([0, 0, 0, 3, 1, 2, 3])); // shorter than a header
      raw.send(rawFrame({ kind: Messages.AddEntry.kind, requestId: 15, body: Buffer.concat([body, Buffer.from([0])]) })); // a byte too many
      const negative = new JuteWriter();
      Messages.ReadEntry.request.write(negative, { segmentId: 2, entryId: 0, fence: false });
      const bad = negative.take();
      bad.writeInt32BE(-1, 0); // segment id -1 (high word)
      raw.send(rawFrame({ kind: Messages.ReadEntry.kind, requestId: 16, body: bad }));
      raw.send(rawFrame({ kind: Messages.AddEntry.kind, requestId: 17, body })); // and a good one after all that
      const replies = await raw.waitReplies(8);
      assert.equal(raw.closed, false, 'connection kept');
      const byId = new Map(replies.map((r) => [r.header.requestId, r]));
      assert.equal(byId.get(11)?.header.status, Status.BAD_REQUEST);
      assert.match(byId.get(11)!.message!, /ADD_ENTRY: need \d+ bytes/);
      assert.equal(byId.get(12)?.header.status, Status.BAD_REQUEST);
      assert.match(byId.get(12)!.message!, /unknown message kind 99/);
      assert.equal(byId.get(13)?.header.status, Status.TOO_LARGE);
      assert.match(byId.get(13)!.message!, /ADD_ENTRY request of 5016 bytes is larger than the node's maxFrameSize of 4096 bytes/);
      assert.equal(byId.get(14)?.header.status, Status.UNSUPPORTED_VERSION);
      assert.equal(byId.get(14)?.header.version, PROTOCOL_VERSION, 'the refusal is in the node\'s own version, whose header and message every version reads');
      assert.match(byId.get(14)!.message!, new RegExp(`protocol version ${PROTOCOL_VERSION - 1} is not supported \\(this node speaks ${PROTOCOL_VERSION}\\)`));
      assert.equal(byId.get(0)?.header.status, Status.BAD_REQUEST);
      assert.equal(byId.get(15)?.header.status, Status.BAD_REQUEST);
      assert.match(byId.get(15)!.message!, /1 bytes after the body/);
      assert.equal(byId.get(16)?.header.status, Status.BAD_REQUEST);
      assert.match(byId.get(16)!.message!, /segmentId .* out of range/);
      assert.equal(byId.get(17)?.header.status, Status.OK);
      assert.equal(replies.length, 8);
      // The node client sees the same as typed errors.
      await assert.rejects(
        c.addEntry({ ...entry(2, 1), data: Buffer.alloc(5000) }),
        (e: unknown) => e instanceof FrameTooLargeError && e.code === 'TOO_LARGE' && e.message.includes(node.address) && /maxFrameSize of 4096/.test(e.message),
      );
      await assert.rejects(c.addEntry({ ...entry(2, 1), timestamp: 0 }), (e: unknown) => e instanceof BadRequestError && /timestamp/.test(e.message));
      await c.addEntry(entry(2, 1));
      assert.equal((await other.readEntry(2, 1)).data.toString(), 'entry 2/1');
      // Only a length prefix with no boundary (negative) closes the connection, and only that one.
      raw.send(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
      await waitFor(() => raw.closed, 5000, 'raw connection closed');
      assert.equal((await other.readEntry(2, 0)).data.toString(), 'entry 2/0');
      assert.equal((await c.info()).instanceId, node.instanceId);
    } finally {
      raw.close();
    }
  });

  it('node client: a closed node fails pending and later calls; close is idempotent', async () => {
    const node = await startTestNode(target().connectionString, await tempDir());
    const c = await connectLogNode(node.address);
    await assert.rejects(c.readEntry(-1, 0), BadArgumentsError);
    await assert.rejects(c.addEntry({ ...entry(1, 0), lastAddConfirmed: -2 }), BadArgumentsError);
    await assert.rejects(collect(c.readRange(1, { limit: -1 })), BadArgumentsError);
    const closing = await connectLogNode(node.address);
    // The request is written at the end of the tick: close comes first, so it cannot have been answered.
    const first = assert.rejects(closing.readRange(1).next(), ClientClosedError);
    await closing.close();
    await first;
    await node.close();
    await waitFor(() => !c.connected, 5000, 'client disconnected');
    await assert.rejects(c.info(), NodeDisconnectedError);
    await c.close();
    await c.close();
    await assert.rejects(connectLogNode(node.address, { connectTimeout: 2000 }), NodeDisconnectedError);
  });
}, { concurrency: false });

it('node client: a node that never answers times out (one sweep), arguments are checked before any I/O', async () => {
  const sockets = new Set<import('node:net').Socket>();
  const silent: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as { port: number }).port;
  try {
    const started = Date.now();
    await assert.rejects(connectLogNode(`127.0.0.1:${port}`, { connectTimeout: 300 }), (e: unknown) => e instanceof TimeoutError && /INFO/.test(e.message));
    assert.ok(Date.now() - started < 2000);
    await assert.rejects(connectLogNode('nonsense'), BadArgumentsError);
    await assert.rejects(connectLogNode('127.0.0.1:0'), BadArgumentsError);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});
