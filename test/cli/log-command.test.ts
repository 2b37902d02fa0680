/**
 * `herd log ls|status|read` run as a child process against three in-process
 * storage nodes and a live writer, on Herd's server and on ZooKeeper: what
 * they print, that a closed node shows as not live, and that none of them
 * changes the log's metadata or fences its writer.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, it } from 'node:test';
import type { Client } from '../../src/client/index.js';
import { openLog } from '../../src/log/index.js';
import { LogMetadataStore } from '../../src/log/metadata/metadata-store.js';
import { forEachTarget, waitFor } from '../support/targets.js';
import { removeDirs } from '../log/node/support.js';
import { startCluster } from '../log/writer/support.js';
import { CLI, type HerdRun } from './herd.js';

after(removeDirs);

/** `herd <args>` without blocking the event loop (the storage nodes run in this process). */
function herd(...args: string[]): Promise<HerdRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ status: code, stdout, stderr });
    });
  });
}

/** The znode versions of the log's record and of each of its segments. */
async function versions(client: Client, name: string): Promise<number[]> {
  const store = new LogMetadataStore(client);
  const log = await store.readLog(name);
  return [log.version, ...(await Promise.all(log.value.segments.map(async (id) => (await store.readSegment(id)).version)))];
}

const base = Date.parse('2026-12-07T10:00:00.000Z');
const at = (i: number): string => new Date(base + i * 1000).toISOString();

