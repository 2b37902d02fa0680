/**
 * What the import/export tests put into a server and how they compare two
 * servers' trees: every znode's data, Stat, ACL and children.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { createClient, digestId, op, type Client } from '../../../src/client/index.js';
import type { ACL } from '../../../src/jute/records/acl.js';
import type { Stat } from '../../../src/jute/records/stat.js';
import { HerdServer } from '../../../src/server/server.js';
import type { ZkRecovered } from '../../../src/server/storage/zk-format/zk-recover.js';
import { startZooKeeper, type ZooKeeperServer } from '../../support/zookeeper.js';

export const USER_AUTH = 'importer:secret';
const [USER, PASSWORD] = USER_AUTH.split(':') as [string, string];

export const MIXED_ACL: ACL[] = [
  { perms: 31, id: { scheme: 'digest', id: digestId(USER, PASSWORD) } },
  { perms: 1, id: { scheme: 'world', id: 'anyone' } },
  { perms: 3, id: { scheme: 'ip', id: '127.0.0.1' } },
];
const DIGEST_ONLY: ACL[] = [{ perms: 31, id: { scheme: 'digest', id: digestId(USER, PASSWORD) } }];
const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

export async function connectTo(connectionString: string, sessionTimeout = 30_000): Promise<Client> {
  const client = createClient(connectionString, { sessionTimeout, requestTimeout: 20_000 });
  await client.connect();
  await client.addAuth('digest', USER_AUTH);
  return client;
}

/**
 * Phase one of the fill: every kind of znode, ACLs, raised versions,
 * deletes that raise cversion, a committed and a failed multi. `owner` is a
 * second session that keeps its ephemerals (never closed by the test).
 */
export async function fillFirst(client: Client, owner: Client): Promise<void> {
  await client.create('/imp', Buffer.from('root of the import test'));
  await client.create('/imp/p', Buffer.from('v0'));
  for (let i = 1; i <= 3; i++) await client.setData('/imp/p', Buffer.from(`v${i}`));
  for (let i = 0; i < 3; i++) await client.create('/imp/seq-', Buffer.from(`s${i}`), { mode: 'persistentSequential' });
  await client.mkdirp('/imp/a/b/c/d', Buffer.from('deep'));
  await client.create('/imp/bin', BINARY);
  await client.create('/imp/empty', Buffer.alloc(0));
  await client.create('/imp/acl', Buffer.from('acl'), { acl: MIXED_ACL });
  await client.setACL('/imp/acl', MIXED_ACL.slice(0, 2));
  await client.setACL('/imp/acl', MIXED_ACL);
  await client.create('/imp/locked', Buffer.from('digest only'), { acl: DIGEST_ONLY });
  await client.create('/imp/cont', null, { mode: 'container' });
  await client.create('/imp/cont/child', Buffer.from('keeps the container'));
  await client.create('/imp/ttl', Buffer.from('ttl'), { mode: 'persistentWithTTL', ttl: 3_600_000 });
  await client.create('/imp/ttl-seq-', null, { mode: 'persistentSequentialWithTTL', ttl: 3_600_000 });
  await owner.create('/imp/eph', Buffer.from('ephemeral'));
  await owner.delete('/imp/eph');
  await owner.create('/imp/eph', Buffer.from('ephemeral'), { mode: 'ephemeral' });
  await owner.create('/imp/eph-seq-', null, { mode: 'ephemeralSequential' });
  await client.create('/imp/churn', null);
  for (let i = 0; i < 6; i++) {
    await client.create(`/imp/churn/c${i}`, null);
    if (i % 2 === 0) await client.delete(`/imp/churn/c${i}`);
  }
  await client.multi([op.create('/imp/multi', Buffer.from('m')), op.setData('/imp/p', Buffer.from('from multi'))]);
  // A multi that fails: logged as error txns, none of its ops applied.
  await client.multi([op.create('/imp/never', null), op.check('/imp/p', 999)]).catch(() => {});
}

