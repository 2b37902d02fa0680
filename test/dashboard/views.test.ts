/**
 * The dashboard's recipe views (the shell's `locks`, `members`, `election`,
 * `queue`, `barrier`), its layer views (rpc, log, tables: one tables node
 * gives all three something to show) and its read-only default, in
 * Chromium on both targets. Screenshots go to
 * build/test-artifacts/dashboard/.
 */
import assert from 'node:assert/strict';
import { after, before, it, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { joinCluster } from '../../src/cluster/index.js';
import { DoubleBarrier, Election, Queue } from '../../src/recipes/index.js';
import { readTablesStatus } from '../../src/tables/index.js';
import { removeDirs } from '../log/node/support.js';
import { startTablesEnv } from '../tables/support/harness.js';
import { serveDashboard, type DashboardServer } from '../../src/dashboard/index.js';
import { requireTool } from '../support/interop.js';
import { lockWithWaiter } from '../support/lock-with-waiter.js';
import { connect, forEachTarget, uniquePath, waitFor } from '../support/targets.js';
import { chromiumAvailable, closeSharedBrowser, openPage, screenshot, sharedBrowser } from './browser.js';

const browserReady = requireTool(undefined, chromiumAvailable(), 'chromium (/usr/bin/chromium)');

after(closeSharedBrowser);
after(removeDirs);

forEachTarget('dashboard views in chromium', (target) => {
  let dashboard: DashboardServer;
  let url = '';
  let root = '';

  before(async () => {
    if (!browserReady) return;
    const client = await connect(target());
    root = uniquePath('dash-views');
    await client.create(root, 'root data');
    await client.create(`${root}/json`, '{}');
    // Straight to the server: the test proxy in front of ZooKeeper loses the cons four-letter word's answer the locks view reads.
    dashboard = await serveDashboard({ connectionString: target().directConnectionString, port: 0 });
    url = `http://127.0.0.1:${dashboard.port}/`;
  });
  after(async () => {
    await dashboard?.close();
  });

  const page = async (t: TestContext): Promise<{ page: Page; errors: string[] } | undefined> => {
    if (!browserReady) {
      t.skip('chromium not available');
      return undefined;
    }
    return openPage(await sharedBrowser(), `${url}#${encodeURIComponent(root)}`);
  };

  it('refuses writes when read-only: no edit forms, and the action answers 403 READ_ONLY', { timeout: 60_000 }, async (t) => {
    const p = await page(t);
    if (p === undefined) return;
    const { page: tab } = p;
    await tab.getByTestId('read-only').waitFor();
    assert.equal(await tab.getByTestId('writes').count(), 0);
    assert.equal(await tab.getByTestId('mode').textContent(), 'read-only');
    await tab.context().close();
    for (const [action, args] of [
      ['create', { path: `${root}/forbidden`, data: 'x' }],
      ['set', { path: root, data: 'x' }],
      ['delete', { path: `${root}/json` }],
      ['setAcl', { path: root, acl: 'world:anyone:r' }],
    ] as const) {
      const res = await fetch(`${url}api/action`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action, args, auth: 'bob:secret' }) });
      assert.equal(res.status, 403, action);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'READ_ONLY');
    }
    const client = await connect(target());
    assert.equal(await client.exists(`${root}/forbidden`), null);
    assert.equal((await client.getACL(root)).acl[0]!.perms, 31);
  });

  it('locks and cluster views: holder and waiter, members with primary and epoch', { timeout: 90_000 }, async (t) => {
    const p = await page(t);
    if (p === undefined) return;
    const { page: tab, errors } = p;
    const { path, waiter, handOver, releaseWaiter } = await lockWithWaiter(target(), 'dash-lock');
    await tab.getByTestId('tab-locks').click();
    await tab.getByTestId('lock-input').fill(path);
    await tab.getByTestId('lock-show').click();
    await tab.getByTestId('holder').filter({ hasText: 'holder-1' }).waitFor();
    assert.match((await tab.getByTestId('waiter').textContent()) ?? '', new RegExp(`waiter-2write0x${waiter.sessionId.toString(16)}`));
    // The hosts: from cons on ZooKeeper (every word allowed here); Herd's server refuses cons on its client port by default.
    const hosts = await tab.getByTestId('host').allTextContents();
    if (target().name === 'zookeeper') {
      assert.equal(hosts.length, 2);
      for (const host of hosts) assert.match(host, /^127\.0\.0\.1:\d+$/);
      assert.equal(await tab.getByTestId('hosts-unknown').count(), 0);
    } else {
      assert.deepEqual(hosts, ['unknown', 'unknown']);
      await tab.getByTestId('hosts-unknown').waitFor();
    }
    await screenshot(tab, `locks-${target().name}`);
    await handOver();
    // The view follows the lock live: the waiter now holds it.
    await tab.getByTestId('holder').filter({ hasText: 'waiter-2' }).waitFor();
    await releaseWaiter();

    const cluster = `dash-cluster-${process.pid}-${Date.now().toString(36)}`;
    const node = await joinCluster({ cluster, identifier: 'm1', version: '1.0.0', backend: { coordination: target().connectionString } });
    try {
      await waitFor(() => node.isPrimary, 30_000, 'm1 primary');
      await tab.getByTestId('tab-cluster').click();
      await tab.getByTestId('cluster-input').fill(cluster);
      await tab.getByTestId('cluster-show').click();
      await tab.getByTestId('primary').filter({ hasText: `primary m1, epoch ${node.epoch}` }).waitFor();
      assert.match((await tab.getByTestId('members').textContent()) ?? '', /★m1-1\.0\.0/);
      await screenshot(tab, `cluster-${target().name}`);
    } finally {
      await node.close();
    }
    assert.deepEqual(errors, []);
    await tab.context().close();
  });

  it('election, queue, barrier, rpc, log and tables views', { timeout: 120_000 }, async (t) => {
    if (!browserReady) return t.skip('chromium not available');
    // Two storage nodes (E/W/A 2/2/2), so that with one closed the other still answers, and the log view counts the missing copies.
    await using env = await startTablesEnv(target(), 'dash', 2);
    const node = await env.openNode('n1');
    const { position } = await node.transaction((tx) => tx.put('items', { sku: 'A', qty: 1 }), { timeout: 30_000 });
    const client = await env.client();
    await waitFor(async () => (await readTablesStatus(client, 'dash')).members[0]?.position?.entryId === position.entryId, 30_000, 'published position');
    let release!: () => void;
    const election = new Election(client, '/election', { identifier: 'leader-a' });
    const running = election.run(() => new Promise<void>((resolve) => (release = resolve)));
    await waitFor(async () => (await client.exists('/election')) !== null && (await client.getChildren('/election')).length === 1);
    const queue = new Queue(client, '/queue');
    await queue.put('second', { priority: 5 });
    await queue.put('first <b>bold</b>', { priority: 1 });
    const member = new DoubleBarrier(client, '/barrier', 1, { identifier: 'w1' });
    await member.enter({ timeout: 30_000 });
    const session = `0x${client.sessionId.toString(16)}`;
    // The tables env is a chroot: a dashboard of that chroot shows its registry, logs and tables.
    await using layers = await serveDashboard({ connectionString: env.coordination, port: 0 });
    const { page: tab, errors } = await openPage(await sharedBrowser(), `http://127.0.0.1:${layers.port}/`);
    try {
      const lookup = async (id: string, path: string): Promise<void> => {
        await tab.getByTestId(`tab-${id}`).click();
        await tab.getByTestId(`${id}-input`).fill(path);
        await tab.getByTestId(`${id}-show`).click();
      };
      await lookup('election', '/election');
      await tab.getByTestId('leader').filter({ hasText: `leader-a${session}` }).waitFor();
      assert.match((await tab.getByTestId('election').locator('caption').textContent()) ?? '', /^\/election: leader leader-a, 0 candidates$/);
      await lookup('queue', '/queue');
      await tab.getByTestId('item').nth(1).waitFor();
      assert.deepEqual((await tab.getByTestId('item').allTextContents()).map((r) => r.replace(/^entry-\d{3}-\d{10}/, '')), ['first <b>bold</b>', 'second']);
      await lookup('barrier', '/barrier');
      await tab.getByTestId('member').filter({ hasText: `w1${session}` }).waitFor();
      assert.equal(await tab.getByTestId('barrier').locator('caption').textContent(), '/barrier: up, 1 members, ready');
      await screenshot(tab, `barrier-${target().name}`);

      await tab.getByTestId('tab-rpc').click();
      const instance = tab.getByTestId('instance').filter({ hasText: 'n1' });
      await instance.waitFor();
      assert.equal(await tab.getByTestId('service').locator('caption').textContent(), 'tables.dash: 1 instance');
      assert.match((await instance.textContent()) ?? '', /^127\.0\.0\.1:\d+n1\d+herd\/\d+.*identifier=n1.*\w/);
      await screenshot(tab, `rpc-${target().name}`);

      await tab.getByTestId('tab-log').click();
      await tab.getByTestId('log').filter({ hasText: 'tables.dash2/2/2' }).locator('a').click();
      await tab.getByTestId('log-summary').filter({ hasText: /^log tables\.dash: \d+ segments, 0 under-replicated$/ }).waitFor();
      const storage = env.storage[0]!.instanceId;
      assert.match((await tab.getByTestId('segment').last().textContent()) ?? '', new RegExp(`^\\d+OPENn1\\d+ so far.*0: .*${storage}`));
      await tab.getByTestId('storage-node').filter({ hasText: new RegExp(`^${storage}127\\.0\\.0\\.1:\\d+upyes`) }).waitFor();
      await screenshot(tab, `log-${target().name}`);

      await tab.getByTestId('tab-tables').click();
      await tab.getByTestId('tables-member').filter({ hasText: `★n11connected${position.segmentId}:` }).waitFor();
      assert.equal(await tab.getByTestId('tables-cluster').locator('caption').textContent(), 'tables dash: weight 1 of 1 connected, quorum; log never truncated');
      assert.match((await tab.getByTestId('tables-member').textContent()) ?? '', new RegExp(`${node.status.checksum.slice(0, 16)}127\\.0\\.0\\.1:\\d+$`));
      await screenshot(tab, `tables-${target().name}`);

      // The storage node goes away: its copies are missing, and the log view says so once it re-reads.
      await env.storage[0]!.close();
      await tab.getByTestId('tab-log').click();
      await tab.getByTestId('log-input').fill('tables.dash');
      await tab.getByTestId('log-show').click();
      await tab.getByTestId('log-summary').filter({ hasText: /, [1-9]\d* under-replicated$/ }).waitFor({ timeout: 60_000 });
      assert.match((await tab.getByTestId('segment').last().textContent()) ?? '', new RegExp(`${storage} \\(not live\\)`));
      // The storage nodes list still names it (its address's cookie), down.
      await tab.getByTestId('storage-node').filter({ hasText: new RegExp(`^${storage}127\\.0\\.0\\.1:\\d+downno`) }).waitFor({ timeout: 30_000 });
      assert.deepEqual(errors, []);
    } finally {
      await tab.context().close();
      release();
      await running;
      await member.leave({ timeout: 30_000 }).catch(() => undefined);
    }
  });
});