forEachTarget('herd log', (target) => {
  it('ls, status and read while a writer appends, then with a node closed; nothing written, the writer not fenced', async () => {
    await using cluster = await startCluster(target());
    const conn = ['--coordination', cluster.coordination];
    const client = await cluster.client();
    const log = await openLog(client, 'orders', { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2, maxSegmentEntries: 10, identifier: 'w1' });
    // 25 entries one second apart: two CLOSED segments of 10 and an OPEN one.
    await log.appendBatch(Array.from({ length: 10 }, (_, i) => ({ data: Buffer.from(`order ${i}`), timestamp: base + i * 1000 })));
    await log.appendBatch(Array.from({ length: 10 }, (_, i) => ({ data: Buffer.from(`order ${10 + i}`), timestamp: base + (10 + i) * 1000 })));
    await log.appendBatch(Array.from({ length: 5 }, (_, i) => ({ data: Buffer.from(i === 4 ? 'two\nlines' : `order ${20 + i}`), timestamp: base + (20 + i) * 1000 })));
    const before = await versions(client, 'orders');
    assert.equal(before.length, 4);
    const ids = cluster.nodes.map((n) => n.instanceId).sort();

    const ls = await herd('log', 'ls', ...conn);
    assert.equal(ls.status, 0, ls.stderr);
    const lines = ls.stdout.split('\n');
    assert.equal(lines[0], '1 log');
    assert.match(lines[1]!, /^LOG\s+E\/W\/A\s+SEGMENTS\s+LAST SEGMENT\s+FIRST\s+LAST$/);
    assert.deepEqual(lines[2]!.split(/\s{2,}/), ['orders', '3/3/2', '3', 'OPEN', at(0), at(19)]);
    assert.equal(lines[4], '3 live storage nodes');
    for (const n of cluster.nodes) assert.match(ls.stdout, new RegExp(`\\n${n.instanceId}\\s+${n.address.replace(/\./g, '\\.')}\\s`));
    const lsJson = JSON.parse((await herd('log', 'ls', ...conn, '--json')).stdout) as { logs: { name: string; segments: number; firstTimestamp: number; lastTimestamp: number }[]; nodes: { instanceId: string }[] };
    assert.deepEqual(lsJson.logs.map((l) => [l.name, l.segments, l.firstTimestamp, l.lastTimestamp]), [['orders', 3, base, base + 19_000]]);
    assert.deepEqual(lsJson.nodes.map((n) => n.instanceId), ids);

    const status = await herd('log', 'status', 'orders', ...conn);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /^log orders: 3 segments, 0 under-replicated\n/);
    const rows = status.stdout.trimEnd().split('\n').slice(2).map((r) => r.split(/\s{2,}/));
    assert.match(status.stdout.split('\n')[1]!, /^SEGMENT\s+STATE\s+WRITER\s+ENTRIES\s+UNDER-REPL\s+FROM\s+TO\s+ENSEMBLES/);
    assert.deepEqual(rows.map((r) => r.slice(0, 5)), [
      [String(rows[0]![0]), 'CLOSED', 'w1', '10', '0'],
      [String(rows[1]![0]), 'CLOSED', 'w1', '10', '0'],
      [String(rows[2]![0]), 'OPEN', 'w1', rows[2]![3]!, '0'],
    ]);
    assert.match(rows[2]![3]!, /^\d+ so far$/);
    assert.deepEqual(rows[0]!.slice(5, 7), [at(0), at(9)]);
    assert.doesNotMatch(status.stdout, /\w\*/);

    // A time range across the two closed segments, while the writer is open.
    const text = await herd('log', 'read', 'orders', ...conn, '--from', at(8), '--to', String(base + 11_000));
    assert.equal(text.status, 0, text.stderr);
    const segs = rows.map((r) => r[0]);
    assert.equal(text.stdout, [`${segs[0]}:8  ${at(8)}  order 8`, `${segs[0]}:9  ${at(9)}  order 9`, `${segs[1]}:0  ${at(10)}  order 10`, `${segs[1]}:1  ${at(11)}  order 11`].join('\n') + '\n');
    // Reading fenced nothing: the writer still appends to its segment.
    assert.equal((await log.append(Buffer.from('after read'), { timestamp: base + 25_000 })).segmentId, Number(segs[2]));
    assert.deepEqual(await versions(client, 'orders'), before);
    await log.close();

    // One node gone: every segment has a copy on it.
    const gone = cluster.nodes[0]!;
    await gone.close();
    await waitFor(async () => !(await herd('log', 'ls', ...conn)).stdout.includes(gone.instanceId), 15_000, 'the closed node to leave the live list');
    const down = await herd('log', 'status', 'orders', ...conn);
    assert.match(down.stdout, /^log orders: 3 segments, 3 under-replicated\n/);
    assert.ok(down.stdout.includes(`${gone.instanceId}*`));
    assert.match(down.stdout, /not live: .*the auditor copies them to another node after its grace period/);
    const downRows = down.stdout.split('\n').slice(2, 5).map((r) => r.split(/\s{2,}/));
    assert.deepEqual(downRows.map((r) => [r[3], r[4]]), [['10', '10'], ['10', '10'], ['6', '6']], 'with E = W, every entry lacks the gone copy');
    const downJson = JSON.parse((await herd('log', 'status', 'orders', ...conn, '--json')).stdout) as {
      underReplicated: number;
      segments: { state: string; entries: number; underReplicated: boolean; underReplicatedEntries: number; ensembles: { nodes: { id: string; live: boolean }[] }[] }[];
    };
    assert.equal(downJson.underReplicated, 3);
    assert.deepEqual(downJson.segments.map((s) => [s.state, s.entries, s.underReplicated, s.underReplicatedEntries]), [['CLOSED', 10, true, 10], ['CLOSED', 10, true, 10], ['CLOSED', 6, true, 6]]);
    const liveness = Object.fromEntries(downJson.segments[0]!.ensembles[0]!.nodes.map((n) => [n.id, n.live]));
    assert.deepEqual(liveness, Object.fromEntries(ids.map((id) => [id, id !== gone.instanceId])));

    // Read from the two nodes left, as JSON lines: the last segment's entries, the one with a line break intact.
    const versionsBefore = await versions(client, 'orders');
    const json = await herd('log', 'read', 'orders', ...conn, '--from', at(23), '--format', 'json');
    assert.equal(json.status, 0, json.stderr);
    const records = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { segmentId: number; entryId: number; timestamp: number; time: string; data: string });
    assert.deepEqual(records.map((r) => [r.segmentId, r.entryId, r.timestamp, r.time, r.data]), [
      [Number(segs[2]), 3, base + 23_000, at(23), 'order 23'],
      [Number(segs[2]), 4, base + 24_000, at(24), 'two\nlines'],
      [Number(segs[2]), 5, base + 25_000, at(25), 'after read'],
    ]);
    const escaped = await herd('log', 'read', 'orders', ...conn, '--from', String(base + 24_000), '--to', at(24));
    assert.equal(escaped.stdout, `${segs[2]}:4  ${at(24)}  two\\x0alines\n`);
    const hex = await herd('log', 'read', 'orders', ...conn, '--from', at(25), '--format', 'hex');
    assert.equal(hex.stdout, `${segs[2]}:5  ${at(25)}  ${Buffer.from('after read').toString('hex')}\n`);
    assert.deepEqual(await versions(client, 'orders'), versionsBefore);
  });

  it('an unknown log or a bad option: exit 1 and a clear message', async () => {
    await using cluster = await startCluster(target(), 1);
    const conn = ['--coordination', cluster.coordination];
    for (const args of [['status', 'nope'], ['read', 'nope']]) {
      const r = await herd('log', ...args, ...conn);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, 'herd: no log named nope\n');
    }
    const empty = await herd('log', 'ls', ...conn);
    assert.equal(empty.status, 0, empty.stderr);
    assert.match(empty.stdout, /^0 logs\n/);
    const cases: [string[], RegExp][] = [
      [['read', 'x', ...conn, '--from', 'yesterday'], /^herd: --from must be an ISO 8601 time or epoch ms, got 'yesterday'\n/],
      [['read', 'x', ...conn, '--format', 'xml'], /^herd: --format must be text, json or hex, got 'xml'\n/],
      [['ls'], /^herd: --coordination <host:port> is required\n/],
      [['status', 'bad/name', ...conn], /^herd: .*bad\/name/],
    ];
    for (const [args, message] of cases) {
      const r = await herd('log', ...args);
      assert.equal(r.status, 1, args.join(' '));
      assert.match(r.stderr, message);
    }
  });
});
