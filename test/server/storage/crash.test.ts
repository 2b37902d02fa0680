import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { createClient, type Client } from '../../../src/client/index.js';
import { freePort } from '../../support/ports.js';
import { RawSession } from '../../support/raw-session.js';

/**
 * The durability promise: an acknowledged write survives kill -9. A child
 * `herd server` (fsync on) takes concurrent writes from several clients and
 * is killed with SIGKILL at a random moment, several rounds over the same
 * data directory. After each restart every acknowledged write is there,
 * sequential suffixes continue without reuse, and the ephemeral of a session
 * that died with the server is gone once its timeout passes.
 */

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../../src/cli/main.js');
const ROUNDS = 4;
const WRITERS = 4;
const TICK = 300; // session timeouts from 600 ms

function startChild(port: number, dataDir: string): ChildProcess {
  return spawn(process.execPath, [CLI, 'server', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, '--tick-time', String(TICK), '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server on ${port} did not come up`);
}

interface Acked {
  /** Sequential paths acknowledged, with their data. */
  seq: Map<string, string>;
  /** Highest counter acknowledged per writer's counter node. */
  counters: Map<string, number>;
}

async function writer(cs: string, id: number, acked: Acked, stop: { now: boolean }): Promise<void> {
  const client: Client = createClient(cs, { sessionTimeout: 2000, connectTimeout: 2000 });
  try {
    await client.connect();
    const counterPath = `/crash/counter-${id}`;
    let counter = acked.counters.get(counterPath) ?? 0;
    await client.create(counterPath, Buffer.from(String(counter))).catch(() => {});
    while (!stop.now) {
      const data = `w${id}-${counter + 1}`;
      // Pipeline a few writes at once so the server batches them into one fsync.
      const created = client.create('/crash/seq-', Buffer.from(data), { mode: 'persistentSequential' });
      const set = client.setData(counterPath, Buffer.from(String(counter + 1)));
      const [path] = await Promise.all([created, set]);
      acked.seq.set(path, data);
      counter++;
      acked.counters.set(counterPath, counter);
    }
  } catch {
    // The server was killed under us: whatever was acknowledged is recorded.
  } finally {
    await Promise.race([client.close().catch(() => {}), new Promise((r) => setTimeout(r, 200))]);
  }
}

describe('crash durability (kill -9)', () => {
  it(`keeps every acknowledged write through ${ROUNDS} SIGKILLs under load`, { timeout: 120_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'herd-crash-'));
    const port = await freePort();
    const cs = `127.0.0.1:${port}`;
    const acked: Acked = { seq: new Map(), counters: new Map() };
    let child = startChild(port, dataDir);
    try {
      await waitListening(port);
      const setup = createClient(cs);
      await setup.connect();
      await setup.create('/crash', null);
      await setup.close();
      let deadEphemeral: string | null = null;

      for (let round = 0; round < ROUNDS; round++) {
        // An ephemeral whose session dies with the server and never comes back.
        const raw = await RawSession.connect(cs, { timeout: TICK * 2 });
        const eph = await raw.send('create', { path: `/crash/eph-${round}`, data: null, acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 1 });
        assert.equal(eph.header.err, 0);

        const stop = { now: false };
        const writers = Array.from({ length: WRITERS }, (_, i) => writer(cs, i, acked, stop));
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        stop.now = true;
        await Promise.all(writers);
        raw.close();

        child = startChild(port, dataDir);
        await waitListening(port);
        const checker = createClient(cs, { sessionTimeout: 4000 });
        await checker.connect();
        const children = new Set(await checker.getChildren('/crash'));
        for (const [path, data] of acked.seq) {
          const name = path.slice('/crash/'.length);
          assert.ok(children.has(name), `round ${round}: acknowledged ${path} lost`);
          assert.equal((await checker.getData(path)).data?.toString(), data);
        }
        for (const [path, counter] of acked.counters) {
          const value = Number((await checker.getData(path)).data?.toString());
          assert.ok(value >= counter, `round ${round}: ${path} is ${value}, acknowledged ${counter}`);
        }
        // Sequence numbers continue past every suffix ever handed out.
        const suffixes = [...children].filter((c) => c.startsWith('seq-')).map((c) => Number(c.slice(4)));
        const next = await checker.create('/crash/seq-', null, { mode: 'persistentSequential' });
        assert.ok(Number(next.slice('/crash/seq-'.length)) > Math.max(-1, ...suffixes), `suffix reused: ${next}`);
        await checker.delete(next);
        // The previous round's dead ephemeral is gone after its timeout (restored sessions get a full timeout).
        deadEphemeral = `/crash/eph-${round}`;
        const deadline = Date.now() + 10 * TICK * 2;
        while ((await checker.exists(deadEphemeral)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        assert.equal(await checker.exists(deadEphemeral), null, `ephemeral ${deadEphemeral} of a dead session survived`);
        await checker.close();
      }
      assert.ok(acked.seq.size > 50, `only ${acked.seq.size} writes acknowledged: the load did not run`);
    } finally {
      child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
