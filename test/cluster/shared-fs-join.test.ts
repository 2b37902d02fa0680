/**
 * End to end through joinCluster with `{ sharedFs }`: members as child
 * processes (worker.ts), heartbeats through a UDP relay. The node's
 * callbacks keep the backend's order: an isolated primary's onSecondary runs
 * before its successor's onPrimary; a newer version supersedes the others.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { JoinClusterOptions } from '../../src/cluster/index.js';
import { freeUdpPorts, startUdpRelay } from '../support/udp-relay.js';
import { Worker } from './support.js';

describe('joinCluster with the sharedFs backend', () => {
  it('members, one primary; an isolated primary gives way (onSecondary first) and rejoins; a newer version takes over', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herd-shared-fs-join-'));
    const relay = await startUdpRelay();
    const workers: Worker[] = [];
    const start = async (name: string, version: string): Promise<Worker> => {
      const [port] = await freeUdpPorts(1);
      const front = await relay.add(name, port!);
      const options: JoinClusterOptions = {
        cluster: 'e2e',
        identifier: name,
        version,
        address: `127.0.0.1:${port}`,
        backend: { sharedFs: dir, heartbeatPort: port, heartbeatHost: '127.0.0.1', heartbeatBindHost: '127.0.0.1', heartbeatAdvertisePort: front },
      };
      const w = Worker.start(options);
      workers.push(w);
      await w.waitFor((e) => e.event === 'joined', 30_000, 'joined');
      return w;
    };
    const lastMembers = (w: Worker): string[] | undefined => w.events.filter((e) => e.event === 'members' || e.event === 'joined').at(-1)?.members;
    const until = async (check: () => boolean, what: string, ms = 20_000): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      for (const name of ['a', 'b', 'c']) await start(name, '1.0.0');
      await until(() => workers.every((w) => lastMembers(w)?.length === 3), 'three members everywhere');
      await until(() => workers.filter((w) => w.isPrimary).length === 1, 'a primary');
      const old = workers.find((w) => w.isPrimary)!;
      const oldEpoch = old.events.find((e) => e.event === 'primary')!.epoch!;

      relay.isolate(old.name, true);
      const secondary = await old.waitFor((e) => e.event === 'secondary', 20_000, 'onSecondary');
      const others = workers.filter((w) => w !== old);
      const primary = await Promise.any(others.map((w) => w.waitFor((e) => e.event === 'primary', 20_000, 'onPrimary')));
      assert.ok(secondary.at <= primary.at, `onSecondary at ${secondary.at}, successor's onPrimary at ${primary.at}`);
      assert.ok(primary.epoch! > oldEpoch);
      relay.restore();
      await until(() => workers.every((w) => lastMembers(w)?.length === 3), 'the old primary back as a member');
      assert.equal(old.isPrimary, false);
      assert.equal(workers.filter((w) => w.isPrimary).length, 1);

      // A rolling upgrade: the newer version joins, the old ones exit, it becomes primary.
      const next = await start('d', '2.0.0');
      for (const w of workers.slice(0, 3)) await w.waitFor((e) => e.event === 'exit', 30_000, 'superseded');
      const p = await next.waitFor((e) => e.event === 'primary', 20_000, 'the new version primary');
      assert.ok(p.epoch! > primary.epoch!);
      await until(() => lastMembers(next)?.join() === 'd', 'only the new version left');
    } finally {
      for (const w of workers) w.kill();
      await Promise.all(workers.map((w) => w.exited));
      await relay.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
