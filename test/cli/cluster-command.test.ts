/** `herd cluster status` against a live cluster on Herd's server: the table, the JSON, and that reading does not join. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { joinCluster, type ClusterNode, type ClusterView } from '../../src/cluster/index.js';
import { TestingServer } from '../../src/testing/testing-server.js';
import { waitFor } from '../support/targets.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
const run = (args: string[]) => promisify(execFile)(process.execPath, [CLI, ...args], { timeout: 30_000 });

describe('herd cluster status', () => {
  let server: TestingServer;
  const nodes: ClusterNode[] = [];
  before(async () => {
    server = await TestingServer.start();
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.close({ timeout: 5000 })));
    await server.close();
  });

  it('prints the members with the primary marked, and never joins', async () => {
    const backend = { coordination: `${server.connectionString}/herd`, sessionTimeout: 4000 };
    for (const [name, version] of [['web-1', '1.2.0'], ['web-2', '1.2.0']] as const) {
      nodes.push(await joinCluster({ cluster: 'billing', identifier: name, address: `10.0.0.${nodes.length + 1}:7000`, version, backend }));
    }
    await waitFor(() => nodes.some((n) => n.isPrimary) && nodes.every((n) => n.primary() !== null), 15_000, 'a primary');
    const primary = nodes.find((n) => n.isPrimary)!;
    const { stdout } = await run(['cluster', 'status', '--cluster', 'billing', '--backend', backend.coordination]);
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0]!, new RegExp(`^cluster billing: 2 members, primary ${primary.identifier} \\(epoch ${primary.epoch}\\) since \\d{4}-`));
    assert.match(lines[1]!, /^IDENTIFIER\s+ADDRESS\s+VERSION\s+PRIMARY\s+SINCE$/);
    const rows = lines.slice(2).map((l) => l.split(/\s{2,}/));
    assert.deepEqual(
      rows.map((r) => r.slice(0, 3)),
      [
        ['web-1', '10.0.0.1:7000', '1.2.0'],
        ['web-2', '10.0.0.2:7000', '1.2.0'],
      ],
    );
    assert.equal(rows.find((r) => r[0] === primary.identifier)![3], `* (epoch ${primary.epoch})`);
    const json = JSON.parse((await run(['cluster', 'status', '--cluster', 'billing', '--backend', backend.coordination, '--json'])).stdout) as ClusterView;
    assert.deepEqual(json.members.map((m) => m.identifier), ['web-1', 'web-2']);
    assert.equal(json.primary?.identifier, primary.identifier);
    // Reading created nothing: still two members, no session left behind but ours.
    assert.equal(nodes[0]!.members().length, 2);
  });

  it('reads a sharedFs cluster from its directory (--shared-fs)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herd-cli-sharedfs-'));
    const fsNodes: ClusterNode[] = [];
    try {
      for (const name of ['fs-1', 'fs-2']) {
        fsNodes.push(await joinCluster({ cluster: 'jobs', identifier: name, version: '2.0.0', address: `${name}:80`, backend: { sharedFs: dir, heartbeatPort: 0, heartbeatHost: '127.0.0.1' } }));
      }
      await waitFor(() => fsNodes.some((n) => n.isPrimary), 20_000, 'a sharedFs primary');
      const primary = fsNodes.find((n) => n.isPrimary)!;
      const { stdout } = await run(['cluster', 'status', '--cluster', 'jobs', '--shared-fs', dir]);
      assert.match(stdout, new RegExp(`^cluster jobs: 2 members, primary ${primary.identifier} \\(epoch ${primary.epoch}\\)`));
      assert.match(stdout, /\nfs-1\s+fs-1:80\s+2\.0\.0/);
    } finally {
      await Promise.all(fsNodes.map((n) => n.close({ timeout: 5000 })));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports an empty cluster and refuses bad options', async () => {
    const { stdout } = await run(['cluster', 'status', '--cluster', 'nobody', '--backend', server.connectionString]);
    assert.match(stdout, /^cluster nobody: 0 members, no primary\n/);
    await assert.rejects(run(['cluster', 'status', '--backend', server.connectionString]), /--cluster <name> is required/);
    await assert.rejects(run(['cluster', 'status', '--cluster', 'x']), /one of --backend/);
  });
});
