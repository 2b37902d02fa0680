/**
 * `herd tables ls | status | dump` (src/cli/tables-command.ts) against two
 * in-process tables nodes. The command runs as a child process, spawned
 * asynchronously: the nodes it reads serve their rpc objects from this
 * process's event loop.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { dumpTable, readTablesStatus, UnknownTableError } from '../../src/tables/index.js';
import { herdAsync as herd } from '../cli/herd.js';
import { removeDirs } from '../log/node/support.js';
import { forEachTarget, waitFor } from '../support/targets.js';
import { startTablesEnv } from './support/harness.js';

after(removeDirs);

forEachTarget('herd tables', (target) => {
  it('ls, status and dump', { timeout: 60_000 }, async () => {
    await using env = await startTablesEnv(target(), 'cli');
    const a = await env.openNode('n1', { weight: 2 });
    await env.openNode('n2');
    const { position } = await a.transaction(async (tx) => {
      await tx.put('items', { sku: 'B', qty: 2 });
      await tx.put('items', { sku: 'A', qty: 1 });
    }, { timeout: 30_000 });
    // Wait until both members have published an applied position at or past the write.
    const reader = await env.client();
    await waitFor(async () => {
      const s = await readTablesStatus(reader, 'cli');
      return s.members.every((m) => m.position !== null && m.position.entryId >= position.entryId);
    }, 30_000, 'published positions');

    const ls = await herd('tables', 'ls', '--coordination', env.coordination);
    assert.equal(ls.status, 0, ls.stderr);
    assert.match(ls.stdout, /^NAME\s+MEMBERS\s+WEIGHT\s+QUORUM\s+PRIMARY\ncli\s+2\/2\s+3\/3\s+yes\s+n[12]\n$/);

    const status = await herd('tables', 'status', 'cli', '--coordination', env.coordination);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /^tables cli: weight 3 of 3 connected, quorum\n/);
    assert.match(status.stdout, /\nn1\s+2\s+connected\s+/);
    assert.match(status.stdout, /\nn2\s+1\s+connected\s+/);
    const checksum = a.status.checksum.slice(0, 16);
    assert.equal(status.stdout.split(checksum).length - 1 >= 1, true, `a checksum ${checksum} in\n${status.stdout}`);

    const dump = await herd('tables', 'dump', 'cli', 'items', '--coordination', env.coordination);
    assert.equal(dump.status, 0, dump.stderr);
    assert.equal(dump.stdout, '{"sku":"A","qty":1}\n{"sku":"B","qty":2}\n');
    // (In process: a CLI run costs seconds of start-up on a loaded machine.)
    await assert.rejects(dumpTable(reader, 'cli', 'nope'), UnknownTableError);
  });
});
