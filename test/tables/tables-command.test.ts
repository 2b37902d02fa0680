/**
 * `herd tables ls | status | dump` (src/cli/tables-command.ts) against two
 * in-process tables nodes. The command runs as a child process, spawned
 * asynchronously: the nodes it reads serve their rpc objects from this
 * process's event loop.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { dumpTable, readTablesStatus, UnknownTableError, type TablesStatus } from '../../src/tables/index.js';
import { comparePosition } from '../../src/tables/state/store.js';
import { herdAsync as herd } from '../cli/herd.js';
import { removeDirs, tempDir } from '../log/node/support.js';
import { forEachTarget, waitFor } from '../support/targets.js';
import { startTablesEnv } from './support/harness.js';

after(removeDirs);

forEachTarget('herd tables', (target) => {
  it('ls, status and dump', { timeout: 60_000 }, async () => {
    await using env = await startTablesEnv(target(), 'cli');
    // Snapshots every 4 entries on 6-entry segments: a few transactions make closed segments to truncate.
    // n1 keeps its snapshots on disk too; n2 in memory only. Truncation ('durable') needs both.
    const log = { ensembleSize: 1, writeQuorum: 1, ackQuorum: 1, maxSegmentEntries: 6 };
    const snapshots = { entries: 4, interval: 200 };
    const a = await env.openNode('n1', { weight: 2, log, snapshots, dataDir: await tempDir('tables-cli') });
    await env.openNode('n2', { log, snapshots });
    for (let i = 0; i < 14; i++) await a.transaction((tx) => tx.put('items', { sku: `x${i}`, qty: i }), { timeout: 30_000 });
    const { position } = await a.transaction(async (tx) => {
      await tx.put('items', { sku: 'B', qty: 2 });
      await tx.put('items', { sku: 'A', qty: 1 });
    }, { timeout: 30_000 });
    // Wait until both members have published an applied position at or past the write, and the log was truncated.
    const reader = await env.client();
    let s: TablesStatus | undefined;
    await waitFor(async () => {
      s = await readTablesStatus(reader, 'cli');
      const caughtUp = s.members.every((m) => m.position !== null && comparePosition(m.position, position) >= 0);
      return caughtUp && s.truncated !== null && s.members.every((m) => m.snapshot !== null) && s.members[0]!.durable !== null;
    }, 30_000, 'published positions, snapshots and a truncation');
    if (s === undefined) throw new Error('no status');
    assert.deepEqual(s.members.map((m) => m.identifier), ['n1', 'n2']);
    assert.equal(s.members[1]!.durable, null, 'n2 has no dataDir');
    const ls = await herd('tables', 'ls', '--coordination', env.coordination);
    assert.equal(ls.status, 0, ls.stderr);
    assert.match(ls.stdout, /^NAME\s+MEMBERS\s+WEIGHT\s+QUORUM\s+PRIMARY\ncli\s+2\/2\s+3\/3\s+yes\s+n[12]\n$/);

    const status = await herd('tables', 'status', 'cli', '--coordination', env.coordination);
    assert.equal(status.status, 0, status.stderr);
    // The mark only moves forward: the printed one is the one read above or a later one.
    const headline = /^tables cli: weight 3 of 3 connected, quorum; log truncated through (\d+):(\d+)\n/.exec(status.stdout);
    assert.ok(headline !== null, status.stdout);
    assert.ok(comparePosition({ segmentId: Number(headline[1]), entryId: Number(headline[2]) }, s.truncated!) >= 0, status.stdout);
    assert.match(status.stdout, /\nIDENTIFIER\s+WEIGHT\s+STATE\s+ROLE\s+APPLIED\s+CHECKSUM\s+SNAPSHOT\s+ON DISK\s+ADDRESS\n/);
    // The snapshot columns: positions (they may move on between the two reads), and '-' on disk for n2.
    assert.match(status.stdout, /\nn1\s+2\s+connected\s+(primary|-)\s+\d+:\d+\s+[0-9a-f]{16}\s+\d+:\d+\s+\d+:\d+\s+127\.0\.0\.1:\d+\n/);
    assert.match(status.stdout, /\nn2\s+1\s+connected\s+(primary|-)\s+\d+:\d+\s+[0-9a-f]{16}\s+\d+:\d+\s+-\s+127\.0\.0\.1:\d+\n/);
    const checksum = a.status.checksum.slice(0, 16);
    assert.equal(status.stdout.split(checksum).length - 1 >= 1, true, `a checksum ${checksum} in\n${status.stdout}`);
    const dump = await herd('tables', 'dump', 'cli', 'items', '--coordination', env.coordination);
    assert.equal(dump.status, 0, dump.stderr);
    const xs = Array.from({ length: 14 }, (_, i) => ({ sku: `x${i}`, qty: i })).sort((p, q) => (p.sku < q.sku ? -1 : 1));
    assert.equal(dump.stdout, [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 2 }, ...xs].map((r) => `${JSON.stringify(r)}\n`).join(''));
    // (In process: a CLI run costs seconds of start-up on a loaded machine.)
    await assert.rejects(dumpTable(reader, 'cli', 'nope'), UnknownTableError);
  });
});
