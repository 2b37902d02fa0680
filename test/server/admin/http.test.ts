import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Client } from '../../../src/client/index.js';
import { startServer, type ServerHandle, serverInstance } from '../../../src/server/server.js';
import { TestingServer } from '../../../src/testing/index.js';
import { makeTraffic, parsePrometheus, sample } from './support.js';

/**
 * The HTTP admin server: /commands lists, /commands/<name> answers JSON as
 * ZooKeeper's AdminServer does (by primary name or alias), /metrics is
 * Prometheus text with the server's figures; and the CLI's --admin-port and
 * --log-level.
 */

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'cli', 'main.js');

type Json = Record<string, unknown>;

describe('admin server', () => {
  let dir: string;
  let zk: ServerHandle;
  let client: Client;
  let base: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herd-admin-'));
    zk = await startServer({ host: '127.0.0.1', port: 0, adminPort: 0, dataDir: dir, logLevel: 'silent' });
    base = `http://127.0.0.1:${zk.adminPort!}`;
    client = await makeTraffic(zk.connectionString);
  });

  after(async () => {
    await client?.close();
    await zk?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function command(name: string): Promise<Json> {
    const res = await fetch(`${base}/commands/${name}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    return (await res.json()) as Json;
  }

  it('GET /commands links every command by its primary name', async () => {
    const res = await fetch(`${base}/commands`);
    assert.equal(res.status, 200);
    const names = [...(await res.text()).matchAll(/<a href="\/commands\/([a-z_]+)">\1<\/a>/g)].map((m) => m[1]);
    for (const name of [
      'configuration',
      'connection_stat_reset',
      'connections',
      'dirs',
      'dump',
      'environment',
      'get_trace_mask',
      'hash',
      'is_read_only',
      'set_trace_mask',
      'monitor',
      'ruok',
      'server_stats',
      'stat_reset',
      'stats',
      'watch_summary',
      'watches',
      'watches_by_path',
    ]) {
      assert.ok(names.includes(name), `${name} listed`);
    }
    assert.deepEqual(names, [...names].sort());
  });

  it('answers by primary name and by alias, with "command" the primary name and "error" null', async () => {
    for (const [alias, primary] of [
      ['ruok', 'ruok'],
      ['srvr', 'server_stats'],
      ['server_stats', 'server_stats'],
      ['stat', 'stats'],
      ['mntr', 'monitor'],
      ['monitor', 'monitor'],
      ['cons', 'connections'],
      ['conf', 'configuration'],
      ['config', 'configuration'],
      ['envi', 'environment'],
      ['env', 'environment'],
      ['dirs', 'dirs'],
      ['wchs', 'watch_summary'],
      ['wchc', 'watches'],
      ['wchp', 'watches_by_path'],
      ['dump', 'dump'],
      ['isro', 'is_read_only'],
      ['is_read_only', 'is_read_only'],
    ]) {
      const body = await command(alias!);
      assert.equal(body.command, primary, alias);
      assert.equal(body.error, null, alias);
      const keys = Object.keys(body);
      assert.deepEqual(keys.slice(-2), ['command', 'error'], 'command and error come last, as in ZooKeeper');
    }
  });

  it('gives the data of each command', async () => {
    const sid = client.sessionId;
    const srvr = await command('srvr');
    assert.match(srvr.version as string, /^3\.8\.\d+-herd/);
    assert.equal(srvr.read_only, false);
    assert.equal(srvr.node_count, serverInstance(zk).tree.nodeCount);
    const stats = srvr.server_stats as Json;
    assert.equal(stats.server_state, 'standalone');
    assert.equal(stats.last_processed_zxid, Number(serverInstance(zk).tree.lastZxid));
    assert.ok((stats.packets_received as number) > 0);
    assert.ok((stats.data_dir_size as number) > 0);

    const stat = await command('stats');
    assert.equal((stat.connections as Json[]).length, 1);
    assert.deepEqual(Object.keys((stat.connections as Json[])[0]!), ['remote_socket_address', 'interest_ops', 'outstanding_requests', 'packets_received', 'packets_sent']);

    const mntr = await command('monitor');
    assert.equal(mntr.server_state, 'standalone');
    assert.equal(mntr.znode_count, serverInstance(zk).tree.nodeCount);
    assert.equal(mntr.ephemerals_count, 1);
    assert.equal(mntr.watch_count, 3);

    const cons = await command('connections');
    const conn = (cons.connections as Json[])[0]!;
    assert.match(conn.remote_socket_address as string, /^127\.0\.0\.1:\d+$/);
    assert.equal(conn.session_timeout, 30000);
    assert.equal(conn.last_operation, 'GETC');
    assert.deepEqual(cons.secure_connections, []);

    const conf = await command('configuration');
    assert.equal(conf.client_port, zk.port);
    assert.equal(conf.data_dir, dir);
    assert.equal(conf.tick_time, 2000);

    assert.deepEqual(await command('watch_summary'), { num_connections: 1, num_paths: 2, num_total_watches: 2, command: 'watch_summary', error: null });
    const watches = (await command('watches')).session_id_to_watched_paths as Record<string, string[]>;
    assert.deepEqual(Object.keys(watches), [sid.toString()]);
    assert.deepEqual(watches[sid.toString()]!.sort(), ['/admin-a', '/admin-missing']);
    const byPath = (await command('watches_by_path')).path_to_session_ids as Record<string, unknown[]>;
    assert.deepEqual(Object.keys(byPath).sort(), ['/admin-a', '/admin-missing']);

    const dump = await command('dump');
    assert.deepEqual(dump.session_id_to_ephemeral_paths, { [sid.toString()]: ['/admin-e'] });
    assert.equal(Object.keys(dump.expiry_time_to_session_ids as Json).length, 1);

    assert.equal((await command('environment'))['zookeeper.version'], srvr.version);
    assert.equal((await command('is_read_only')).read_only, false);
    assert.ok(((await command('dirs')).datadir_size as number) > 0);
  });

  it('writes session ids as exact integers', async () => {
    const text = await (await fetch(`${base}/commands/dump`)).text();
    assert.ok(text.includes(`"${client.sessionId}" : [ "/admin-e" ]`), text);
    assert.ok(text.includes(`[ ${client.sessionId} ]`), text);
  });

  it('get_trace_mask, set_trace_mask (traceMask from the query string) and hash, as ZooKeeper', async () => {
    assert.deepEqual(await command('gtmk'), { tracemask: 306, command: 'get_trace_mask', error: null });
    const missing = await command('set_trace_mask');
    assert.equal(missing.error, 'setTraceMask requires long traceMask argument');
    assert.equal((await command('stmk?traceMask=x1')).error, 'setTraceMask requires long traceMask argument, got x1');
    assert.deepEqual(await command('stmk?traceMask=-9223372036854775808'), { tracemask: -9223372036854775808, command: 'set_trace_mask', error: null });
    assert.equal(serverInstance(zk).traceMask, -(1n << 63n), 'a Java long, exactly');
    assert.equal((await command('set_trace_mask?traceMask=306')).tracemask, 306);
    assert.equal(serverInstance(zk).traceMask, 306n);
    assert.deepEqual(await command('hash'), { digests: [], command: 'hash', error: null });
  });

  it('reports an unknown command in "error", with status 200 as ZooKeeper does', async () => {
    assert.deepEqual(await command('nosuch'), { command: 'nosuch', error: 'Unknown command: nosuch' });
    assert.equal((await fetch(`${base}/elsewhere`)).status, 404);
  });

  it('GET /metrics is Prometheus text with the server figures', async () => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    const { samples, types } = parsePrometheus(await res.text());
    assert.equal(types.get('herd_request_latency_seconds'), 'histogram');
    assert.equal(types.get('herd_fsync_seconds'), 'histogram');
    assert.equal(types.get('herd_bytes_received_total'), 'counter');
    assert.equal(sample(samples, 'znode_count'), serverInstance(zk).tree.nodeCount);
    assert.equal(sample(samples, 'watch_count'), 3);
    assert.equal(sample(samples, 'ephemerals_count'), 1);
    assert.equal(sample(samples, 'global_sessions'), 1);
    assert.equal(sample(samples, 'num_alive_connections'), 1);
    assert.equal(typeof sample(samples, 'outstanding_requests'), 'number');
    assert.ok(sample(samples, 'packets_received')! > 0);
    assert.ok(sample(samples, 'packets_sent')! > 0);
    assert.ok(sample(samples, 'herd_bytes_received_total')! > 0);
    assert.ok(sample(samples, 'herd_bytes_sent_total')! > 0);
    assert.ok(sample(samples, 'herd_fsync_seconds_count')! > 0, 'fsyncs observed');
    for (const op of ['create', 'setData', 'getData', 'exists', 'getChildren']) {
      assert.ok(sample(samples, 'herd_request_latency_seconds_count', { op })! >= 1, op);
      assert.ok(sample(samples, 'herd_request_latency_seconds_bucket', { op, le: '+Inf' })! >= 1, op);
      assert.ok(sample(samples, 'herd_request_latency_seconds_sum', { op })! > 0, op);
    }
    assert.ok(sample(samples, 'process_cpu_user_seconds_total')! > 0, "prom-client's process metrics");
  });

  it('histogram counts grow with traffic', async () => {
    const count = async () => sample(parsePrometheus(await (await fetch(`${base}/metrics`)).text()).samples, 'herd_request_latency_seconds_count', { op: 'getData' })!;
    const before = await count();
    for (let i = 0; i < 10; i++) await client.getData('/admin-a');
    assert.equal(await count(), before + 10);
  });
});

describe('admin server options', () => {
  it('is off by default', async () => {
    const zk = await TestingServer.start();
    try {
      assert.equal(zk.adminPort, undefined);
    } finally {
      await zk.close();
    }
  });

  it('logs to a logger the embedding application passes', async () => {
    const seen: Array<{ level: string; obj: object; msg: string | undefined }> = [];
    const at = (level: string) => (obj: object, msg?: string) => void seen.push({ level, obj, msg });
    const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    const zk = await startServer({ host: '127.0.0.1', port: 0, adminPort: 0, logger });
    await zk.close();
    const listening = seen.find((e) => e.msg === 'herd server listening');
    assert.ok(listening, JSON.stringify(seen));
    assert.equal(listening.level, 'info');
    assert.equal(typeof (listening.obj as { adminPort?: number }).adminPort, 'number');
  });

  it('stops with the server', async () => {
    const zk = await startServer({ host: '127.0.0.1', port: 0, adminPort: 0, logLevel: 'silent' });
    const port = zk.adminPort!;
    assert.equal((await fetch(`http://127.0.0.1:${port}/commands/ruok`)).status, 200);
    await zk.close();
    await assert.rejects(fetch(`http://127.0.0.1:${port}/commands/ruok`));
  });

  it('herd server --admin-port serves commands; --log-level sets what the pino logger writes', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'herd-admin-cli-'));
    const child = spawn(process.execPath, [CLI, 'server', '--host', '127.0.0.1', '--port', '0', '--admin-port', '0', '--data-dir', dataDir, '--log-level', 'info'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const logLines: Json[] = [];
      const listening = await new Promise<Json>((resolve, reject) => {
        const rl = createInterface({ input: child.stderr! });
        rl.on('line', (line) => {
          const entry = JSON.parse(line) as Json;
          logLines.push(entry);
          if (entry.msg === 'herd server listening') resolve(entry);
        });
        child.once('exit', (code) => reject(new Error(`herd exited with ${code}`)));
      });
      // pino's JSON lines, level by name.
      assert.equal(listening.level, 'info');
      assert.equal(listening.name, 'herd');
      assert.equal(typeof listening.time, 'number');
      const body = (await (await fetch(`http://127.0.0.1:${listening.adminPort as number}/commands/ruok`)).json()) as Json;
      assert.deepEqual(body, { command: 'ruok', error: null });
      const srvr = (await (await fetch(`http://127.0.0.1:${listening.adminPort as number}/commands/srvr`)).json()) as Json;
      assert.equal((srvr.server_stats as Json).server_state, 'standalone');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('herd server --log-level warn leaves out info lines; an unknown level is refused', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'herd-admin-cli-'));
    try {
      // The machine may be slow to start node: give the quiet server time to start and stop cleanly.
      const run = (level: string, killAfter: number) =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, [CLI, 'server', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', level], {
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let stderr = '';
          child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
          const timer = setTimeout(() => child.kill('SIGTERM'), killAfter);
          child.once('exit', (code) => {
            clearTimeout(timer);
            resolve({ code, stderr });
          });
        });
      const quiet = await run('warn', 4000);
      assert.equal(quiet.stderr, '', 'nothing at warn or above during a clean start and stop');
      const bad = await run('loud', 30_000);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /unknown log level loud/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
