/**
 * examples/cluster-metadata-rpc runs as its README says (`node run.js`),
 * on both servers (its own Herd server, and ZooKeeper), and its transcript shows the scenario:
 * node 0 serves, nodes 1-3 stand by and call it, node 0 is SIGKILLed and
 * one standby serves on while the others keep calling.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachTarget } from '../support/targets.js';
import { runExample } from './support.js';

function checkTranscript(out: string): string {
  const lines = out.split('\n');
  const at = (pattern: RegExp): number => lines.findIndex((l) => pattern.test(l));
  const killed = at(/^\[run\] killing node0/);
  assert.ok(killed > 0, `node 0 was killed:\n${out}`);
  assert.ok(at(/^\[node0\] SERVING the metadata at 127\.0\.0\.1:\d+ \(state version 0\)/) >= 0, 'node 0 served first');
  for (const n of [1, 2, 3]) {
    const standby = at(new RegExp(`^\\[node${n}\\] standby: another node serves the metadata`));
    assert.ok(standby >= 0 && standby < killed, `node${n} stood by before the kill`);
    assert.ok(at(new RegExp(`^\\[node${n}\\] cluster name: demo`)) >= 0, `node${n} read the cluster name`);
    const before = lines.slice(0, killed).filter((l) => l.startsWith(`[node${n}] round `) && / version \d+, disabled: false, roles: /.test(l));
    assert.ok(before.length >= 3, `node${n} updated and read the metadata before the kill`);
  }
  const took = /^\[run\] node(\d) took over/.exec(lines.find((l) => l.startsWith('[run] node')) ?? '');
  assert.ok(took, `a standby took over:\n${out}`);
  const successor = `node${took[1]}`;
  const serving = lines.filter((l) => / SERVING the metadata/.test(l));
  assert.equal(serving.length, 2, `exactly two SERVING lines (node0, then ${successor}):\n${serving.join('\n')}`);
  // The successor started from the saved state, not from scratch.
  const version = Number(/state version (\d+)/.exec(serving[1]!)?.[1]);
  assert.ok(serving[1]!.startsWith(`[${successor}] SERVING`) && version >= 9, `the successor loaded the saved state: ${serving[1]}`);
  const tookAt = lines.findIndex((l) => l.startsWith('[run] node') && l.endsWith('took over'));
  for (const n of [1, 2, 3]) {
    const after = lines.slice(tookAt).filter((l) => new RegExp(`^\\[node${n}\\] round \\d+: version`).test(l));
    assert.ok(after.length >= 1, `node${n} went on calling after the takeover:\n${out}`);
    // The roles written before the kill are still there: the successor loaded the saved state.
    assert.match(after.at(-1)!, /roles: node0=\w+ node1=\w+ node2=\w+ node3=\w+$/);
  }
  // What failed during the takeover is only non-idempotent updates, with the typed connection error.
  for (const l of lines.filter((x) => /round \d+: (?!version)/.test(x))) assert.match(l, /round \d+: RpcConnectionError CONNECTION_LOST: /);
  assert.match(out, /\[run\] done/);
  return successor;
}

// Two runs, one per server: on ZooKeeper through a connection string, and on Herd's server the way the
// README shows (`node run.js`, which starts its own); a third on the [herd] target would prove nothing more.
forEachTarget(
  'examples/cluster-metadata-rpc',
  (target) => {
    test('node run.js <connection string>: node 0 serves, it is SIGKILLed, a standby serves on', { timeout: 120_000 }, async () => {
      checkTranscript(await runExample('cluster-metadata-rpc', [target().connectionString]));
    });
  },
  { targets: ['zookeeper'] },
);

test('examples/cluster-metadata-rpc: node run.js with its own Herd server, as the README shows', { timeout: 120_000 }, async () => {
  checkTranscript(await runExample('cluster-metadata-rpc', []));
});
