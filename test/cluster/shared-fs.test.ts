import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterMember, ClusterView, PrimaryInfo } from '../../src/cluster/backend.js';
import { createExclusive, writeAtomic } from '../../src/cluster/shared-fs/files.js';
import { DuplicateMemberError } from '../../src/cluster/errors.js';
import { SharedFsBackend, readSharedFsView, type SharedFsOptions } from '../../src/cluster/shared-fs/index.js';
import { ClusterStore, parseLeaseRecord } from '../../src/cluster/shared-fs/store.js';

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function member(name: string, data: ClusterMember['data'] = null): ClusterMember {
  return { identifier: name, address: `${name}:7000`, version: '1.0.0', data, joinedAt: Date.now() };
}

/** A backend in this process with its events recorded. */
function node(dir: string, extra: Partial<SharedFsOptions> = {}) {
  const backend = new SharedFsBackend({ dir, cluster: 'c1', heartbeatPort: 0, heartbeatBindHost: '127.0.0.1', heartbeatHost: '127.0.0.1', ...extra });
  const events: { ev: string; at: number; view?: ClusterView; info?: PrimaryInfo }[] = [];
  backend.on('view', (view) => events.push({ ev: 'view', at: Date.now(), view }));
  backend.on('elected', (info) => events.push({ ev: 'elected', at: Date.now(), info }));
  backend.on('deposed', () => events.push({ ev: 'deposed', at: Date.now() }));
  backend.on('degraded', () => events.push({ ev: 'degraded', at: Date.now() }));
  backend.on('recovered', () => events.push({ ev: 'recovered', at: Date.now() }));
  const lastView = (): ClusterView | undefined => events.filter((e) => e.ev === 'view').at(-1)?.view;
  const isPrimary = (): boolean => events.filter((e) => e.ev === 'elected' || e.ev === 'deposed').at(-1)?.ev === 'elected';
  return { backend, events, lastView, isPrimary };
}

describe('sharedFs files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herd-shared-fs-files-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('createExclusive: of many concurrent creators of one name exactly one wins, and its content is whole', async () => {
    for (let round = 0; round < 5; round++) {
      const path = join(dir, `x${round}.json`);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => createExclusive(path, JSON.stringify({ writer: i, pad: 'p'.repeat(5000) }))));
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      assert.equal((JSON.parse(await readFile(path, 'utf8')) as { writer: number }).writer, winner);
    }
    // No temp file is left behind.
    assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.tmp')), []);
  });

  it('writeAtomic: a reader never sees a partial or empty file', async () => {
    const path = join(dir, 'atomic.json');
    await writeAtomic(path, JSON.stringify({ n: -1 }));
    let stop = false;
    let reads = 0;
    const reader = (async () => {
      while (!stop) {
        const v = JSON.parse(await readFile(path, 'utf8')) as { n: number };
        assert.ok(v.n >= -1);
        reads++;
      }
    })();
    for (let n = 0; n < 100; n++) await writeAtomic(path, JSON.stringify({ n, pad: 'q'.repeat(20_000) }));
    stop = true;
    await reader;
    assert.ok(reads > 0);
    assert.equal((JSON.parse(await readFile(path, 'utf8')) as { n: number }).n, 99);
  });
});

