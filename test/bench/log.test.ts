/**
 * The log bench's smoke run (`npm run bench -- --only log --smoke`): the
 * whole suite with tiny counts, as a child process the way `npm run bench`
 * runs it. Its figures mean nothing; what it proves is that the suite
 * starts its servers, measures every figure, prints every row and cleans
 * up, so a change that breaks the bench fails here, not on the next
 * benchmark run. Needs redis-server (skipped without it, failed under CI=true).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { redisServerPath } from '../../bench/log.js';
import { requireTool } from '../support/interop.js';
import { runBenchSmoke } from './smoke.js';

it('npm run bench -- --only log --smoke prints every row of the log suite', { timeout: 180_000 }, async (t) => {
  if (!requireTool(t, redisServerPath() !== undefined, 'redis-server')) return;
  const { out, rowsOf } = await runBenchSmoke('log');
  for (const [title, target] of [
    [/== Log appends, E\/W\/A 1\/1\/1/, '0.5x'],
    [/== Log appends, E\/W\/A 3\/3\/2/, '1.5x'],
  ] as const) {
    const lines = rowsOf(title);
    for (const batch of [1, 64, 1024]) {
      for (const metric of ['appends/s', 'p50 ack', 'p99 ack']) {
        assert.ok(lines.some((l) => l.startsWith(`batch ${batch}: ${metric} `)), `${title}: row batch ${batch}: ${metric}`);
      }
    }
    const row64 = lines.find((l) => l.startsWith('batch 64: appends/s'))!;
    assert.match(row64, new RegExp(`${target.replace('.', '\\.')} (met|MISSED)`), 'the batch-64 row names its target');
    assert.match(row64, /\d[\d,.]* appends\/s\s+\d[\d,.]* appends\/s/, 'batch 64 measured on both sides');
  }
  const reads = rowsOf(/== Log range reads by time/);
  for (const size of [100, 4096]) {
    for (const metric of ['whole log by time, MB/s', 'middle quarter by time, MB/s']) {
      const row = reads.find((l) => l.startsWith(`${size}-byte entries: ${metric}`));
      assert.match(row ?? '', /\d[\d,.]* MB\/s\s+\d[\d,.]* MB\/s/, `${size}-byte entries: ${metric} measured on both sides`);
    }
  }
  assert.match(out, /issue 13 target >= 100 MB\/s: (met|MISSED)/);
  assert.match(out, /bench finished in \d+ s/);
});
