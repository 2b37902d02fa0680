/**
 * The dashboard where the view needs Herd (its admin endpoints) or where
 * one target is enough to prove the point at a test's cost: `herd server
 * --admin-port` serving the dashboard with its sessions, watches and
 * metrics views, and `herd dashboard --admin-url` reading that admin
 * server; writes behind digest credentials with --allow-writes; 100,000
 * children under one parent, listed without hanging; and a server that
 * goes away mid-listing, which the page says and survives.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Acls, createClient, digestId, op, Perms, type Client } from '../../src/index.js';
import { adminFetcher, BadArgumentsError, serveDashboard, type DashboardServer } from '../../src/dashboard/index.js';
import { requireTool } from '../support/interop.js';
import { connect, forEachTarget, uniquePath, waitFor, type Target } from '../support/targets.js';
import { lockWithWaiter } from '../support/lock-with-waiter.js';
import { HERD_CLI } from '../shell/run-shell.js';
import { startProxy } from '../support/tcp-proxy.js';
import { startDashboardProcess } from './run-dashboard.js';
import { chromiumAvailable, closeSharedBrowser, openPage, openPath, screenshot, sharedBrowser } from './browser.js';

const browserReady = requireTool(undefined, chromiumAvailable(), 'chromium (/usr/bin/chromium)');

after(closeSharedBrowser);

/** `herd server --port 0 --admin-port 0` as a child process, and the URLs its startup block prints. */
async function startCli(dataDir: string, extra: readonly string[] = []): Promise<{ child: ChildProcess; connectionString: string; dashboard: string }> {
  const child = spawn(process.execPath, [HERD_CLI, 'server', '--port', '0', '--admin-port', '0', '--log-level', 'warn', '--data-dir', dataDir, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  await waitFor(() => /\n  logs /.test(out) || child.exitCode !== null, 30_000, 'herd server started');
  const conn = /connect string (\S+)\)/.exec(out)?.[1];
  const dashboard = /dashboard +(http:\S+)/.exec(out)?.[1];
  assert.ok(conn !== undefined && dashboard !== undefined, `startup block without a dashboard:\n${out}`);
  return { child, connectionString: conn, dashboard };
}

describe('dashboard on herd server --admin-port', { skip: browserReady ? false : 'chromium not available' }, () => {
  let cli: Awaited<ReturnType<typeof startCli>>;
  let dataDir = '';
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'herd-dash-'));
    cli = await startCli(dataDir);
  });
  after(async () => {
    cli?.child.kill('SIGTERM');
    if (cli !== undefined && cli.child.exitCode === null) await once(cli.child, 'exit');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the dashboard at /, with sessions, watches and metrics charts from the admin server', { timeout: 60_000 }, async () => {
    const watcher = createClient(cli.connectionString, { sessionTimeout: 4000 });
    try {
      await watcher.connect();
      await watcher.create('/watched', 'w');
      await watcher.getData('/watched', { watch: () => undefined });
      const { page, errors } = await openPage(await sharedBrowser(), cli.dashboard);
      await page.getByTestId('tab-server').click();
      await page.getByTestId('watch').filter({ hasText: `0x${watcher.sessionId.toString(16)}/watched` }).waitFor();
      assert.ok((await page.getByTestId('session').count()) >= 2, 'the dashboard session and the watcher');
      // Session ids are 64-bit: shown exact, in hex, as the client knows its own.
      await page.getByTestId('session').filter({ hasText: `0x${watcher.sessionId.toString(16)}` }).waitFor({ timeout: 5_000 });
      await screenshot(page, 'server-herd');
      // The locks view names each contender's host from the admin server's cons.
      const lock = await lockWithWaiter({ connectionString: cli.connectionString } as Target, 'dash-admin-lock');
      try {
        const cons = await (await fetch(`${cli.dashboard}commands/cons`)).text();
        const hostOf = (c: Client): string => new RegExp(`"remote_socket_address"\\s*:\\s*"([^"]+)"[^{}]*"session_id"\\s*:\\s*${c.sessionId}\\b`).exec(cons)![1]!;
        await page.getByTestId('tab-locks').click();
        await page.getByTestId('lock-input').fill(lock.path);
        await page.getByTestId('lock-show').click();
        await page.getByTestId('holder').filter({ hasText: 'holder-1' }).waitFor();
        assert.deepEqual(await page.getByTestId('host').allTextContents(), [hostOf(lock.holder), hostOf(lock.waiter)]);
      } finally {
        await lock.handOver();
        await lock.releaseWaiter();
        await Promise.all([lock.holder.close(), lock.waiter.close()]);
      }
      await page.getByTestId('tab-metrics').click();
      for (const chart of ['requests', 'latency', 'outstanding', 'znodes', 'connections']) await page.getByTestId(`chart-${chart}`).locator('canvas').waitFor();
      // A rate needs two samples (2 s apart): the charts then draw lines.
      await page.locator('[data-testid="metrics-view"][data-samples="3"]').waitFor();
      await screenshot(page, 'metrics-herd');
      assert.deepEqual(errors, []);
      await page.context().close();
      const res = await fetch(`${cli.dashboard}api/action`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'delete', args: { path: '/watched' }, auth: 'a:b' }) });
      assert.equal(res.status, 403, 'herd server mounts a read-only dashboard');
    } finally {
      await watcher.close();
    }
  });

  it('herd server --dashboard-allow-writes: writes with digest credentials only; without --admin-port the flag is refused', { timeout: 60_000 }, async () => {
    const refused = spawnSync(process.execPath, [HERD_CLI, 'server', '--port', '0', '--dashboard-allow-writes'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, /--dashboard-allow-writes needs the admin server/);
    const dir = mkdtempSync(join(tmpdir(), 'herd-dash-writes-'));
    const writable = await startCli(dir, ['--dashboard-allow-writes']);
    const client = createClient(writable.connectionString, { sessionTimeout: 4000 });
    try {
      await client.connect();
      await client.create('/doomed', 'd');
      const remove = (auth?: string) =>
        fetch(`${writable.dashboard}api/action`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'delete', args: { path: '/doomed' }, ...(auth === undefined ? {} : { auth }) }) });
      const anonymous = await remove();
      assert.equal(anonymous.status, 401);
      assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'AUTH_REQUIRED');
      assert.notEqual(await client.exists('/doomed'), null, 'nothing deleted without credentials');
      assert.equal((await remove('op:secret')).status, 200);
      assert.equal(await client.exists('/doomed'), null);
    } finally {
      await client.close();
      writable.child.kill('SIGTERM');
      if (writable.child.exitCode === null) await once(writable.child, 'exit');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('herd dashboard --admin-url reads the sessions and watches of that admin server; an unreachable one is told as ADMIN_UNAVAILABLE', { timeout: 60_000 }, async () => {
    const admin = new URL(cli.dashboard).origin;
    await using dashboard = await startDashboardProcess(['--connect', cli.connectionString, '--admin-url', admin]);
    assert.equal(((await (await fetch(`${dashboard.url}api/info`)).json()) as { admin: boolean }).admin, true);
    const { page, errors } = await openPage(await sharedBrowser(), dashboard.url);
    try {
      await page.getByTestId('tab-server').click();
      // Its own read session is one of the admin server's sessions.
      await page.getByTestId('session').first().waitFor();
      await page.getByTestId('watch').filter({ hasText: /\// }).first().waitFor();
      await page.getByTestId('tab-metrics').click();
      await page.getByTestId('chart-znodes').locator('canvas').waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await page.context().close();
    }
    // An admin server that does not answer: the views say why, with 503.
    await using unreachable = await serveDashboard({ connectionString: cli.connectionString, port: 0, admin: adminFetcher('http://127.0.0.1:9/') });
    const res = await fetch(`http://127.0.0.1:${unreachable.port}/api/action`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'admin', args: { command: 'cons' } }) });
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as { error: { code: string; message: string } }).error.message, /^admin cons at http:\/\/127\.0\.0\.1:9\/commands\/cons: /);
    assert.throws(() => adminFetcher('ftp://127.0.0.1/'), BadArgumentsError);
  });
});

