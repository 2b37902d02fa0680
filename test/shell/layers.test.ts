/**
 * `herd shell`'s layer views (`rpc ls`, `log ls|status`, `tables
 * ls|status`) on both targets, against one in-process tables node: it
 * serves its rpc object, writes its log and publishes its applied position,
 * so one node gives all three layers something to show.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { readTablesStatus } from '../../src/tables/index.js';
import { removeDirs } from '../log/node/support.js';
import { forEachTarget, waitFor } from '../support/targets.js';
import { startTablesEnv } from '../tables/support/harness.js';
import { runShell } from './run-shell.js';

after(removeDirs);

forEachTarget('herd shell: layer views', (target) => {
  it('rpc ls, log ls and status, tables ls and status, in text and --json', { timeout: 90_000 }, async () => {
    await using env = await startTablesEnv(target(), 'shelled');
    const node = await env.openNode('n1');
    const { position } = await node.transaction((tx) => tx.put('items', { sku: 'A', qty: 1 }), { timeout: 30_000 });
    const reader = await env.client();
    await waitFor(async () => (await readTablesStatus(reader, 'shelled')).members[0]?.position?.entryId === position.entryId, 30_000, 'published position');
    const storage = env.storage[0]!.instanceId;

    const lines = ['rpc ls', 'log ls', 'log status tables.shelled', 'tables ls', 'tables status shelled', 'log nodes'];
    const text = await runShell(env.coordination, lines.flatMap((l) => ['--command', l]));
    assert.equal(text.code, 0, text.stderr);
    const out = text.stdout;
    assert.match(out, /^tables\.shelled: 1 instance\nADDRESS\s+IDENTIFIER\s+PID\s+PROTOCOL\s+TAGS\s+METHODS\n127\.0\.0\.1:\d+\s+n1\s+\d+\s+herd\/\d+\s+\S*identifier=n1\S*\s+\S+\n/);
    assert.match(out, new RegExp(`\\n1 log\\nLOG\\s+E/W/A\\s+SEGMENTS\\s+LAST SEGMENT\\s+FIRST\\s+LAST\\ntables\\.shelled\\s+1/1/1\\s+\\d+\\s+OPEN\\s`));
    assert.match(out, new RegExp(`\\n1 live storage node\\nNODE\\s+ADDRESS\\s+STARTED\\n${storage}\\s+127\\.0\\.0\\.1:\\d+\\s+\\d{4}-`));
    assert.match(out, new RegExp(`\\nlog tables\\.shelled: \\d+ segments?, 0 under-replicated\\nSEGMENT\\s+STATE.*\\n(\\d+\\s+(CLOSED|OPEN)\\s+n1\\s.*${storage}\\n)+`));
    assert.match(out, /\nNAME\s+MEMBERS\s+WEIGHT\s+QUORUM\s+PRIMARY\nshelled\s+1\/1\s+1\/1\s+yes\s+n1\n/);
    assert.match(out, new RegExp(`\\ntables shelled: weight 1 of 1 connected, quorum; log never truncated\\nIDENTIFIER.*\\nn1\\s+1\\s+connected\\s+primary\\s+${position.segmentId}:${position.entryId}\\s+${node.status.checksum.slice(0, 16)}\\s+(\\d+:\\d+|-)\\s+-\\s+127\\.0\\.0\\.1:\\d+\\n1 storage node, 1 up\\n`));
    assert.match(out, new RegExp(`\\nNODE\\s+ADDRESS\\s+STATE\\s+REGISTERED\\s+VERSION\\s+STARTED\\n${storage}\\s+127\\.0\\.0\\.1:\\d+\\s+up\\s+yes\\s+\\d+\\s+\\d{4}-\\S+\\n$`));

    const json = await runShell(env.coordination, ['--json', ...lines.flatMap((l) => ['--command', l])]);
    assert.equal(json.code, 0, json.stderr);
    const [services, logs, status, tables, one, nodes] = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(nodes.nodes.map((n: { instanceId: string; state: string; registered: boolean }) => [n.instanceId, n.state, n.registered]), [[storage, 'up', true]]);
    assert.deepEqual(services.map((s: { name: string; instances: { identifier: string }[] }) => [s.name, s.instances.map((i) => i.identifier)]), [['tables.shelled', ['n1']]]);
    assert.deepEqual(logs.logs.map((l: { name: string }) => l.name), ['tables.shelled']);
    assert.deepEqual(logs.nodes.map((n: { instanceId: string }) => n.instanceId), [storage]);
    assert.equal(status.underReplicated, 0);
    assert.deepEqual(status.liveNodes, [storage]);
    assert.equal(status.segments.at(-1).state, 'OPEN');
    assert.deepEqual(tables.tables.map((t: { name: string }) => t.name), ['shelled']);
    assert.deepEqual(one.members.map((m: { identifier: string; primary: boolean; checksum: string }) => [m.identifier, m.primary, m.checksum]), [['n1', true, node.status.checksum]]);

    // Wrong lines are told, and the shell goes on.
    const bad = await runShell(env.coordination, ['--command', 'log status nope', '--command', 'rpc list', '--command', 'tables status', '--command', 'rpc ls']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /nope/);
    assert.match(bad.stderr, /rpc ls \[name\]/);
    assert.match(bad.stderr, /tables ls \| tables status name/);
    assert.match(bad.stdout, /^tables\.shelled: 1 instance\n/);

    // A storage node that stops is still listed (its address's cookie names it), down.
    await env.storage[0]!.close();
    const down = await runShell(env.coordination, ['--json', '--command', 'log nodes']);
    assert.deepEqual(JSON.parse(down.stdout).nodes.map((n: { instanceId: string; state: string; registered: boolean; reachable: boolean | null }) => [n.instanceId, n.state, n.registered, n.reachable]), [[storage, 'down', false, null]]);
  });
});
