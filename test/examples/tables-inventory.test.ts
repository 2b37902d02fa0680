/**
 * examples/tables-inventory runs as its README says (`node run.js`, with
 * its own Herd server) and its transcript shows the scenario: three shops
 * share an inventory, shop3 is SIGKILLed, the others see it go and go on
 * selling, shop3 restarts from its snapshot file; then the primary is
 * SIGKILLed, the other two elect a new one and go on, and it restarts;
 * all three end with the same copy in which every item's qty + sold is its
 * initial stock, every sale a shop was told committed is present (none
 * lost across the primary's death) and each is counted once.
 * (One server: the tables suites cover both; this stays within its time.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExample } from './support.js';

test('examples/tables-inventory: node run.js: a shop, then the primary SIGKILLed, the others go on, they come back, no acknowledged sale lost', { timeout: 90_000 }, async () => {
  const out = await runExample('tables-inventory', [], 80_000);
  const lines = out.split('\n');
  const killed = lines.findIndex((l) => /^\[run\] killing shop3 \(pid \d+\) with SIGKILL$/.test(l));
  assert.ok(killed > 0, `shop3 was killed:\n${out}`);
  const after = lines.slice(killed);
  assert.ok(after.some((l) => l === '[shop1] shop3 disconnected') && after.some((l) => l === '[shop2] shop3 disconnected'), `the others saw shop3 go:\n${out}`);
  const goOn = after.findIndex((l) => l === '[run] shop1 and shop2 go on selling without shop3');
  assert.ok(goOn > 0, `the others went on:\n${out}`);
  assert.ok(after.some((l) => /^\[shop3\] opened from its snapshot (file|member) at \d+:\d+$/.test(l)), `shop3 restarted from a snapshot:\n${out}`);
  const primaryKill = lines.findIndex((l) => /^\[run\] killing the primary shop\d \(pid \d+\) with SIGKILL$/.test(l));
  assert.ok(primaryKill > goOn, `the primary was killed after shop3 came back:\n${out}`);
  const victim = /primary (shop\d)/.exec(lines[primaryKill]!)![1]!;
  // It was the primary the shops last reported before the kill.
  const reported = lines.slice(0, primaryKill).filter((l) => /^\[shop\d\] primary: /.test(l)).map((l) => l.replace(/^.*primary: /, ''));
  assert.equal(reported.at(-1), victim, out);
  const after2 = lines.slice(primaryKill);
  const goOn2 = after2.findIndex((l) => /^\[run\] shop\d and shop\d go on selling with shop\d as the primary$/.test(l));
  assert.ok(goOn2 > 0, `the others elected a new primary and went on:\n${out}`);
  assert.ok(!after2[goOn2]!.includes(`with ${victim} as`) && !after2[goOn2]!.includes(`${victim} and`) && !after2[goOn2]!.includes(`and ${victim} go`), out);
  assert.ok(after2.slice(goOn2).includes(`[run] ${victim} is back`), `the old primary came back:\n${out}`);
  const finals = lines.filter((l) => /^\[shop\d\] final: /.test(l));
  assert.equal(finals.length, 3, out);
  for (const f of finals) {
    assert.match(f, /qty \+ sold = 1000 for every item: true/);
    assert.match(f, /acknowledged sales lost: 0 of [1-9]\d*, each sale counted once: true/);
  }
  assert.equal(new Set(finals.map((l) => l.replace(/^\[\w+\] /, ''))).size, 1, `the same copy everywhere:\n${finals.join('\n')}`);
  assert.match(out, /\[run\] all three shops hold the same inventory\n/);
  assert.match(out, /\[run\] done\n/);
});
