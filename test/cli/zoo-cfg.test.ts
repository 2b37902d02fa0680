/**
 * src/cli/zoo-cfg.ts without a server: the properties format as Java reads
 * it, each ZooKeeper key onto its Herd setting, the warnings (ensemble keys
 * once, the rest one each), and errors that name the file, line and key.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mapZooCfg, parseProperties, readZooCfg } from '../../src/cli/zoo-cfg.js';

const cfg = (text: string) => mapZooCfg(parseProperties(text), 'zoo.cfg');

describe('parseProperties', () => {
  it('reads the separators, comments, continuations and escapes of java.util.Properties', () => {
    const text = [
      '# a comment',
      '   ! another comment',
      '',
      'tickTime=2000',
      'dataDir : /var/lib/zookeeper  ',
      'clientPort 2181',
      '  4lw.commands.whitelist = srvr, \\',
      '      ruok,\\',
      '   mntr',
      'weird\\=key\\ name=v\\u00e9\\tx',
      'empty=',
      'alone',
      'server.1=zk1:2888:3888;2181',
    ].join('\r\n');
    assert.deepEqual(parseProperties(text), [
      { key: 'tickTime', value: '2000', line: 4 },
      { key: 'dataDir', value: '/var/lib/zookeeper', line: 5 },
      { key: 'clientPort', value: '2181', line: 6 },
      { key: '4lw.commands.whitelist', value: 'srvr, ruok,mntr', line: 7 },
      { key: 'weird=key name', value: 'v\u00e9\tx', line: 10 },
      { key: 'empty', value: '', line: 11 },
      { key: 'alone', value: '', line: 12 },
      { key: 'server.1', value: 'zk1:2888:3888;2181', line: 13 },
    ]);
  });

  it('an escaped backslash at the end of a line does not continue it', () => {
    assert.deepEqual(parseProperties('a=x\\\\\nb=y'), [
      { key: 'a', value: 'x\\', line: 1 },
      { key: 'b', value: 'y', line: 2 },
    ]);
  });
});

describe('zoo.cfg keys onto herd server settings', () => {
  it('maps every key Herd has a setting for', () => {
    const { settings, warnings } = cfg(`
clientPort=2182
clientPortAddress=127.0.0.1
dataDir=/var/lib/zookeeper
tickTime=1000
minSessionTimeout=3000
maxSessionTimeout=60000
maxClientCnxns=0
globalOutstandingLimit=500
snapCount=50000
autopurge.snapRetainCount=5
preAllocSize=16384
forceSync=no
4lw.commands.whitelist=*
admin.enableServer=true
admin.serverAddress=0.0.0.0
admin.serverPort=9090
secureClientPort=2281
ssl.keyStore.location=/etc/zk/server.pem
ssl.keyStore.type=PEM
ssl.trustStore.location=/etc/zk/ca.pem
ssl.trustStore.type=pem
ssl.clientAuth=WANT
X509AuthenticationProvider.superUser=CN=admin,O=Example
DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=
extendedTypesEnabled=false
jute.maxbuffer=0x400000
`);
    assert.deepEqual(warnings, []);
    assert.deepEqual(settings, {
      port: 2182,
      host: '127.0.0.1',
      dataDir: '/var/lib/zookeeper',
      tickTime: 1000,
      minSessionTimeout: 3000,
      maxSessionTimeout: 60000,
      maxClientConnections: 0,
      maxOutstandingRequests: 500,
      snapCount: 50000,
      snapRetainCount: 5,
      preallocateBytes: 16384 * 1024,
      forceSync: false,
      fourLetterWords: '*',
      adminHost: '0.0.0.0',
      adminPort: 9090,
      securePort: 2281,
      tlsKeyFile: '/etc/zk/server.pem',
      tlsCertFile: '/etc/zk/server.pem',
      tlsCaFile: '/etc/zk/ca.pem',
      tlsClientAuth: 'want',
      tlsSuperUser: 'CN=admin,O=Example',
      superDigest: 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=',
      extendedTypes: false,
      maxFrameSize: 0x400000,
    });
  });

  it('records where each setting came from', () => {
    const { origins } = cfg('tickTime=1000\nssl.keyStore.location=/k.pem\n');
    assert.deepEqual(origins, { tickTime: 'zoo.cfg:1 (tickTime)', tlsKeyFile: 'zoo.cfg:2 (ssl.keyStore.location)', tlsCertFile: 'zoo.cfg:2 (ssl.keyStore.location)' });
  });

  it('the admin server: on at 8080 when enabled without a port, off when disabled, off when not mentioned', () => {
    assert.equal(cfg('admin.enableServer=true').settings.adminPort, 8080);
    assert.equal(cfg('admin.serverPort=8081').settings.adminPort, 8081);
    assert.deepEqual(cfg('clientPort=2181').settings, { port: 2181 });
    const off = cfg('admin.enableServer=false\nadmin.serverPort=8081\nadmin.serverAddress=0.0.0.0');
    assert.deepEqual(off.settings, {});
    assert.deepEqual(off.warnings, [{ line: 2, key: 'admin.serverPort', message: 'admin.serverPort is ignored: admin.enableServer is false (line 1)' }]);
  });

  it('-1 session timeouts mean the default; a retain count below 3 becomes 3 as in ZooKeeper', () => {
    assert.deepEqual(cfg('minSessionTimeout=-1\nmaxSessionTimeout=-1').settings, {});
    const low = cfg('autopurge.snapRetainCount=1');
    assert.equal(low.settings.snapRetainCount, 3);
    assert.match(low.warnings[0]!.message, /autopurge\.snapRetainCount 1 is below 3; using 3/);
  });

  it('ensemble keys get one warning saying Herd is standalone', () => {
    const { settings, warnings } = cfg('tickTime=2000\ninitLimit=10\nsyncLimit=5\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nquorum.auth.enableSasl=true\nssl.quorum.keyStore.location=/q.pem\n');
    assert.deepEqual(settings, { tickTime: 2000 });
    assert.equal(warnings.length, 1);
    assert.equal(
      warnings[0]!.message,
      "initLimit (line 2), syncLimit (line 3), server.1 (line 4), server.2 (line 5), quorum.auth.enableSasl (line 6), ssl.quorum.keyStore.location (line 7) only configure a ZooKeeper ensemble: Herd runs one standalone server (an ensemble is ZooKeeper's job), so they are ignored",
    );
  });

  it('every other key Herd does not apply gets a warning of its own, in line order', () => {
    const { warnings } = cfg(
      'dataDir=/d\ndataLogDir=/d-log\nautopurge.purgeInterval=24\nmetricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider\nnoSuchKey=1\nzookeeper.extendedTypesEnabled=true\nskipACL=yes\ndataDir=/d\n',
    );
    assert.deepEqual(
      warnings.map((w) => [w.line, w.key]),
      [[2, 'dataLogDir'], [3, 'autopurge.purgeInterval'], [4, 'metricsProvider.className'], [5, 'noSuchKey'], [6, 'zookeeper.extendedTypesEnabled'], [7, 'skipACL'], [8, 'dataDir']],
    );
    assert.match(warnings[0]!.message, /^dataLogDir has no Herd setting: Herd keeps its transaction log and snapshots together in dataDir \(\/d\); ignored$/);
    assert.match(warnings[1]!.message, /purges after every snapshot/);
    assert.match(warnings[2]!.message, /admin server \/metrics/);
    assert.equal(warnings[3]!.message, 'unknown key noSuchKey: ignored');
    assert.match(warnings[4]!.message, /try extendedTypesEnabled\)$/);
    assert.match(warnings[5]!.message, /always checks ACLs/);
    assert.match(warnings[6]!.message, /dataDir is set again \(first on line 1\); the last value wins/);
    // dataLogDir equal to dataDir, and secureClientPortAddress equal to clientPortAddress, change nothing: no warning.
    assert.deepEqual(cfg('dataDir=/d\ndataLogDir=/d\nclientPortAddress=::1\nsecureClientPortAddress=::1').warnings, []);
  });

  it('a bad value is an error naming the file, the line and the key', () => {
    const cases: [string, string][] = [
      ['clientPort=21a81', "zoo.cfg:1: clientPort must be an integer from 1 to 65535, got '21a81'"],
      ['\n\nclientPort=70000', "zoo.cfg:3: clientPort must be an integer from 1 to 65535, got '70000'"],
      ['tickTime=0', "zoo.cfg:1: tickTime must be an integer from 1 to 2147483647, got '0'"],
      ['tickTime=2147483648', "zoo.cfg:1: tickTime must be an integer from 1 to 2147483647, got '2147483648'"],
      ['maxClientCnxns=-1', "zoo.cfg:1: maxClientCnxns must be an integer from 0 to 2147483647, got '-1'"],
      ['extendedTypesEnabled=yes', "zoo.cfg:1: extendedTypesEnabled must be true or false, got 'yes'"],
      ['admin.enableServer=on', "zoo.cfg:1: admin.enableServer must be true or false, got 'on'"],
      ['forceSync=false', "zoo.cfg:1: forceSync must be yes or no, got 'false'"],
      ['ssl.clientAuth=required', "zoo.cfg:1: ssl.clientAuth must be none, want or need, got 'required'"],
      ['ssl.keyStore.type=JKS', "zoo.cfg:1: ssl.keyStore.type must be PEM: Herd reads PEM files only (convert a JKS store with openssl or keytool), got 'JKS'"],
      ['ssl.keyStore.location=/etc/zk/keystore.jks', "zoo.cfg:1: ssl.keyStore.location must be a PEM file: Herd cannot read a JKS or PKCS12 store (convert it with openssl), got '/etc/zk/keystore.jks'"],
      ['dataDir=', 'zoo.cfg:1: dataDir must not be empty'],
      ['jute.maxbuffer=4M', "zoo.cfg:1: jute.maxbuffer must be an integer from 1 to 2147483647 (decimal or 0x hex), got '4M'"],
      ['DigestAuthenticationProvider.superDigest=super', /^zoo\.cfg:1: DigestAuthenticationProvider\.superDigest must be user:base64-sha1 .*got 'super'$/.source],
      ['DigestAuthenticationProvider.superDigest=super:secret', "zoo.cfg:1: DigestAuthenticationProvider.superDigest must end in the base64 of a 20-byte SHA-1 (28 characters), got 'secret'"],
      ['minSessionTimeout=9000\nmaxSessionTimeout=4000', 'zoo.cfg:1: minSessionTimeout 9000 must not be larger than maxSessionTimeout 4000 (line 2)'],
      ['autopurge.purgeInterval=hourly', "zoo.cfg:1: autopurge.purgeInterval must be an integer from 0 to 2147483647, got 'hourly'"],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => cfg(text), (err: Error) => (message.startsWith('^') ? new RegExp(message).test(err.message) : err.message === message), text);
    }
  });

  it('readZooCfg: a missing file is an error naming it; a real file is read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herd-zoo-cfg-'));
    try {
      const missing = join(dir, 'nope', 'zoo.cfg');
      assert.throws(() => readZooCfg(missing), { message: `cannot read config file ${missing}: no such file` });
      assert.throws(() => readZooCfg(dir), { message: `cannot read config file ${dir}: EISDIR` });
      const file = join(dir, 'zoo.cfg');
      await writeFile(file, 'tickTime=500\nclientPort=abc\n');
      assert.throws(() => readZooCfg(file), { message: `${file}:2: clientPort must be an integer from 1 to 65535, got 'abc'` });
      await writeFile(file, 'tickTime=500\n');
      assert.deepEqual(readZooCfg(file).settings, { tickTime: 500 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