// Side by side: each test has its own shared directory, and most of each is waiting on leases and heartbeats.
describe('sharedFs backend (in one process)', { concurrency: true }, () => {
  const dirs: string[] = [];
  /** A shared directory of the test's own, removed after the suite. */
  const ownDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'herd-shared-fs-'));
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('members see each other with their data; one primary; epochs increase across tenures; leave is seen', async () => {
    const dir = await ownDir();
    const a = node(dir);
    const b = node(dir);
    try {
      await a.backend.start(member('a', { role: 'web' }));
      await b.backend.start(member('b', [1, 2]));
      await until(() => a.lastView()?.members.length === 2 && b.lastView()?.members.length === 2, 'both see both');
      assert.deepEqual(a.lastView()!.members.map((m) => [m.identifier, m.data]), [['a', { role: 'web' }], ['b', [1, 2]]]);
      assert.equal(b.lastView()!.members[0]!.address, 'a:7000');
      // Published data reaches the other member's view.
      await a.backend.publish({ role: 'db', shards: [1, 2] });
      await until(() => JSON.stringify(b.lastView()?.members[0]?.data) === '{"role":"db","shards":[1,2]}', 'the new data');
      assert.deepEqual(a.lastView()!.members[0]!.data, { role: 'db', shards: [1, 2] });

      await Promise.all([a.backend.setCandidate(true), b.backend.setCandidate(true)]);
      await until(() => a.isPrimary() || b.isPrimary(), 'a primary');
      const [first, second] = a.isPrimary() ? [a, b] : [b, a];
      const epoch1 = first.events.find((e) => e.ev === 'elected')!.info!.epoch;
      await until(() => second.lastView()?.primary?.epoch === epoch1, 'the other sees the primary');
      assert.equal(second.isPrimary(), false);

      // Its renewals keep it primary well past one lease.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      assert.equal(first.isPrimary(), true);
      assert.equal(second.events.some((e) => e.ev === 'elected'), false);

      // Resigning hands the role over with a higher epoch, after deposed.
      await first.backend.setCandidate(false);
      const deposedAt = first.events.find((e) => e.ev === 'deposed')!.at;
      await until(() => second.isPrimary(), 'the successor');
      const elected = second.events.find((e) => e.ev === 'elected')!;
      assert.ok(elected.info!.epoch > epoch1);
      assert.ok(elected.at >= deposedAt);

      // And back: a third tenure, a third epoch.
      await first.backend.setCandidate(true);
      await second.backend.setCandidate(false);
      await until(() => first.events.filter((e) => e.ev === 'elected').length === 2, 'a third tenure');
      assert.ok(first.events.filter((e) => e.ev === 'elected')[1]!.info!.epoch > elected.info!.epoch);

      // The status command's view, without joining.
      const view = await readSharedFsView(dir, 'c1');
      assert.deepEqual(view.members.map((m) => m.identifier), ['a', 'b']);
      assert.equal(view.primary?.identifier, first === a ? 'a' : 'b');

      await second.backend.close();
      await until(() => first.lastView()?.members.length === 1, 'the leaver is gone');
      assert.deepEqual((await readSharedFsView(dir, 'c1')).members.map((m) => m.identifier), [first === a ? 'a' : 'b']);
    } finally {
      await a.backend.close();
      await b.backend.close();
    }
    // Nothing of either is left but the lease history.
    assert.deepEqual(await readdir(join(dir, 'c1', 'members')), []);
  });

  it('refuses a second live member with the same name; takes over the file of a dead one', async () => {
    const dir = await ownDir();
    const a = node(dir);
    const b = node(dir);
    const c = node(dir);
    try {
      await a.backend.start(member('dup'));
      await assert.rejects(b.backend.start(member('dup')), DuplicateMemberError);
      assert.deepEqual((await readSharedFsView(dir, 'c1')).members.map((m) => m.identifier), ['dup']);
      await a.backend.close();
      // A process that died without leaving: its file is recent but no longer rewritten.
      const store = new ClusterStore(dir, 'c1');
      await store.writeMember({
        format: 1,
        member: member('dup'),
        heartbeat: { host: '127.0.0.1', port: 9 },
        incarnation: 'dead',
        candidate: true,
        hears: [],
        writtenAt: Date.now(),
      });
      const started = Date.now();
      await c.backend.start(member('dup', 'new'));
      assert.ok(Date.now() - started < 10_000);
      assert.equal((await store.readMember('dup'))?.member.data, 'new');
    } finally {
      await a.backend.close();
      await c.backend.close();
    }
  });

  it('ignores malformed datagrams and malformed member files', async () => {
    const dir = await ownDir();
    const a = node(dir);
    try {
      await a.backend.start(member('m1'));
      await writeFile(join(dir, 'c1', 'members', 'junk.json'), '{"format":1,"member":');
      await writeFile(join(dir, 'c1', 'members', 'other.json'), JSON.stringify({ format: 1, member: { name: 'someone-else' } }));
      const sock = createSocket('udp4');
      for (const msg of ['', 'garbage', '{"herd":"hb","v":1,"c":"c1","n":"x"}', '{"herd":"hb","v":1,"c":"c2","n":"x","i":"1","s":1}', '\u0000'.repeat(4000)]) {
        sock.send(msg, a.backend.boundHeartbeatPort, '127.0.0.1');
      }
      await new Promise((resolve) => setTimeout(resolve, 600));
      sock.close();
      await a.backend.setCandidate(true);
      await until(() => a.isPrimary(), 'still works');
      assert.deepEqual(a.lastView()!.members.map((m) => m.identifier), ['m1']);
      assert.equal(a.events.some((e) => e.ev === 'degraded'), false);
    } finally {
      await a.backend.close();
    }
  });

  it('storage gone: degraded, the primary steps down in time, no promotion; recovers by itself with a higher epoch', async () => {
    const local = await mkdtemp(join(tmpdir(), 'herd-shared-fs-away-'));
    const a = node(local);
    try {
      await a.backend.start(member('solo'));
      await a.backend.setCandidate(true);
      await until(() => a.isPrimary(), 'primary');
      const store = new ClusterStore(local, 'c1');
      const before = (await store.readLease()).lease!;
      await rename(local, `${local}-away`);
      await until(() => a.events.some((e) => e.ev === 'degraded'), 'degraded');
      await until(() => !a.isPrimary(), 'stepped down');
      const deposed = a.events.find((e) => e.ev === 'deposed')!;
      // Before the lease's end minus the margin, by this (the only) clock.
      assert.ok(deposed.at <= before.expiresAt, `deposed at ${deposed.at}, lease ends ${before.expiresAt}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(a.events.filter((e) => e.ev === 'elected').length, 1);
      await rename(`${local}-away`, local);
      await until(() => a.events.some((e) => e.ev === 'recovered'), 'recovered');
      await until(() => a.isPrimary(), 'primary again');
      const epochs = a.events.filter((e) => e.ev === 'elected').map((e) => e.info!.epoch);
      assert.ok(epochs[1]! > epochs[0]!);
      const lease = parseLeaseRecord(await readFile(store.leasePath(epochs[1]!), 'utf8'));
      assert.equal(lease?.holder, 'solo');
    } finally {
      await a.backend.close();
      await rm(local, { recursive: true, force: true });
      await rm(`${local}-away`, { recursive: true, force: true });
    }
  });
});
