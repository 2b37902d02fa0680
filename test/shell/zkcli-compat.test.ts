/**
 * `herd shell` against the real zkCli (ZooKeeper 3.8's ZooKeeperMain, from
 * the Debian jars) on the same server and the same fixture tree, on both
 * targets: the outputs of zkCli's commands must be byte for byte the same.
 * zkCli's banner and its session events ("Connecting to", "Welcome to
 * ZooKeeper!", the `type:None` events) are dropped; nothing else is
 * normalized for reads (both read the same nodes, so even times agree).
 * Writes run on two fresh roots, one per tool; only the root's name is
 * replaced before comparing.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { Perms } from '../../src/jute/enums.js';
import { connect, forEachTarget, uniquePath, waitFor } from '../support/targets.js';
import { javaAvailable, requireTool } from '../support/interop.js';
import { runZkCli } from '../support/zookeeper.js';
import { runShell, startShell } from './run-shell.js';
import { formatStat } from '../../src/shell/format.js';

/** zkCli's lines that are not the output of a command of the script. */
const BANNER = /^(Connecting to .*|WATCHER::|WatchedEvent state:\w+ type:None path:null|Welcome to ZooKeeper!|JLine support is (dis|en)abled|)$/;

const strip = (text: string): string =>
  text
    .split('\n')
    .filter((l) => !BANNER.test(l))
    .join('\n');