/** Phase two: more writes, so that some live only in the log after the last snapshot. */
export async function fillSecond(client: Client, owner: Client, count: number): Promise<void> {
  await client.create('/imp/late', null);
  for (let i = 0; i < count; i++) await client.create(`/imp/late/n${i}`, Buffer.from(`n${i}`));
  for (let i = 0; i < count; i += 4) await client.delete(`/imp/late/n${i}`);
  await client.setData('/imp/bin', Buffer.concat([BINARY, BINARY]));
  await owner.create('/imp/late-eph', null, { mode: 'ephemeral' });
}

export interface ZnodeView {
  data: string | null;
  stat: Stat;
  acl: ACL[];
  children: string[];
}

/** Every znode below (and including) `/`, by path. */
export async function readTree(client: Client): Promise<Map<string, ZnodeView>> {
  const out = new Map<string, ZnodeView>();
  const visit = async (path: string): Promise<void> => {
    const { data, stat } = await client.getData(path);
    const { acl } = await client.getACL(path);
    const children = (await client.getChildren(path)).sort();
    out.set(path, { data: data === null ? null : data.toString('hex'), stat, acl, children });
    for (const name of children) await visit(path === '/' ? `/${name}` : `${path}/${name}`);
  };
  await visit('/');
  return out;
}

/** A digest of every file (name, size, bytes) below `dir`: equal before and after means untouched. */
export async function hashDir(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const path = join(d, name);
      const s = await stat(path);
      hash.update(`${path}\0${s.size}\0${s.mtimeMs}\0`);
      if (s.isDirectory()) await walk(path);
      else hash.update(await readFile(path));
    }
  };
  await walk(dir);
  return hash.digest('hex');
}

/** Herd's server on `dataDir`, snapshotting often so its data has snapshots and logs. */
export async function openHerd(dataDir: string): Promise<HerdServer> {
  const server = await HerdServer.open({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', forceSync: false, snapCount: 30 });
  await server.listen();
  return server;
}

/** Asserts both servers hold the same znodes with the same data, Stat, ACL and children; returns how many. */
export async function assertSameTrees(a: Client, b: Client): Promise<number> {
  const [left, right] = [await readTree(a), await readTree(b)];
  assert.deepEqual([...right.keys()].sort(), [...left.keys()].sort());
  for (const [path, view] of left) assert.deepEqual(right.get(path), view, `znode ${path}`);
  return left.size;
}

/** The names in `dir/version-2` that start with `prefix`. */
export async function filesOf(dir: string, prefix: string): Promise<string[]> {
  return (await readdir(join(dir, 'version-2'))).filter((n) => n.startsWith(prefix));
}

/**
 * A ZooKeeper filled by both phases with snapCount 20 (a snapshot every 10
 * to 20 txns, so the data spans several snapshots and logs), then stopped
 * while the ephemerals' owner session is still open.
 */
export async function filledZooKeeper(): Promise<ZooKeeperServer> {
  const zk = await startZooKeeper({ extraConfig: { snapCount: 20 }, forceSync: false });
  const client = await connectTo(zk.connectionString);
  const owner = await connectTo(zk.connectionString);
  await fillFirst(client, owner);
  await fillSecond(client, owner, 25);
  await client.close();
  await zk.stop();
  await owner.close().catch(() => {});
  return zk;
}

/** A recovered tree as comparable data: paths in order, children sorted. */
export function treeView(r: ZkRecovered): Array<[string, unknown]> {
  return [...r.tree.nodes].map(([p, n]): [string, unknown] => [p, { ...n, children: [...n.children].sort() }]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/**
 * Registers hooks that start {@link filledZooKeeper}, copy its data to
 * `dirs.zkData` inside a fresh temp dir `dirs.work` (which the cases copy and
 * damage), and clean both up after the suite.
 */
export function withFilledZooKeeper(): { dirs: { work: string; zkData: string } } {
  const dirs = { work: '', zkData: '' };
  let zk: ZooKeeperServer | undefined;
  before(async () => {
    dirs.work = await mkdtemp(join(tmpdir(), 'herd-import-zk-'));
    zk = await filledZooKeeper();
    dirs.zkData = join(dirs.work, 'zk-data');
    await cp(zk.dataDir, dirs.zkData, { recursive: true });
  });
  after(async () => {
    await zk?.destroy();
    if (dirs.work) await rm(dirs.work, { recursive: true, force: true });
  });
  return { dirs };
}
