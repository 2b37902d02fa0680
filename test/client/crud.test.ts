import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { createClient, Acls, digestId, type Client } from '../../src/client/index.js';
import { Perms } from '../../src/jute/enums.js';
import { Ops } from '../../src/jute/ops/index.js';
import {
  BadArgumentsError,
  BadVersionError,
  InvalidACLError,
  NoAuthError,
  NoChildrenForEphemeralsError,
  NodeExistsError,
  NoNodeError,
  NotEmptyError,
  ClientClosedError,
  UnimplementedError,
} from '../../src/errors.js';
import { connect, forEachTarget, uniquePath, waitFor, type Target } from '../support/targets.js';

forEachTarget('client CRUD', (current) => {
  let target: Target;
  let client: Client;

  before(async () => {
    target = current();
    client = await connect(target);
  });

  it('reports each state change once, in order', async () => {
    const c = createClient(target.connectionString);
    const seen: string[] = [];
    for (const s of ['connecting', 'connected', 'disconnected', 'expired', 'closed'] as const) {
      c.on(s, (change) => seen.push(`${change.from}->${change.to}`));
    }
    assert.equal(c.state, 'idle');
    const pending = c.exists('/');
    await c.connect();
    await c.connect();
    assert.notEqual(await pending, null, 'requests issued before connect() wait for it');
    await c.close();
    await c.close();
    await waitFor(() => seen.length === 3);
    assert.deepEqual(seen, ['idle->connecting', 'connecting->connected', 'connected->closed']);
    await assert.rejects(c.connect(), ClientClosedError);
  });

  it('connects and exposes the session', () => {
    assert.equal(client.state, 'connected');
    assert.notEqual(client.sessionId, 0n);
    assert.equal(client.sessionPassword.length, 16);
    assert.ok(client.negotiatedTimeout > 0);
  });

  it('creates, reads, updates and deletes with correct stats', async () => {
    const path = uniquePath('crud');
    assert.equal(await client.exists(path), null);
    assert.equal(await client.create(path, 'v1'), path);
    const { data, stat } = await client.getData(path);
    assert.equal(data?.toString(), 'v1');
    assert.equal(stat.version, 0);
    assert.equal(stat.dataLength, 2);
    assert.equal(stat.ephemeralOwner, 0n);
    assert.equal(stat.czxid, stat.mzxid);
    assert.ok(client.lastZxid >= stat.czxid);

    const s2 = await client.setData(path, Buffer.from('version-2'), 0);
    assert.equal(s2.version, 1);
    assert.equal(s2.dataLength, 9);
    assert.ok(s2.mzxid > stat.mzxid);
    assert.equal(s2.czxid, stat.czxid);
    await assert.rejects(client.setData(path, 'x', 0), (e: Error) => e instanceof BadVersionError && (e as BadVersionError).path === path);

    const exists = await client.exists(path);
    assert.deepEqual(exists, s2);

    await client.create(`${path}/child`);
    await assert.rejects(client.delete(path), NotEmptyError);
    const parent = await client.exists(path);
    assert.equal(parent?.numChildren, 1);
    assert.equal(parent?.cversion, 1);
    assert.deepEqual(await client.getChildren(path), ['child']);
    const withStat = await client.getChildren(path, { stat: true });
    assert.deepEqual(withStat.children, ['child']);
    assert.equal(withStat.stat.numChildren, 1);

    await client.delete(`${path}/child`, 0);
    await assert.rejects(client.delete(path, 5), BadVersionError);
    await client.delete(path);
    assert.equal(await client.exists(path), null);
  });

  it('rejects with typed errors carrying path and op', async () => {
    const path = uniquePath('missing');
    await assert.rejects(client.getData(path), (e: unknown) => {
      assert.ok(e instanceof NoNodeError);
      assert.equal(e.path, path);
      assert.equal(e.op, 'getData');
      assert.equal(e.code, 'NONODE');
      return true;
    });
    await assert.rejects(client.create(`${path}/a/b`), NoNodeError);
    await assert.rejects(client.delete(path), NoNodeError);
    await assert.rejects(client.getChildren(path), NoNodeError);
    await client.create(path);
    await assert.rejects(client.create(path), NodeExistsError);
    await assert.rejects(client.create(`${path}/`), BadArgumentsError, 'validated on the client');
    await assert.rejects(client.getData('no-slash'), BadArgumentsError);
    await assert.rejects(client.create(`${path}/t`, null, { ttl: 100 }), BadArgumentsError, 'ttl without TTL mode');
    await assert.rejects(client.setData(path, 42 as unknown as string), BadArgumentsError);
    await assert.rejects(client.create(`${path}/m`, null, { mode: 'nope' as 'persistent' }), BadArgumentsError);
  });

  it('stores empty, null and binary data', async () => {
    const path = uniquePath('data');
    await client.create(path);
    assert.deepEqual((await client.getData(path)).data, Buffer.alloc(0));
    await client.setData(path, null);
    assert.equal((await client.getData(path)).data, null);
    const bytes = Buffer.from([0, 255, 1, 254]);
    await client.setData(path, new Uint8Array(bytes));
    assert.deepEqual((await client.getData(path)).data, bytes);
    const big = Buffer.alloc(900 * 1024, 7);
    await client.setData(path, big);
    assert.ok((await client.getData(path)).data?.equals(big));
  });

  it('creates every mode; create2 returns the stat', async () => {
    const base = uniquePath('modes');
    await client.create(base);
    const p = await client.create2(`${base}/persistent`, 'x');
    assert.equal(p.path, `${base}/persistent`);
    assert.equal(p.stat.dataLength, 1);
    assert.equal(p.stat.ephemeralOwner, 0n);

    const e = await client.create2(`${base}/ephemeral`, null, { mode: 'ephemeral' });
    assert.equal(e.stat.ephemeralOwner, client.sessionId);
    await assert.rejects(client.create(`${base}/ephemeral/child`), NoChildrenForEphemeralsError);

    const ps = await client.create(`${base}/ps-`, null, { mode: 'persistentSequential' });
    assert.match(ps, new RegExp(`^${base}/ps-\\d{10}$`));
    const es = await client.create(`${base}/es-`, null, { mode: 'ephemeralSequential' });
    assert.match(es, /es-\d{10}$/);
    assert.equal((await client.exists(es))?.ephemeralOwner, client.sessionId);

    const c = await client.create2(`${base}/container`, null, { mode: 'container' });
    assert.equal(c.stat.ephemeralOwner, 0n);
    assert.equal(c.path, `${base}/container`);

    try {
      const t = await client.create2(`${base}/ttl`, null, { mode: 'persistentWithTTL', ttl: 60000 });
      assert.equal(t.path, `${base}/ttl`);
      const ts = await client.create(`${base}/ttls-`, null, { mode: 'persistentSequentialWithTTL', ttl: 60000 });
      assert.match(ts, /ttls-\d{10}$/);
    } catch (err) {
      // TTL nodes need extendedTypesEnabled on ZooKeeper.
      assert.ok(err instanceof UnimplementedError, String(err));
    }
    assert.deepEqual((await client.getEphemerals(base)).sort(), [`${base}/ephemeral`, es].sort());
  });

  it('names sequential nodes from the parent cversion, unaffected by deletes', async () => {
    const base = uniquePath('seq');
    await client.create(base);
    const a = await client.create(`${base}/n-`, null, { mode: 'persistentSequential' });
    const b = await client.create(`${base}/n-`, null, { mode: 'persistentSequential' });
    await client.delete(a);
    const c = await client.create(`${base}/m-`, null, { mode: 'persistentSequential' });
    const d = await client.create(`${base}/`, null, { mode: 'persistentSequential' });
    assert.deepEqual([a, b, c, d], [`${base}/n-0000000000`, `${base}/n-0000000001`, `${base}/m-0000000002`, `${base}/0000000003`]);
  });

  it('removes ephemerals when the session closes', async () => {
    const other = await connect(target);
    const path = uniquePath('eph');
    await other.create(path, 'x', { mode: 'ephemeral' });
    assert.notEqual(await client.exists(path), null);
    await other.close();
    assert.equal(other.state, 'closed');
    assert.equal(await client.exists(path), null, 'gone as soon as close() resolves');
    await assert.rejects(other.getData('/'), ClientClosedError);
  });

  it('counts descendants and syncs', async () => {
    const base = uniquePath('count');
    await client.create(base);
    await client.create(`${base}/a`);
    await client.create(`${base}/a/b`);
    await client.create(`${base}/c`);
    assert.equal(await client.getAllChildrenNumber(base), 3);
    await client.sync(base);
  });

  it('ACLs, digest auth and whoAmI', async () => {
    const path = uniquePath('acl');
    const acl = [{ perms: Perms.all, id: { scheme: 'digest', id: digestId('alice', 'secret') } }];
    await client.create(path, 'secret', { acl });
    await assert.rejects(client.getData(path), NoAuthError);
    await assert.rejects(client.getACL(path), NoAuthError);

    const alice = createClient(target.connectionString, { auth: [{ scheme: 'digest', credentials: 'alice:secret' }] });
    await alice.connect();
    const { acl: got, stat } = await alice.getACL(path);
    assert.deepEqual(got, acl);
    assert.equal(stat.aversion, 0);
    assert.equal((await alice.getData(path)).data?.toString(), 'secret');
    assert.ok((await alice.whoAmI()).some((c) => c.authScheme === 'digest' && c.user === 'alice'));
    const s = await alice.setACL(path, Acls.openUnsafe, 0);
    assert.equal(s.aversion, 1);
    await alice.close();
    assert.equal((await client.getData(path)).data?.toString(), 'secret');

    await assert.rejects(client.create(uniquePath('acl'), null, { acl: Acls.creatorAll }), InvalidACLError);
    await client.addAuth('digest', 'bob:pw');
    const mine = await client.create(uniquePath('acl'), null, { acl: Acls.creatorAll });
    assert.equal((await client.getACL(mine)).acl[0]?.id.id, digestId('bob', 'pw'));
    assert.ok((await client.whoAmI()).some((c) => c.user === 'bob'));
  });

  it('refused credentials end in authFailed', async () => {
    const c = await connect(target);
    const states: string[] = [];
    c.on('authFailed', (ch) => states.push(`${ch.from}->${ch.to}`));
    await assert.rejects(c.addAuth('no-such-scheme', 'x'), (e: Error) => e.name === 'AuthFailedError');
    assert.equal(c.state, 'authFailed');
    await assert.rejects(c.exists('/'), (e: Error) => e.name === 'AuthFailedError');
    await waitFor(() => states.length === 1);
    assert.deepEqual(states, ['connected->authFailed']);
    await c.close();
  });

  it('chroot: paths go in under the root and come out relative to it', async () => {
    const root = uniquePath('chroot');
    await client.create(root);
    const c = await connect(target, {}, target.connectionString + root);
    assert.equal(c.chroot, root);
    assert.equal(await c.create('/a', 'in chroot'), '/a');
    assert.equal((await client.getData(`${root}/a`)).data?.toString(), 'in chroot');
    const seq = await c.create('/s-', null, { mode: 'ephemeralSequential' });
    assert.match(seq, /^\/s-\d{10}$/);
    assert.deepEqual((await c.getChildren('/')).sort(), ['a', seq.slice(1)].sort());
    assert.deepEqual(await c.getEphemerals(), [seq]);
    const events: string[] = [];
    await c.getData('/a', { watch: (e) => events.push(`${e.type} ${e.path}`) });
    await client.setData(`${root}/a`, 'changed');
    await waitFor(() => events.length === 1);
    assert.deepEqual(events, ['nodeDataChanged /a']);
    await c.close();
  });

  it('ensurePath, mkdirp and deleteRecursive', async () => {
    const base = uniquePath('tree');
    await client.ensurePath(`${base}/a/b/c`);
    await client.ensurePath(`${base}/a/b/c`);
    assert.deepEqual(await client.getChildren(`${base}/a/b`), ['c']);
    // Empty, not null, as Kazoo and Curator create them: Kazoo's recipes fail on a null parent.
    assert.deepEqual((await client.getData(`${base}/a/b`)).data, Buffer.alloc(0));
    assert.equal(await client.mkdirp(`${base}/x/y/z`, 'deep'), `${base}/x/y/z`);
    assert.equal((await client.getData(`${base}/x/y/z`)).data?.toString(), 'deep');
    assert.match(await client.mkdirp(`${base}/q/`, null, { mode: 'persistentSequential' }), /\/q\/\d{10}$/);
    await assert.rejects(client.mkdirp(`${base}/x/y/z`), NodeExistsError);
    for (let i = 0; i < 20; i++) await client.create(`${base}/a/n${i}`);
    await client.deleteRecursive(base);
    assert.equal(await client.exists(base), null);
    await client.deleteRecursive(base);
  });

  it('request(): raw ops resolve with the header, never throw on err', async () => {
    const path = uniquePath('raw');
    const created = await client.request(Ops.create, { path, data: Buffer.from('r'), acl: [...Acls.openUnsafe], flags: 0 });
    assert.equal(created.header.err, 0);
    assert.equal(created.response?.path, path);
    assert.ok(created.header.zxid > 0n);
    const again = await client.request(Ops.create, { path, data: null, acl: [...Acls.openUnsafe], flags: 0 });
    assert.equal(again.header.err, -110);
    assert.equal(again.response, undefined);
    assert.ok(again.header.zxid > created.header.zxid, 'a failed write uses a zxid');
    const read = await client.request(Ops.getData, { path, watch: false });
    assert.equal(read.response?.data?.toString(), 'r');
    const missing = await client.request(Ops.exists, { path: `${path}/nope`, watch: false });
    assert.equal(missing.header.err, -101);
    const ping = await client.request(Ops.ping, {});
    assert.equal(ping.header.xid, -2);
  });

  it('pipelines many requests and answers them in order', async () => {
    const base = uniquePath('pipe');
    await client.create(base);
    const creates = Array.from({ length: 500 }, (_, i) => client.create(`${base}/n${i}`, String(i)));
    const paths = await Promise.all(creates);
    assert.deepEqual(paths, Array.from({ length: 500 }, (_, i) => `${base}/n${i}`));
    const reads = await Promise.all(paths.map((p) => client.getData(p)));
    assert.deepEqual(
      reads.map((r) => r.data?.toString()),
      paths.map((_, i) => String(i)),
    );
    assert.equal(await client.getAllChildrenNumber(base), 500);
  });
});
