/**
 * The web dashboard in a real browser (Chromium through playwright-core),
 * on both targets: the tree, the data viewer with its Stat and ACL panes,
 * live updates from another client, bad data (binary, 1 MiB, JSON bomb),
 * and markup in names and data rendered as text. One page per target, as a
 * user keeps one tab open. Screenshots go to build/test-artifacts/dashboard/.
 */
import assert from 'node:assert/strict';
import { after, before, it, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { serveDashboard, type DashboardServer } from '../../src/dashboard/index.js';
import { requireTool } from '../support/interop.js';
import { connect, forEachTarget, uniquePath } from '../support/targets.js';
import { chromiumAvailable, closeSharedBrowser, openPage, openPath, screenshot, sharedBrowser } from './browser.js';

const browserReady = requireTool(undefined, chromiumAvailable(), 'chromium (/usr/bin/chromium)');
const INVALID_UTF8 = Buffer.from([0xff, 0xfe, 0x41, 0xc3, 0x28, 0x00, 0x42]);
const XSS_NAME = '<img src=x onerror=window.__xss=1>';
const XSS_DATA = '<script>window.__xss=2</script><img src=x onerror="window.__xss=3">';

after(closeSharedBrowser);

forEachTarget('dashboard in chromium', (target) => {
  let dashboard: DashboardServer;
  let shared: { page: Page; errors: string[] } | undefined;
  let url = '';
  let root = '';

  before(async () => {
    if (!browserReady) return;
    const client = await connect(target());
    root = uniquePath('dash');
    await client.create(root, 'root data');
    await client.create(`${root}/json`, '{"a":[1,2],"b":{"c":"d"}}');
    await client.create(`${root}/binary`, INVALID_UTF8);
    await client.create(`${root}/big`, Buffer.alloc(1_000_000, 'x'));
    await client.create(`${root}/bomb`, '['.repeat(100_000) + ']'.repeat(100_000));
    await client.create(`${root}/${XSS_NAME}`, XSS_DATA);
    await client.create(`${root}/dir with spaces ünï`, 'spaced');
    dashboard = await serveDashboard({ connectionString: target().connectionString, port: 0, clientOptions: { requestTimeout: 15_000 } });
    url = `http://127.0.0.1:${dashboard.port}/`;
    shared = await openPage(await sharedBrowser(), `${url}#${encodeURIComponent(root)}`);
  });
  after(async () => {
    await shared?.page.context().close();
    await dashboard?.close();
  });

  /** The suite's page, at `root`; undefined (the test skipped) without chromium. */
  const page = async (t: TestContext): Promise<{ page: Page; errors: string[] } | undefined> => {
    if (!browserReady || shared === undefined) {
      t.skip('chromium not available');
      return undefined;
    }
    await openPath(shared.page, root);
    return shared;
  };

  it('tree and data viewer: children paged and sorted, JSON pretty-printed, Stat and ACL panes', { timeout: 60_000 }, async (t) => {
    const p = await page(t);
    if (p === undefined) return;
    const { page: tab, errors } = p;
    await tab.getByTestId('children-count').filter({ hasText: '1-6 of 6' }).waitFor();
    assert.deepEqual(await tab.getByTestId('child').allTextContents(), [XSS_NAME, 'big', 'binary', 'bomb', 'dir with spaces ünï', 'json']);
    await tab.getByTestId('data').filter({ hasText: /^root data$/ }).waitFor();
    await screenshot(tab, `tree-${target().name}`);
    await tab.getByTestId('child').filter({ hasText: /^json$/ }).click();
    await tab.getByTestId('node-path').filter({ hasText: `${root}/json` }).waitFor();
    assert.equal(await tab.getByTestId('data').textContent(), '{\n  "a": [\n    1,\n    2\n  ],\n  "b": {\n    "c": "d"\n  }\n}');
    assert.equal(await tab.getByTestId('stat-dataLength').textContent(), '25');
    assert.equal(await tab.getByTestId('stat-version').textContent(), '0');
    assert.match((await tab.getByTestId('acl-table').textContent()) ?? '', /worldanyonecdrwa/);
    await tab.getByTestId('mode-hex').click();
    assert.match((await tab.getByTestId('data').textContent()) ?? '', /^00000000  7b 22 61 22/);
    await openPath(tab, `${root}/dir with spaces ünï`);
    assert.equal(await tab.getByTestId('data').textContent(), 'spaced');
    await tab.getByTestId('search').fill('bi');
    await tab.getByTestId('children-count').filter({ hasText: 'no children' }).waitFor();
    assert.deepEqual(errors, []);
  });

  it('binary, 1 MiB and JSON-bomb data are shown clearly, and the page stays usable', { timeout: 60_000 }, async (t) => {
    const p = await page(t);
    if (p === undefined) return;
    const { page: tab, errors } = p;
    await openPath(tab, `${root}/binary`);
    assert.match((await tab.getByTestId('data-note').textContent()) ?? '', /not valid UTF-8 \(7 bytes\)/);
    assert.equal(await tab.getByTestId('data').textContent(), `00000000  ${'ff fe 41 c3 28 00 42'.padEnd(47)}  ..A.(.B`);
    await openPath(tab, `${root}/big`);
    assert.match((await tab.getByTestId('data-note').textContent()) ?? '', /showing the first 262144 of 1000000 characters/);
    assert.equal(await tab.getByTestId('stat-dataLength').textContent(), '1000000');
    await openPath(tab, `${root}/bomb`);
    assert.match((await tab.getByTestId('data-note').textContent()) ?? '', /JSON nested 100000 levels deep/);
    await openPath(tab, `${root}/json`);
    assert.deepEqual(errors, []);
  });

  it('renders markup in node names and data as text: no script runs', { timeout: 60_000 }, async (t) => {
    const p = await page(t);
    if (p === undefined) return;
    const { page: tab, errors } = p;
    await tab.getByTestId('child').filter({ hasText: XSS_NAME }).click();
    await tab.getByTestId('node-path').filter({ hasText: `${root}/${XSS_NAME}` }).waitFor();
    assert.equal(await tab.getByTestId('data').textContent(), XSS_DATA);
    // Give an onerror on a broken image time to fire, were one ever created.
    await tab.waitForTimeout(500);
    assert.equal(await tab.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss), undefined);
    assert.equal(await tab.locator('img, script:not([src])').count(), 0);
    assert.deepEqual(errors, []);
  });

  it('a change made by another client appears without reload', { timeout: 60_000 }, async (t) => {
    const p = await page(t);
    if (p === undefined) return;
    const { page: tab } = p;
    const other = await connect(target());
    await tab.getByTestId('children-count').filter({ hasText: '1-6 of 6' }).waitFor();
    await other.create(`${root}/late`, 'new');
    await tab.getByTestId('children-count').filter({ hasText: '1-7 of 7' }).waitFor();
    await tab.getByTestId('child').filter({ hasText: /^late$/ }).waitFor();
    assert.equal(await tab.getByTestId('data').textContent(), 'root data');
    await other.setData(root, 'changed elsewhere');
    await tab.getByTestId('data').filter({ hasText: /^changed elsewhere$/ }).waitFor();
    assert.equal(await tab.getByTestId('stat-version').textContent(), '1');
    await other.delete(`${root}/late`);
    await tab.getByTestId('children-count').filter({ hasText: '1-6 of 6' }).waitFor();
  });
});
