/**
 * The dashboard's recipe views (the shell's `locks` and `members`) and its
 * read-only default, in Chromium on both targets. Screenshots go to
 * build/test-artifacts/dashboard/.
 */
import assert from 'node:assert/strict';
import { after, before, it, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { joinCluster } from '../../src/cluster/index.js';
import { serveDashboard, type DashboardServer } from '../../src/dashboard/index.js';
import { requireTool } from '../support/interop.js';
import { lockWithWaiter } from '../support/lock-with-waiter.js';
import { connect, forEachTarget, uniquePath, waitFor } from '../support/targets.js';
import { chromiumAvailable, closeSharedBrowser, openPage, screenshot, sharedBrowser } from './browser.js';

const browserReady = requireTool(undefined, chromiumAvailable(), 'chromium (/usr/bin/chromium)');

after(closeSharedBrowser);

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
    dashboard = await serveDashboard({ connectionString: target().connectionString, port: 0 });
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
});
