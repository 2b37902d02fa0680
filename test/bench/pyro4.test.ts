/**
 * The pyro4 bench's smoke run (`npm run bench -- --only pyro4 --smoke`):
 * the whole suite with tiny counts, as a child process the way `npm run
 * bench` runs it. Its figures mean nothing; what it proves is that the
 * suite starts Python's Pyro4 daemon and name server, Herd's, the Python
 * caller on each, prints every row and cleans up.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { requirePyro4 } from '../rpc/pyro/support.js';
import { runBenchSmoke } from './smoke.js';

it('npm run bench -- --only pyro4 --smoke prints every row of the pyro4 suite', { timeout: 120_000 }, async (t) => {
  if (!requirePyro4(t)) return;
  const { out, rowsOf } = await runBenchSmoke('pyro4');
  const rows = rowsOf(/== Pyro4: a Python Pyro4 proxy/);
  for (const [metric, unit] of [
    ['trivial call, calls/s', 'calls/s'],
    ['trivial call, p50', 'ms'],
    ['ns.lookup/s', 'lookups/s'],
    ['ns.lookup p50', 'ms'],
  ] as const) {
    const row = rows.find((l) => l.startsWith(`${metric} `));
    const u = unit.replace('/', '\\/');
    assert.match(row ?? '', new RegExp(`\\d[\\d,.]* ${u}\\s+\\d[\\d,.]* ${u}`), `${metric} measured on both sides`);
  }
  assert.match(rows.find((l) => l.startsWith('ns.lookup/s'))!, /1x (met|MISSED)/, 'the lookup row names its target');
  assert.match(out, /bench finished in \d+ s/);
});
