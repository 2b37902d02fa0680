/**
 * A storage node's `/metrics`: a node started with `metricsPort: 0`,
 * scraped over HTTP with fetch after real adds over a real socket; the
 * figures move as the node works, and the auditor's under-replicated count
 * shows once a member of a closed segment's ensemble is gone.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { connectLogNode, openLog } from '../../../src/log/index.js';
import { startNodeMetrics } from '../../../src/log/node/metrics.js';
import { connect, forEachTarget, uniquePath, waitFor } from '../../support/targets.js';
import { rawFrame, RawConnection, removeDirs, startTestNode, tempDir } from './support.js';

after(removeDirs);

/** The value of one sample line (`name{labels} value`) of a scrape, or undefined when absent. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

forEachTarget('log node metrics', (target) => {
  it('GET /metrics of a node with metricsPort 0: add latency, fsync time, entries, bytes, segments, connections, requests by kind and status, under-replicated segments all move', async () => {
    const root = uniquePath('log-metrics');
    const plain = await connect(target());
    await plain.mkdirp(root);
    const coordination = `${target().connectionString}${root}`;
    // A long grace period: the auditor counts the gone node's segment and copies nothing.
    await using node = await startTestNode(coordination, await tempDir('metrics'), { fsync: true, metricsPort: 0, gcInterval: 0, auditor: { gracePeriod: 600_000, auditInterval: 60_000 } });
    await using other = await startTestNode(coordination, await tempDir('metrics'), { auditor: false, gcInterval: 0 });
    assert.ok(node.metricsPort !== undefined && node.metricsPort > 0, 'the chosen port is on the handle');
    assert.equal(other.metricsPort, undefined, 'no metricsPort, no listener');
    const scrape = async (): Promise<string> => {
      const res = await fetch(`http://127.0.0.1:${node.metricsPort}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
      return res.text();
    };
    const before = await scrape();
    assert.equal(sample(before, 'herd_log_node_entries_added_total'), 0);
    assert.equal(sample(before, 'herd_log_node_segments_stored'), 0);
    assert.equal(sample(before, 'herd_log_node_open_connections'), 0);
    assert.equal(sample(before, 'herd_log_node_under_replicated_segments'), 0, 'a node with an auditor exports the gauge');
    assert.equal(sample(before, 'herd_log_node_fsync_seconds_count'), 0);
    assert.ok(sample(before, 'process_cpu_user_seconds_total') !== undefined, "prom-client's process metrics come along");

    // Segment ids far above the ones openLog takes below.
    const [s1, s2, s3] = [1_000_001, 1_000_002, 1_000_003];
    {
      await using client = await connectLogNode(node.address, { timeout: 10_000 });
      const data = Buffer.alloc(100, 1);
      for (let i = 0; i < 5; i++) await client.addEntry({ segmentId: s1, entryId: i, timestamp: 1000 + i, lastAddConfirmed: i - 1, data });
      await client.addEntries({ segmentId: s2, firstEntryId: 0, lastAddConfirmed: -1, entries: Array.from({ length: 64 }, (_, i) => ({ timestamp: 1000 + i, data })) });
      await assert.rejects(client.readEntry(s3, 0), { code: 'NO_ENTRY' });
      const raw = await RawConnection.connect(node.port);
      raw.send(rawFrame({ kind: 999, requestId: 7 }));
      await raw.waitReplies(1);
      raw.close();
      await waitFor(async () => sample(await scrape(), 'herd_log_node_open_connections') === 1, 5000, 'the raw connection closed');

      const text = await scrape();
      assert.equal(sample(text, 'herd_log_node_entries_added_total'), 5 + 64);
      assert.equal(sample(text, 'herd_log_node_segments_stored'), 2);
      assert.ok(sample(text, 'herd_log_node_bytes_stored')! >= 69 * 100, 'bytes stored counts the entries');
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
    }

    // A closed 2/2/2 segment on both nodes; the other node goes: the auditor's next pass counts it.
    const client = await connect(target(), {}, coordination);
    const log = await openLog(client, 'metrics', { ensembleSize: 2, writeQuorum: 2, ackQuorum: 2 });
    await log.appendBatch([Buffer.from('a'), Buffer.from('b')]);
    await log.close();
    await other.close();
    await waitFor(async () => {
      await node.auditor!.audit();
      return sample(await scrape(), 'herd_log_node_under_replicated_segments') === 1;
    }, 20_000, 'the under-replicated gauge');

    const missing = await fetch(`http://127.0.0.1:${node.metricsPort}/other`);
    assert.equal(missing.status, 404);
    await missing.text();
    const port = node.metricsPort;
    await node.close();
    await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), 'the listener closes with the node');
  });

  it('startLogNode: a bad metricsPort is BadArgumentsError before any I/O', async () => {
    await assert.rejects(startTestNode(target().connectionString, '/nonexistent/never-created', { metricsPort: 70_000 }), { code: 'BADARGUMENTS' });
    await assert.rejects(startTestNode(target().connectionString, '/nonexistent/never-created', { metricsPort: -1 }), { code: 'BADARGUMENTS' });
  });
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
