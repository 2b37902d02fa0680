/**
 * `herd server --config zoo.cfg` end to end: Debian's zoo.cfg (copied,
 * with its dataDir and ports moved so the test can run anywhere) starts a
 * server clients use; flags override the file; the TLS keys read ZooKeeper's
 * PEM stores; a bad file stops herd before it writes anything.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient } from '../../src/client/index.js';
import { freePort } from '../support/ports.js';
import { CLIENT_SUBJECT, makeCerts, opensslAvailable, zookeeperPemStores, type Certs } from '../support/tls-certs.js';
import { herd, startHerdServer } from './herd.js';

/** Debian's zookeeper package's /etc/zookeeper/conf/zoo.cfg (3.8), kept here for machines without it. */
const DEBIAN_ZOO_CFG = `# The number of milliseconds of each tick
tickTime=2000
# The number of ticks that the initial
# synchronization phase can take
initLimit=10
# The number of ticks that can pass between
# sending a request and getting an acknowledgement
syncLimit=5
# the directory where the snapshot is stored.
dataDir=/tmp/zookeeper
# the port at which the clients will connect
clientPort=2181
#maxClientCnxns=60
#autopurge.snapRetainCount=3
#autopurge.purgeInterval=1
#metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
`;

function debianZooCfg(): string {
  const installed = '/etc/zookeeper/conf/zoo.cfg';
  return existsSync(installed) ? readFileSync(installed, 'utf8') : DEBIAN_ZOO_CFG;
}

/** Sends a four-letter word to the client port and resolves with the whole answer. */
function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end(word));
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString('utf8')));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** The JSON log lines a server wrote on stderr (not a terminal, so JSON). */
function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A row of the startup block: its label, the padding (as wide as the longest label), then exactly `value`. */
function bannerRow(label: string, value: string): RegExp {
  return new RegExp(`\n {2}${label} +${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`);
}