forEachTarget(
  'dashboard on herd: writes and scale',
  (target) => {
    let dashboard: DashboardServer;
    let url = '';
    before(async () => {
      if (!browserReady) return;
      dashboard = await serveDashboard({ connectionString: target().connectionString, port: 0, allowWrites: true });
      url = `http://127.0.0.1:${dashboard.port}/`;
    });
    after(async () => {
      await dashboard?.close();
    });

    it('with --allow-writes, set, create, setAcl and delete run with the digest given, and are refused without it', { timeout: 60_000 }, async (t) => {
      if (!browserReady) return t.skip('chromium not available');
      const owner = await connect(target(), { auth: [{ scheme: 'digest', credentials: 'bob:secret' }] });
      const path = uniquePath('dash-write');
      await owner.create(path, 'before', { acl: [...Acls.readUnsafe, { perms: Perms.all, id: { scheme: 'digest', id: digestId('bob', 'secret') } }] });
      const { page, errors } = await openPage(await sharedBrowser(), `${url}#${encodeURIComponent(path)}`);
      await page.getByTestId('mode').filter({ hasText: 'writes allowed' }).waitFor();
      await page.getByTestId('edit-data').fill('after');
      await page.getByTestId('set').click();
      await page.getByTestId('write-message').filter({ hasText: 'set: AUTH_REQUIRED' }).waitFor();
      await page.getByTestId('auth').fill('eve:guess');
      await page.getByTestId('set').click();
      await page.getByTestId('write-message').filter({ hasText: 'set: NOAUTH' }).waitFor();
      assert.equal((await owner.getData(path)).data?.toString(), 'before');
      await page.getByTestId('auth').fill('bob:secret');
      await page.getByTestId('set').click();
      await page.getByTestId('write-message').filter({ hasText: 'set: done' }).waitFor();
      // The change comes back through the live stream.
      await page.getByTestId('data').filter({ hasText: /^after$/ }).waitFor();
      await page.getByTestId('child-name').fill('made-here');
      await page.getByTestId('create').click();
      await page.getByTestId('child').filter({ hasText: /^made-here$/ }).waitFor();
      await screenshot(page, 'writes-herd');
      await openPath(page, `${path}/made-here`);
      await page.getByTestId('auth').fill('bob:secret');
      await page.getByTestId('acl').fill('world:anyone:r');
      await page.getByTestId('set-acl').click();
      await page.getByTestId('write-message').filter({ hasText: 'setAcl: done' }).waitFor();
      assert.equal((await owner.getACL(`${path}/made-here`)).acl[0]!.perms, Perms.read);
      await page.getByTestId('delete').click();
      await page.getByTestId('node-error').filter({ hasText: 'NONODE' }).waitFor();
      assert.equal(await owner.exists(`${path}/made-here`), null);
      assert.deepEqual(errors, []);
      await page.context().close();
    });

    it('lists 100,000 children under one parent, paged, searchable and streamed', { timeout: 120_000 }, async (t) => {
      if (!browserReady) return t.skip('chromium not available');
      // The in-process server shares this event loop: a long timeout keeps the session through 100,000 creates.
      const client = await connect(target(), { sessionTimeout: 30_000, requestTimeout: 60_000 });
      const parent = uniquePath('dash-wide');
      await client.create(parent, null);
      const COUNT = 100_000;
      const BATCH = 1_000;
      const batches: number[] = [];
      for (let i = 0; i < COUNT; i += BATCH) batches.push(i);
      // Two multis in flight at a time: the server pipelines them.
      for (let i = 0; i < batches.length; i += 2) {
        await Promise.all(
          batches.slice(i, i + 2).map((start) => client.multi(Array.from({ length: BATCH }, (_, k) => op.create(`${parent}/${start + k}`, null)))),
        );
      }
      const { page, errors } = await openPage(await sharedBrowser(), `${url}#${encodeURIComponent(parent)}`);
      await page.getByTestId('children-count').filter({ hasText: '1-200 of 100000' }).waitFor();
      assert.equal(await page.getByTestId('child').count(), 200);
      await page.getByTestId('next').click();
      await page.getByTestId('children-count').filter({ hasText: '201-400 of 100000' }).waitFor();
      await page.getByTestId('search').fill('99999');
      await page.getByTestId('children-count').filter({ hasText: '1-1 of 1' }).waitFor();
      assert.deepEqual(await page.getByTestId('child').allTextContents(), ['99999']);
      await screenshot(page, 'wide-herd');
      assert.deepEqual(errors, []);
      await page.context().close();
      const res = await fetch(`${url}api/children?path=${encodeURIComponent(parent)}`);
      const lines = (await res.text()).split('\n').filter((l) => l !== '');
      assert.equal(lines.length, COUNT);
      assert.equal(JSON.parse(lines[0]!), '0');
    });

    it('a server that goes away mid-listing: the page says so, keeps working, and lists again once it is back', { timeout: 90_000 }, async (t) => {
      if (!browserReady) return t.skip('chromium not available');
      const client = await connect(target());
      const parent = uniquePath('dash-cut');
      await client.create(parent, null);
      await client.multi(Array.from({ length: 450 }, (_, i) => op.create(`${parent}/${String(i).padStart(3, '0')}`, null)));
      // The dashboard's session goes through a proxy of its own, which the test cuts.
      const proxy = await startProxy(target().host, target().port);
      await using cut = await serveDashboard({ connectionString: proxy.connectionString, port: 0, clientOptions: { sessionTimeout: 30_000 } });
      const { page, errors } = await openPage(await sharedBrowser(), `http://127.0.0.1:${cut.port}/#${encodeURIComponent(parent)}`);
      try {
        await page.getByTestId('children-count').filter({ hasText: '1-200 of 450' }).waitFor();
        await page.getByTestId('server-state').filter({ hasText: 'server connected' }).waitFor();
        // The next page's request is on the wire when the connection drops, and no new one is let in.
        proxy.setLatency(1_000);
        await page.getByTestId('next').click();
        await new Promise((resolve) => setTimeout(resolve, 300));
        await proxy.reject(true);
        proxy.dropConnections();
        await page.getByTestId('children-error').filter({ hasText: /^CONNECTIONLOSS: / }).waitFor();
        await page.getByTestId('server-state').filter({ hasText: 'server unreachable: reconnecting' }).waitFor();
        await screenshot(page, 'disconnected-herd');
        // The page itself is fine: its stream to the dashboard is up.
        assert.equal(await page.getByTestId('live').textContent(), 'live');
        proxy.setLatency(0);
        await proxy.reject(false);
        await page.getByTestId('server-state').filter({ hasText: 'server connected' }).waitFor();
        // The resync after the reconnect reads again what the page shows, without a reload, and paging goes on.
        await page.getByTestId('children-count').filter({ hasText: '201-400 of 450' }).waitFor();
        await page.getByTestId('next').click();
        await page.getByTestId('children-count').filter({ hasText: '401-450 of 450' }).waitFor();
        assert.equal(await page.getByTestId('children-error').count(), 0);
        assert.deepEqual(errors, []);
      } finally {
        await page.context().close();
        await proxy.close();
      }
    });
  },
  { targets: ['herd'] },
);
