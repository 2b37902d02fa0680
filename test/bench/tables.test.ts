/**
 * The tables bench's smoke run (`npm run bench -- --only tables --smoke`):
 * the whole suite with tiny counts, as a child process the way `npm run
 * bench` runs it. Its figures mean nothing; what it proves is that the
 * suite starts its server, storage nodes, tables nodes and SQLite, measures
 * every figure, prints every row and cleans up, so a change that breaks the
 * bench fails here, not on the next benchmark run.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runBenchSmoke } from './smoke.js';

it('npm run bench -- --only tables --smoke prints every row of the tables suite', { timeout: 180_000 }, async () => {
  const { out, rowsOf } = await runBenchSmoke('tables');
  const measured = (lines: string[], metric: string, unit: string): string => {
    const row = lines.find((l) => l.startsWith(`${metric} `));
    const u = unit.replace('/', '\\/');
    assert.match(row ?? '', new RegExp(`\\d[\\d,.]* ${u}\\s+\\d[\\d,.]* ${u}`), `${metric} measured on both sides`);
    return row!;
  };

  const reads = rowsOf(/== Tables local reads/);
  assert.match(measured(reads, 'local reads/s', 'reads/s'), /0\.5x (met|MISSED)/, 'the read row names its target');

  const single = rowsOf(/== Tables transactions, one node/);
  for (const c of [1, 16]) {
    measured(single, `${c} concurrent: transactions/s`, 'tx/s');
    measured(single, `${c} concurrent: commit p50`, 'ms');
    measured(single, `${c} concurrent: commit p99`, 'ms');
  }
  assert.match(single.find((l) => l.startsWith('16 concurrent: transactions/s'))!, /1x (met|MISSED)/, 'the 16-concurrent row names its target');

  const three = rowsOf(/== Tables transactions, three nodes/);
  for (const where of ['on the primary', 'on a non-primary']) {
    for (const c of [1, 16]) {
      measured(three, `${where}, ${c} concurrent: transactions/s`, 'tx/s');
      measured(three, `${where}, ${c} concurrent: commit p99`, 'ms');
    }
  }
  assert.match(out, /rqlite, quoted, not measured/);
  assert.match(out, /bench finished in \d+ s/);
});