forEachTarget('herd shell: zkCli commands compared with zkCli', (target) => {
  let root = '';
  before(async () => {
    const client = await connect(target());
    root = uniquePath('shell');
    await client.create(root, 'root data');
    await client.create(`${root}/a`, 'hello');
    await client.create(`${root}/b`, null);
    await client.create(`${root}/c`, 'with spaces and ünïcödé');
    await client.create(`${root}/c/d`, 'deep');
    await client.create(`${root}/c/e`, '{"k": [1, 2]}');
    await client.create(`${root}/locked`, 'x', {
      acl: [
        { perms: Perms.read | Perms.write, id: { scheme: 'world', id: 'anyone' } },
        { perms: Perms.all, id: { scheme: 'digest', id: 'bob:HXmPM6e+v1aU1xvQvD9Z8hT0xzo=' } },
      ],
    });
  });

  it('prints what zkCli prints for reads, errors and usage, on stdout and stderr', { timeout: 120_000 }, async (t) => {
    if (!requireTool(t, javaAvailable(), 'java (zkCli)')) return;
    const script = [
      `ls ${root}`,
      `ls -s ${root}`,
      `ls -R ${root}`,
      `ls ${root}/c`,
      `get ${root}/a`,
      `get ${root}/b`,
      `get ${root}/c`,
      `get -s ${root}/c/d`,
      `stat ${root}`,
      `stat ${root}/c/e`,
      `getAcl ${root}/locked`,
      `getAcl -s ${root}`,
      `getAllChildrenNumber ${root}`,
      `get ${root}/nope`,
      `ls ${root}/nope`,
      `stat ${root}/nope`,
      `getAcl ${root}/nope`,
      `set ${root}/locked y`,
      `set -v 42 ${root}/a hello`,
      `delete ${root}/c`,
      `create ${root}/a`,
      `create ${root}/nope/x`,
      `ls -x ${root}`,
      'ls',
      'get',
      `sync ${root}`,
      'whoami',
      'history',
    ].join('\n');
    const zk = await runZkCli(target().connectionString, script);
    const herd = await runShell(target().connectionString, [], script + '\nquit\n');
    assert.equal(strip(herd.stdout), strip(zk.stdout));
    assert.equal(herd.stderr, zk.stderr);
    assert.equal(herd.code, 1, 'a script with failed commands exits 1');
  });

  it('makes the same changes with the same messages as zkCli (create, set, delete, deleteall, setAcl, ephemerals, quotas, config, reconfig, version)', { timeout: 120_000 }, async (t) => {
    if (!requireTool(t, javaAvailable(), 'java (zkCli)')) return;
    const script = (base: string): string =>
      [
        `create ${base}`,
        `create ${base}/p "quoted data"`,
        `create -s ${base}/seq- one`,
        `create -s ${base}/seq- two`,
        `create -e ${base}/eph`,
        `create -c ${base}/container`,
        `create -e -s ${base}/es- x`,
        `ls ${base}`,
        `getEphemerals ${base}`,
        `set ${base}/p changed`,
        `get ${base}/p`,
        `set -v 0 ${base}/p stale`,
        `delete -v 3 ${base}/p`,
        `delete ${base}/p`,
        `create ${base}/tree`,
        `create ${base}/tree/x`,
        `create ${base}/tree/x/y`,
        `delete ${base}/tree`,
        `deleteall ${base}/tree`,
        `deleteall ${base}/tree`,
        `setAcl ${base}/seq-0000000001 world:anyone:rz`,
        `getAcl ${base}/seq-0000000001`,
        `create ${base}/bad data notanacl`,
        `getAllChildrenNumber ${base}`,
        `ls ${base}`,
        'addauth digest bob:secret',
        'whoami',
        `create ${base}/mine data auth:bob:cdrwa`,
        `getAcl ${base}/mine`,
        `setAcl -R ${base}/seq-0000000002 world:anyone:r`,
        `getAcl ${base}/seq-0000000002`,
        // Quotas, on the tree made above (ROOT, its children, tree's leftovers gone).
        `listquota ${base}`,
        `setquota ${base}`,
        `setquota -n 0 ${base}`,
        `setquota -b -1 ${base}`,
        `setquota -n abc ${base}`,
        `setquota -x 1 ${base}`,
        `setquota -n 5 ${base}/nope`,
        `setquota -n 1 ${base}`,
        `listquota ${base}`,
        `setquota -b 3 -N 10 ${base}`,
        `setquota -B 100 ${base}`,
        `listquota ${base}`,
        `setquota -n 5 ${base}/p`,
        `setquota -n 5 ${base}/mine`,
        'setquota -n 5 /zookeeper/quota',
        `get /zookeeper/quota${base}/zookeeper_limits`,
        `delquota -n ${base}`,
        `listquota ${base}`,
        `delquota -n -b ${base}`,
        `delquota ${base}`,
        `listquota ${base}`,
        `delquota ${base}`,
        `setquota -N 2 ${base}/mine`,
        `setquota -n 3 ${base}`,
        `delquota ${base}/mine`,
        `ls /zookeeper/quota${base}`,
        'listquota',
        // The ensemble: a standalone server has an empty dynamic config and refuses reconfig.
        'config',
        'config -c',
        'config -s',
        'reconfig',
        'reconfig -add 2=localhost:2888:3888:participant;localhost:2181',
        'reconfig -s -remove 2',
        'reconfig -members 1=a -add 2',
        'reconfig -file /nope -members x',
        'reconfig -v zz -remove 2',
        'version',
        'version x',
        `removewatches ${base} -p`,
        'printwatches',
        'printwatches off',
        'printwatches',
        'printwatches on',
        `create -t 5000 ${base}/ttl x`,
        `create -t 5000 -e ${base}/ttl-e`,
        `create -t 5000 -c ${base}/ttl-c`,
        `create -c -s ${base}/cs`,
        `addWatch -m BOGUS ${base}`,
        // No watch event here: zkCli prints events from another thread, in no fixed order with the next results.
        `addWatch -m persistent ${base}/ttl-c`,
        `addWatch ${base}/ttl extra`,
        `removewatches ${base}/ttl -d`,
        `removewatches ${base}/mine -c -l`,
        'redo 10',
        'redo 99',
        'history',
        'close',
        `ls ${base}`,
      ].join('\n');
    const zkRoot = `${uniquePath('shell-w')}-zk`;
    const herdRoot = `${uniquePath('shell-w')}-herd`;
    const zk = await runZkCli(target().connectionString, script(zkRoot));
    const herd = await runShell(target().connectionString, [], script(herdRoot));
    // getEphemerals prints the server's order, a hash set's: the two roots' names hash differently.
    const norm = (text: string, base: string): string =>
      strip(text)
        .split(base)
        .join('ROOT')
        .replace(/^ZooKeeper CLI version: .*$/m, 'ZooKeeper CLI version: V')
        .replace(/^\[(ROOT\/.*)\]$/m, (_, list: string) => `[${list.split(', ').sort().join(', ')}]`);
    assert.equal(norm(herd.stdout, herdRoot), norm(zk.stdout, zkRoot));
    assert.equal(norm(herd.stderr, herdRoot), norm(zk.stderr, zkRoot));
    assert.match(herd.stdout, /^ZooKeeper CLI version: herd-zk \d+\.\d+\.\d+/m);
  });

  it('prints watch events as zkCli does (get -w, ls -w, addWatch, removewatches, stat -w), while reading its script from a pipe', { timeout: 60_000 }, async () => {
    const client = await connect(target());
    const path = `${root}/watched`;
    await client.create(path, 'v0');
    const shell = startShell(target().connectionString);
    try {
      shell.send(`get -w ${path}`);
      shell.send(`ls -w ${path}`);
      await waitFor(() => shell.stdout().includes('[]'), 30_000, 'get and ls answered');
      await client.setData(path, 'v1');
      await client.create(`${path}/child`);
      await waitFor(() => shell.stdout().includes('type:NodeChildrenChanged'), 30_000, 'events printed');
      shell.send(`addWatch -m PERSISTENT ${path}`);
      shell.send(`removewatches ${path}`);
      await waitFor(() => shell.stdout().includes('type:PersistentWatchRemoved'), 30_000, 'persistent watch removed');
      // stat -w: the Stat, then the change it watches.
      shell.send(`stat -w ${path}`);
      await waitFor(() => shell.stdout().includes('numChildren = 1'), 30_000, 'stat answered');
      const statBlock = formatStat((await client.exists(path))!);
      await client.setData(path, 'v2');
      await waitFor(() => shell.stdout().split('type:NodeDataChanged').length === 3, 30_000, 'stat -w event printed');
      shell.send('quit');
      assert.equal(await shell.end(), 0);
      assert.equal(
        shell.stdout(),
        'v0\n[]\n' +
          `\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:${path}\n` +
          `\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeChildrenChanged path:${path}\n` +
          `\nWATCHER::\n\nWatchedEvent state:SyncConnected type:PersistentWatchRemoved path:${path}\n` +
          statBlock +
          `\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:${path}\n`,
      );
      assert.equal(shell.stderr(), '');
    } finally {
      shell.child.kill();
    }
  });

  it('reads config outside the chroot, as zkCli does', { timeout: 60_000 }, async (t) => {
    if (!requireTool(t, javaAvailable(), 'java (zkCli)')) return;
    const chrooted = `${target().connectionString}${root}`;
    const script = 'config -s\nconfig -c\nls /';
    const zk = await runZkCli(chrooted, script);
    const herd = await runShell(chrooted, [], `${script}\n`);
    assert.equal(strip(herd.stdout), strip(zk.stdout));
    assert.match(herd.stdout, /aclVersion = -1\n/);
    assert.equal(herd.stderr, zk.stderr);
  });

  it('runs --command lines and exits 1 on a failed one, with zkCli\'s message', { timeout: 60_000 }, async () => {
    const ok = await runShell(target().connectionString, ['--command', `get ${root}/a`, '--command', `ls ${root}/c`]);
    assert.deepEqual(ok, { stdout: 'hello\n[d, e]\n', stderr: '', code: 0 });
    const failed = await runShell(target().connectionString, ['--command', `get ${root}/missing`]);
    assert.deepEqual(failed, { stdout: '', stderr: `Node does not exist: ${root}/missing\n`, code: 1 });
    const unknown = await runShell(target().connectionString, ['--command', 'frobnicate /']);
    assert.equal(unknown.stderr, 'Command not found: Command not found frobnicate\n');
    assert.equal(unknown.code, 1);
  });

  it('prints one JSON value per command with --json, errors included', { timeout: 60_000 }, async () => {
    const r = await runShell(target().connectionString, ['--json'], `ls -s ${root}/c\nget ${root}/c/e\nget ${root}/missing\nstat ${root}/a\n`);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 3);
    assert.deepEqual(lines[0]!['children'], ['d', 'e']);
    assert.equal((lines[0]!['stat'] as { numChildren: number }).numChildren, 2);
    assert.deepEqual(lines[1]!['data'], { text: '{"k": [1, 2]}' });
    assert.equal((lines[2]!['stat'] as { dataLength: number }).dataLength, 5);
    assert.deepEqual(JSON.parse(r.stderr), { error: { code: 'NONODE', message: `Node does not exist: ${root}/missing`, path: `${root}/missing` } });
    assert.equal(r.code, 1);
  });
});
