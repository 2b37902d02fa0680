/**
 * `herd dashboard` as a user runs it, and the backend's HTTP protocol
 * without a browser: the UI and its security headers, the typed actions'
 * refusals (unknown action, bad arguments, no such node, a form post),
 * and the change stream.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { connect, forEachTarget, uniquePath, waitFor } from '../support/targets.js';
import { startDashboardProcess, type DashboardProcess } from './run-dashboard.js';

forEachTarget(
  'herd dashboard',
  (target) => {
    let dashboard: DashboardProcess | undefined;
    let url = '';
    before(async () => {
      dashboard = await startDashboardProcess(['--connect', target().connectionString, '--allow-writes', '--timeout', '3000']);
      url = dashboard.url;
      assert.match(dashboard.banner, /^herd dashboard: http:\/\/127\.0\.0\.1:\d+\/ \(writes allowed\) for /);
    });
    after(() => dashboard?.close());

    const action = (body: unknown, type = 'application/json') => fetch(`${url}api/action`, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify(body) });

    it('serves the UI with a strict content security policy, and says what it allows', { timeout: 30_000 }, async () => {
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.match(await page.text(), /<script type="module" src="\/assets\/app.js">/);
      assert.equal((await fetch(`${url}assets/app.js`)).status, 200);
      assert.equal((await fetch(`${url}assets/..%2F..%2Fpackage.json`)).status, 404);
      assert.deepEqual(await (await fetch(`${url}api/info`)).json(), { allowWrites: true, admin: false, connectionString: target().connectionString });
    });

    it('refuses what is not in the list of actions, with the error code and an HTTP status', { timeout: 30_000 }, async () => {
      const cases: [unknown, number, string][] = [
        [{ action: 'rmr', args: { path: '/' } }, 400, 'BADARGUMENTS'],
        [{ action: 'children', args: { path: 7 } }, 400, 'BADARGUMENTS'],
        [{ action: 'children', args: { path: '/', limit: 100_000 } }, 400, 'BADARGUMENTS'],
        [{ action: 'node', args: { path: '/no/such/node' } }, 404, 'NONODE'],
        [{ action: 'create', args: { path: '/x' } }, 401, 'AUTH_REQUIRED'],
        [{ action: 'admin', args: { command: 'mntr' } }, 400, 'BADARGUMENTS'],
      ];
      for (const [body, status, code] of cases) {
        const res = await action(body);
        assert.equal(res.status, status, JSON.stringify(body));
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, code);
      }
      assert.equal((await action({ action: 'node', args: { path: '/' } }, 'application/x-www-form-urlencoded')).status, 400, 'a form post cannot run an action');
    });

    it('says the server is gone while it is, and works again once it is back', { timeout: 60_000 }, async () => {
      await target().stop();
      try {
        const res = await action({ action: 'children', args: { path: '/' } });
        assert.equal(res.status, 503);
        assert.match(((await res.json()) as { error: { code: string } }).error.code, /^(CONNECTIONLOSS|OPERATIONTIMEOUT)$/);
      } finally {
        await target().start();
      }
      await waitFor(async () => (await action({ action: 'children', args: { path: '/' } })).status === 200, 30_000, 'the dashboard reads again');
    });

    it('pushes changes seen by its persistent recursive watch as Server-Sent Events', { timeout: 30_000 }, async () => {
      const controller = new AbortController();
      const res = await fetch(`${url}api/events`, { signal: controller.signal });
      assert.equal(res.headers.get('content-type'), 'text/event-stream');
      const reader = res.body!.getReader();
      let text = '';
      const path = uniquePath('dash-sse');
      const client = await connect(target());
      await reader.read();
      await client.create(path, 'a');
      await client.setData(path, 'b');
      while (!text.includes('nodeDataChanged')) text += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      assert.match(text, new RegExp(`data: \\{"type":"nodeCreated","path":"${path}"\\}\\n\\n(: ping\\n\\n)?data: \\{"type":"nodeDataChanged","path":"${path}"\\}`));
    });
  },
  { targets: ['herd'] },
);
