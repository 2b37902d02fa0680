/**
 * A storage node's `/metrics`: scraped over HTTP with fetch after real adds
 * over a real socket, the figures move as the node works.
 *
 * The node here is the request pipeline of startLogNode (connection ->
 * decode -> storage -> reply) on a NodeStorage with fsync on, without the
 * coordination registration, because startLogNode does not start the
 * metrics listener yet (its `metricsPort` wiring is one call in
 * log-node.ts; see metrics.ts).
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, it } from 'node:test';
import { connectLogNode } from '../../../src/log/index.js';
import { NodeConnection } from '../../../src/log/node/connection.js';
import { decodeStage } from '../../../src/log/node/decode.js';
import { storageStage } from '../../../src/log/node/handlers.js';
import { startNodeMetrics } from '../../../src/log/node/metrics.js';
import { NodeStorage } from '../../../src/log/storage/index.js';
import { rawFrame, RawConnection, removeDirs, tempDir } from './support.js';

after(removeDirs);

/** The value of one sample line (`name{labels} value`) of a scrape, or undefined when absent. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

it('GET /metrics: add latency, fsync time, entries, bytes, segments, connections, requests by kind and status, under-replicated segments all move', async () => {
  await using storage = await NodeStorage.open({ dataDir: await tempDir('metrics'), fsync: true, logger: () => {} });
  const connections = new Set<NodeConnection>();
  let underReplicated = 0;
  await using metrics = await startNodeMetrics(
    { port: 0, host: '127.0.0.1' },
    { storage, connections, underReplicated: { underReplicatedSegments: () => underReplicated } },
  );
  const execute = storageStage({ storage, log: () => {}, info: () => ({ instanceId: storage.instanceId, protocolVersion: 1, startedAt: 0, bytesStored: 0, segments: 0 }) });
  const decode = decodeStage({ maxFrameSize: 1 << 20, closing: () => false, next: execute });
  const server = createServer((socket: Socket) => {
    connections.add(new NodeConnection(socket, { maxFrameSize: 1 << 20, maxInFlight: 1000, frame: decode, closed: (c) => connections.delete(c), log: () => {}, observer: metrics.observer }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const scrape = async (): Promise<string> => {
    const res = await fetch(`http://127.0.0.1:${metrics.port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    return res.text();
  };
  try {
    const before = await scrape();
    assert.equal(sample(before, 'herd_log_node_entries_added_total'), 0);
    assert.equal(sample(before, 'herd_log_node_segments_stored'), 0);
    assert.equal(sample(before, 'herd_log_node_open_connections'), 0);
    assert.equal(sample(before, 'herd_log_node_under_replicated_segments'), 0);
    assert.equal(sample(before, 'herd_log_node_fsync_seconds_count'), 0);
    assert.ok(sample(before, 'process_cpu_user_seconds_total') !== undefined, "prom-client's process metrics come along");

    await using client = await connectLogNode(`127.0.0.1:${port}`, { timeout: 10_000 });
    const data = Buffer.alloc(100, 1);
    for (let i = 0; i < 5; i++) await client.addEntry({ segmentId: 1, entryId: i, timestamp: 1000 + i, lastAddConfirmed: i - 1, data });
    const fsyncsBefore = storage.stats().fsyncs;
    await client.addEntries({ segmentId: 2, firstEntryId: 0, lastAddConfirmed: -1, entries: Array.from({ length: 64 }, (_, i) => ({ timestamp: 1000 + i, data })) });
    assert.equal(storage.stats().fsyncs - fsyncsBefore, 1, 'the 64 entries of one ADD_ENTRIES share one group commit');
    await assert.rejects(client.readEntry(3, 0), { code: 'NO_ENTRY' });
    const raw = await RawConnection.connect(port);
    raw.send(rawFrame({ kind: 999, requestId: 7 }));
    await raw.waitReplies(1);
    raw.close();
    for (let i = 0; i < 200 && connections.size > 1; i++) await new Promise((r) => setTimeout(r, 10));
    underReplicated = 4;

    const text = await scrape();
    assert.equal(sample(text, 'herd_log_node_entries_added_total'), 5 + 64);
    assert.equal(sample(text, 'herd_log_node_segments_stored'), 2);
    assert.ok(sample(text, 'herd_log_node_bytes_stored')! >= 69 * 100, 'bytes stored counts the entries');
    assert.equal(sample(text, 'herd_log_node_open_connections'), 1);
    assert.equal(sample(text, 'herd_log_node_under_replicated_segments'), 4);
    assert.equal(sample(text, 'herd_log_node_requests_total', '{kind="ADD_ENTRY",status="OK"}'), 5);
    assert.equal(sample(text, 'herd_log_node_requests_total', '{kind="ADD_ENTRIES",status="OK"}'), 1);
    assert.equal(sample(text, 'herd_log_node_requests_total', '{kind="READ_ENTRY",status="NO_ENTRY"}'), 1);
    assert.equal(sample(text, 'herd_log_node_requests_total', '{kind="KIND_999",status="BAD_REQUEST"}'), 1);
    assert.equal(sample(text, 'herd_log_node_add_latency_seconds_count', '{kind="ADD_ENTRY"}'), 5);
    assert.equal(sample(text, 'herd_log_node_add_latency_seconds_count', '{kind="ADD_ENTRIES"}'), 1);
    assert.ok(sample(text, 'herd_log_node_add_latency_seconds_sum', '{kind="ADD_ENTRY"}')! > 0);
    // Six group commits acknowledged adds (five lone adds, one batch); each was seen once, with a real duration.
    const fsyncs = sample(text, 'herd_log_node_fsync_seconds_count')!;
    assert.ok(fsyncs >= 1 && fsyncs <= 6, `fsync observations: ${fsyncs}`);
    assert.ok(sample(text, 'herd_log_node_fsync_seconds_sum')! > 0);
    assert.ok(sample(text, 'herd_log_node_fsyncs_total')! >= 6);

    const missing = await fetch(`http://127.0.0.1:${metrics.port}/other`);
    assert.equal(missing.status, 404);
    await missing.text();
  } finally {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const c of connections) c.destroy();
    });
  }
});

it('startNodeMetrics: without a port there is no listener; a bad port is BadArgumentsError; close is idempotent', async () => {
  const sources = { storage: { stats: () => ({ bytesStored: 0, segments: 0, fsyncs: 0, lastFsyncDuration: 0 }) }, connections: new Set() };
  const quiet = await startNodeMetrics({}, sources);
  assert.equal(quiet.port, undefined);
  assert.doesNotMatch(await quiet.registry.metrics(), /under_replicated/, 'no auditor source, no gauge');
  await quiet.close();
  await assert.rejects(startNodeMetrics({ port: 70_000 }, sources), { code: 'BADARGUMENTS' });
  const m = await startNodeMetrics({ port: 0, host: '127.0.0.1' }, sources);
  await m.close();
  await m.close();
  await assert.rejects(fetch(`http://127.0.0.1:${m.port}/metrics`));
});
