/**
 * examples/log-shipping runs as its README says (`node run.js`), on both
 * servers: with its own Herd server, and on ZooKeeper; its transcript shows
 * the scenario: three shippers, a storage node SIGKILLed while they ship,
 * every acknowledged line read back once, the dead node's copies repaired,
 * and a time-range read that agrees with a full scan.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachTarget } from '../support/targets.js';
import { runExample } from './support.js';

function checkTranscript(out: string): void {
  const lines = out.split('\n');
  const killed = lines.findIndex((l) => /^\[run\] killing store\d \(pid \d+, in web1's ensemble\) with SIGKILL$/.test(l));
  assert.ok(killed > 0, `a storage node was killed:\n${out}`);
  const acked = new Map<string, number>();
  for (const name of ['web1', 'web2', 'web3']) {
    const done = lines.find((l) => l.startsWith(`[${name}] done: `));
    const n = Number(/done: (\d+) lines acknowledged/.exec(done ?? '')?.[1]);
    assert.ok(n > 0, `${name} shipped lines:\n${out}`);
    acked.set(name, n);
  }
  // web1 lost a node of its ensemble mid-segment and went on without it.
  assert.ok(lines.slice(killed).some((l) => /^\[web1\] a storage node failed: segment \d+ goes on from entry \d+ on another node$/.test(l)), 'web1 replaced the dead node');
  assert.ok(lines.some((l) => /^\[store\d\] auditor: copied \d+ entries of segment \d+ \(log app-web1\) from lost \w+ onto \w+$/.test(l)), `the auditor repaired web1's segment:\n${out}`);
  assert.ok(lines.includes("[run] the dead node's copies are back on live nodes"));
  // Every acknowledged line is read back, once.
  const whole = /^\[reader\] whole logs: (\d+) lines \(web1=(\d+) web2=(\d+) web3=(\d+)\)$/.exec(lines.find((l) => l.startsWith('[reader] whole logs')) ?? '');
  assert.ok(whole, `the reader read the whole logs:\n${out}`);
  assert.deepEqual([Number(whole[2]), Number(whole[3]), Number(whole[4])], [acked.get('web1'), acked.get('web2'), acked.get('web3')]);
  // The time-range read (time index) agrees with a full scan, and is not empty.
  const window = /^\[reader\] between \S+ and \S+: (\d+) lines \(a full scan counts (\d+)\)$/.exec(lines.find((l) => l.startsWith('[reader] between')) ?? '');
  assert.ok(window && Number(window[1]) > 0 && window[1] === window[2], `the time-range read agrees with a full scan:\n${out}`);
  assert.match(out, /\[run\] done\n/);
}

// Two runs, one per server: on ZooKeeper through a connection string, and on Herd's server the way the
// README shows (`node run.js`, which starts its own). A third run on the [herd] target would prove
// nothing more than the README's run does (the same server, the same demo) and cost a quarter of a minute.
forEachTarget(
  'examples/log-shipping',
  (target) => {
    test('node run.js <connection string>: three shippers, a storage node SIGKILLed, every line read back, repaired', { timeout: 120_000 }, async () =>
      checkTranscript(await runExample('log-shipping', [target().connectionString])),
    );
  },
  { targets: ['zookeeper'] },
);

test('examples/log-shipping: node run.js with its own Herd server, as the README shows', { timeout: 120_000 }, async () => checkTranscript(await runExample('log-shipping', [])));