describe('herd server --config', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herd-cli-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("starts from Debian's zoo.cfg, adapted; clients connect; ensemble keys are one warning", async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const dataDir = join(dir, 'debian-data');
    const text = debianZooCfg()
      .replace(/^dataDir=.*$/m, `dataDir=${dataDir}`)
      .replace(/^clientPort=.*$/m, `clientPort=${port}`)
      .concat(`\nclientPortAddress=127.0.0.1\nadmin.enableServer=true\nadmin.serverPort=${adminPort}\n4lw.commands.whitelist=srvr, ruok\nautopurge.snapRetainCount=4\n`);
    const file = join(dir, 'zoo.cfg');
    await writeFile(file, text);
    const server = await startHerdServer(['--config', file, '--log-level', 'warn']);
    try {
      assert.equal(server.port, port);
      assert.match(server.banner, new RegExp(`\n {2}clients +127\\.0\\.0\\.1:${port}\n`));
      assert.match(server.banner, bannerRow('data dir', dataDir));
      assert.ok(server.banner.includes(`http://127.0.0.1:${adminPort}/commands`), server.banner);
      assert.match(server.banner, bannerRow('config', `${file} (1 warning logged: keys Herd ignores)`));
      const warnings = logLines(server.stderr());
      assert.equal(warnings.length, 1, server.stderr());
      assert.equal(warnings[0]!.level, 'warn');
      assert.equal(warnings[0]!.config, file);
      assert.match(warnings[0]!.msg as string, /^initLimit \(line \d+\), syncLimit \(line \d+\) only configure a ZooKeeper ensemble: Herd runs one standalone server/);

      const client = createClient(`127.0.0.1:${port}`);
      await client.connect();
      await client.create('/from-config', 'hi');
      assert.equal((await client.getData('/from-config')).data?.toString(), 'hi');
      await client.close();
      // The whitelist from the file: ruok on, mntr (on by Herd's default) off.
      assert.equal(await fourLetterWord(port, 'ruok'), 'imok');
      assert.equal(await fourLetterWord(port, 'mntr'), 'mntr is not executed because it is not in the whitelist.\n');
      const ruok = (await (await fetch(`http://127.0.0.1:${adminPort}/commands/ruok`)).json()) as Record<string, unknown>;
      assert.equal(ruok.error, null);
      assert.equal(await server.stop(), 0);
      assert.ok(existsSync(dataDir), 'the dataDir of the file holds the data');
    } finally {
      await server.stop();
    }
  });

  it('flags override the file, one setting at a time', async () => {
    const [filePort, flagPort] = [await freePort(), await freePort()];
    const file = join(dir, 'override.cfg');
    await writeFile(file, `tickTime=500\nclientPort=${filePort}\nclientPortAddress=127.0.0.1\ndataDir=${join(dir, 'from-file')}\nmaxSessionTimeout=3000\n`);
    const server = await startHerdServer(['--config', file, '--port', String(flagPort), '--data-dir', join(dir, 'from-flag'), '--log-level', 'warn']);
    try {
      assert.equal(server.port, flagPort);
      assert.match(server.banner, bannerRow('data dir', join(dir, 'from-flag')));
      // tickTime and maxSessionTimeout still come from the file: a 30 s session is granted 3 s.
      const client = createClient(`127.0.0.1:${flagPort}`, { sessionTimeout: 30_000 });
      await client.connect();
      assert.equal(client.negotiatedTimeout, 3000);
      await client.close();
    } finally {
      await server.stop();
    }
  });

  it('a bad value or a missing file: exit 1, naming the file, line and key, and nothing written', async () => {
    const dataDir = join(dir, 'never');
    const file = join(dir, 'bad.cfg');
    await writeFile(file, `dataDir=${dataDir}\n# a comment\nclientPort=21 81\n`);
    const bad = herd('server', '--config', file);
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr, `herd: ${file}:3: clientPort must be an integer from 1 to 65535, got '21 81'\n`);
    const missing = herd('server', '--config', join(dir, 'nope.cfg'));
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, `herd: cannot read config file ${join(dir, 'nope.cfg')}: no such file\n`);
    await writeFile(file, `dataDir=${dataDir}\nsecureClientPort=${await freePort()}\nssl.keyStore.location=${join(dir, 'absent.pem')}\n`);
    const noKey = herd('server', '--config', file);
    assert.equal(noKey.status, 1);
    assert.equal(noKey.stderr, `herd: ${file}:3 (ssl.keyStore.location): cannot read ${join(dir, 'absent.pem')}: ENOENT\n`);
    assert.equal(existsSync(dataDir), false, 'nothing created');
  });

  it('a port in use or a data directory that cannot be one: exit 1, naming the flag or the config line', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const file = join(dir, 'busy.cfg');
      await writeFile(file, `dataDir=${join(dir, 'busy-data')}\nclientPort=${port}\nclientPortAddress=127.0.0.1\n`);
      const fromFile = herd('server', '--config', file, '--log-level', 'silent');
      assert.equal(fromFile.status, 1);
      assert.equal(fromFile.stderr, `herd: cannot listen on 127.0.0.1:${port} (${file}:2 (clientPort)): the address is in use\n`);
      assert.equal(existsSync(join(dir, 'busy-data')), false, 'a start that cannot listen leaves no data directory behind');
      const fromFlag = herd('server', '--host', '127.0.0.1', '--port', '0', '--admin-port', String(port), '--data-dir', join(dir, 'busy-data'), '--log-level', 'silent');
      assert.equal(fromFlag.status, 1);
      assert.equal(fromFlag.stderr, `herd: cannot listen on 127.0.0.1:${port} (--admin-port): the address is in use\n`);
      assert.equal(existsSync(join(dir, 'busy-data')), false, 'nor when the admin port is the one in use');
    } finally {
      busy.close();
    }
    const notADir = join(dir, 'a-file');
    await writeFile(notADir, 'x');
    const r = herd('server', '--host', '127.0.0.1', '--port', '0', '--data-dir', notADir, '--log-level', 'silent');
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^herd: cannot use data directory ${notADir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(--data-dir\\): EEXIST`));
  });

  it("refuses a dataDir that holds ZooKeeper's data, instead of starting an empty tree beside it", async () => {
    const zkData = join(dir, 'zookeeper-data');
    await mkdir(join(zkData, 'version-2'), { recursive: true });
    const file = join(dir, 'zk-data.cfg');
    await writeFile(file, `tickTime=2000\ndataDir=${zkData}\nclientPort=${await freePort()}\n`);
    const r = herd('server', '--config', file);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      `herd: ${file}:2 (dataDir): ${zkData} is a ZooKeeper data directory (it has version-2/). Herd cannot serve ZooKeeper's files and would start an empty tree beside them: give Herd a directory of its own (--data-dir)\n`,
    );
    assert.deepEqual(await readdir(zkData), ['version-2'], 'nothing written');
  });

  describe('TLS from ZooKeeper PEM stores', { skip: !opensslAvailable() && 'openssl not available' }, () => {
    let certs: Certs;
    before(async () => {
      certs = await makeCerts();
    });
    after(async () => {
      if (certs) await rm(certs.dir, { recursive: true, force: true });
    });

    it('secureClientPort with ssl.keyStore/trustStore (PEM), ssl.clientAuth and the x509 superUser', async () => {
      const { keyStore, trustStore } = await zookeeperPemStores(certs);
      const [port, securePort] = [await freePort(), await freePort()];
      const file = join(dir, 'tls.cfg');
      await writeFile(
        file,
        [
          `clientPort=${port}`,
          'clientPortAddress=127.0.0.1',
          `dataDir=${join(dir, 'tls-data')}`,
          `secureClientPort=${securePort}`,
          'serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory',
          `ssl.keyStore.location=${keyStore}`,
          'ssl.keyStore.type=PEM',
          `ssl.trustStore.location=${trustStore}`,
          'ssl.trustStore.type=PEM',
          'ssl.clientAuth=need',
          `X509AuthenticationProvider.superUser=${CLIENT_SUBJECT}`,
        ].join('\n'),
      );
      const server = await startHerdServer(['--config', file, '--log-level', 'warn']);
      try {
        assert.match(server.banner, new RegExp(`\n {2}TLS clients +127\\.0\\.0\\.1:${securePort} \\(client certificates: need\\)\n`));
        assert.match(logLines(server.stderr())[0]!.msg as string, /^serverCnxnFactory has no Herd setting/);
        const plain = createClient(`127.0.0.1:${port}`);
        await plain.connect();
        await plain.create('/locked', 'secret', { acl: [{ perms: 31, id: { scheme: 'digest', id: 'nobody:AAAAAAAAAAAAAAAAAAAAAAAAAAA=' } }] });
        await plain.close();
        const secure = createClient(`127.0.0.1:${securePort}`, {
          tls: { ca: certs.ca, key: certs.clientKey, cert: certs.clientCert, servername: 'localhost' },
        });
        await secure.connect();
        assert.ok((await secure.whoAmI()).some((i) => i.authScheme === 'x509' && i.user === CLIENT_SUBJECT));
        // The certificate is the superUser: it reads what the ACL locks everyone else out of.
        assert.equal((await secure.getData('/locked')).data?.toString(), 'secret');
        await secure.close();
      } finally {
        await server.stop();
      }
    });
  });
});
