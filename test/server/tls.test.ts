import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createClient, type Client, type ClientOptions } from '../../src/client/index.js';
import { Perms } from '../../src/jute/enums.js';
import { serverInstance, startServer, type ServerHandle } from '../../src/server/server.js';
import type { ClientAuthMode } from '../../src/server/options.js';
import { javaAvailable, requireTool } from '../support/interop.js';
import { freePort } from '../support/ports.js';
import { CLIENT_SUBJECT, makeCerts, opensslAvailable, run, type Certs } from '../support/tls-certs.js';
import { JAVA_LIB_DIR, zkCliCommand, zookeeperAvailable } from '../support/zookeeper.js';

/**
 * TLS on the secure client port. Certificates are made at test time with the
 * openssl command (test/support/tls-certs.ts): a throwaway CA, a server
 * certificate for 127.0.0.1, a client certificate it signed, and a client
 * certificate from another CA.
 *
 * Herd's client connects with its `tls` option. zkCli in TLS mode
 * (ClientCnxnSocketNetty) talks TLS itself, against a child `herd server`
 * started with the CLI's --secure-port/--tls-* flags.
 */

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
const STORE_PASS = 'herdpass';

interface Identity {
  key: Buffer;
  cert: Buffer;
}

/** The client's TLS options for the secure port: trust the test CA, present `identity` if given. */
function tlsOptions(ca: Buffer, identity?: Identity): ClientOptions {
  return { tls: { ca, servername: 'localhost', ...(identity ?? {}) } };
}

/** Opens a TLS connection and reports whether the server kept it past the handshake (it may refuse a client certificate after). */
function tlsProbe(port: number, ca: Buffer, identity?: Identity): Promise<'open' | string> {
  return new Promise((resolve) => {
    const socket: TLSSocket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...(identity ?? {}) });
    let settled = false;
    const done = (v: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(v);
    };
    socket.on('error', (err) => done(`error: ${err.message}`));
    socket.on('close', () => done('closed'));
    // TLS 1.3 finishes the client's handshake before the server has checked the client certificate: wait a little.
    socket.on('secureConnect', () => setTimeout(() => done('open'), 300));
  });
}

async function connected(cs: string, options: ClientOptions = {}): Promise<Client> {
  const client = createClient(cs, { connectTimeout: 5000, sessionTimeout: 10000, ...options });
  await client.connect();
  return client;
}

async function startTls(certs: Certs, clientAuth: ClientAuthMode): Promise<ServerHandle> {
  return startServer({
    port: 0,
    host: '127.0.0.1',
    securePort: 0,
    logLevel: 'silent',
    tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, clientAuth },
  });
}

const haveOpenssl = opensslAvailable();

describe('TLS secure client port', { skip: !haveOpenssl && 'openssl not available' }, () => {
  let certs: Certs;
  before(async () => {
    certs = await makeCerts();
  });
  after(async () => {
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  it('clientAuth need: a client certificate is required, and its subject becomes an x509 id that ACLs match', async () => {
    const handle = await startTls(certs, 'need');
    const server = serverInstance(handle);
    const securePort = server.securePort!;
    assert.notEqual(securePort, handle.port);
    const secure = `127.0.0.1:${securePort}`;
    const withCert = tlsOptions(certs.ca, { key: certs.clientKey, cert: certs.clientCert });
    const plainClient = await connected(handle.connectionString);
    let tlsClient: Client | null = null;
    try {
      tlsClient = await connected(secure, withCert);
      const ids = await tlsClient.whoAmI();
      assert.deepEqual(
        ids.map((i) => `${i.authScheme}:${i.user}`).sort(),
        ['ip:127.0.0.1', `x509:${CLIENT_SUBJECT}`].sort(),
      );
      // A node only the certificate's subject may use.
      const acl = [{ perms: Perms.all, id: { scheme: 'x509', id: CLIENT_SUBJECT } }];
      await tlsClient.create('/secure', 'over tls', { acl });
      assert.equal((await tlsClient.getData('/secure')).data?.toString(), 'over tls');
      await tlsClient.setData('/secure', 'changed');
      // The 'auth' ACL expands to the certificate's id.
      await tlsClient.create('/mine', 'x', { acl: [{ perms: Perms.all, id: { scheme: 'auth', id: '' } }] });
      assert.deepEqual((await tlsClient.getACL('/mine')).acl, acl);
      // The plain port serves at the same time; without the certificate the node is closed to it.
      await assert.rejects(plainClient.getData('/secure'), { code: 'NOAUTH' });
      assert.deepEqual((await plainClient.getChildren('/')).sort(), ['mine', 'secure', 'zookeeper']);

      // No client certificate, or one from a CA the server does not trust: refused at the handshake.
      assert.notEqual(await tlsProbe(securePort, certs.ca), 'open');
      assert.notEqual(await tlsProbe(securePort, certs.ca, { key: certs.rogueKey, cert: certs.rogueCert }), 'open');
      // A plaintext ZooKeeper handshake on the secure port goes nowhere.
      // ...and a client without a certificate gets no session.
      const stray = createClient(secure, { connectTimeout: 1500, ...tlsOptions(certs.ca) });
      await assert.rejects(stray.connect());
      await stray.close().catch(() => {});
    } finally {
      await tlsClient?.close();
      await plainClient.close();
      await handle.close();
    }
  });

  it('clientAuth want: no certificate is fine (no x509 id), an untrusted one is refused', async () => {
    const handle = await startTls(certs, 'want');
    const securePort = handle.securePort!;
    const secure = `127.0.0.1:${securePort}`;
    const anonymous = tlsOptions(certs.ca);
    const withCert = tlsOptions(certs.ca, { key: certs.clientKey, cert: certs.clientCert });
    const clients: Client[] = [];
    try {
      const anon = await connected(secure, anonymous);
      clients.push(anon);
      assert.deepEqual((await anon.whoAmI()).map((i) => i.authScheme), ['ip']);
      const owner = await connected(secure, withCert);
      clients.push(owner);
      await owner.create('/x509-only', 'secret', { acl: [{ perms: Perms.all, id: { scheme: 'x509', id: CLIENT_SUBJECT } }] });
      await assert.rejects(anon.getData('/x509-only'), { code: 'NOAUTH' });
      assert.equal((await owner.getData('/x509-only')).data?.toString(), 'secret');
      assert.notEqual(await tlsProbe(securePort, certs.ca, { key: certs.rogueKey, cert: certs.rogueCert }), 'open');
      assert.equal(await tlsProbe(securePort, certs.ca), 'open');
    } finally {
      for (const c of clients) await c.close();
      await handle.close();
    }
  });

  it('clientAuth none: any TLS client connects and gets no x509 id, even with a certificate', async () => {
    const handle = await startTls(certs, 'none');
    try {
      const client = await connected(`127.0.0.1:${handle.securePort!}`, tlsOptions(certs.ca, { key: certs.clientKey, cert: certs.clientCert }));
      await client.create('/n', 'v');
      assert.deepEqual((await client.whoAmI()).map((i) => i.authScheme), ['ip']);
      await client.close();
    } finally {
      await handle.close();
    }
  });

  it('maxClientConnections counts both ports: over the limit, a TLS client is cut off before its handshake', async () => {
    const handle = await startServer({
      port: 0,
      host: '127.0.0.1',
      securePort: 0,
      logLevel: 'silent',
      maxClientConnections: 2,
      tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, clientAuth: 'none' },
    });
    try {
      const overTls = await connected(`127.0.0.1:${handle.securePort!}`, tlsOptions(certs.ca));
      const plain = await connected(handle.connectionString);
      assert.notEqual(await tlsProbe(handle.securePort!, certs.ca), 'open');
      await plain.close();
      await waitFor(async () => (await tlsProbe(handle.securePort!, certs.ca)) === 'open', 5000);
      await overTls.close();
    } finally {
      await handle.close();
    }
  });

  it('zkCli in TLS mode (ClientCnxnSocketNetty) creates and reads through the CLI-started secure port', async (t) => {
    if (!requireTool(t, javaAvailable() && zookeeperAvailable(), 'Java and the ZooKeeper jars')) return;
    const dir = certs.dir;
    // PKCS12 stores for the JVM: the client's key and chain, and a trust store holding the CA.
    run('openssl', ['pkcs12', '-export', '-in', 'client.crt', '-inkey', 'client.key', '-certfile', 'herd-test-ca.crt', '-name', 'client', '-out', 'client.p12', '-passout', `pass:${STORE_PASS}`], dir);
    run('keytool', ['-importcert', '-noprompt', '-alias', 'herd-ca', '-file', 'herd-test-ca.crt', '-keystore', 'trust.p12', '-storetype', 'PKCS12', '-storepass', STORE_PASS], dir);
    const [port, securePort] = [await freePort(), await freePort()];
    const dataDir = await mkdtemp(join(tmpdir(), 'herd-tls-data-'));
    const child: ChildProcess = spawn(
      process.execPath,
      [
        CLI, 'server', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn',
        '--secure-port', String(securePort), '--tls-key', join(dir, 'server.key'), '--tls-cert', join(dir, 'server.crt'),
        '--tls-ca', join(dir, 'herd-test-ca.crt'), '--tls-client-auth', 'need',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    try {
      await waitFor(async () => (await tlsProbe(securePort, certs.ca, { key: certs.clientKey, cert: certs.clientCert })) === 'open');
      const jvmTls = [
        '-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty',
        '-Dzookeeper.client.secure=true',
        `-Dzookeeper.ssl.keyStore.location=${join(dir, 'client.p12')}`,
        `-Dzookeeper.ssl.keyStore.password=${STORE_PASS}`,
        '-Dzookeeper.ssl.keyStore.type=PKCS12',
        `-Dzookeeper.ssl.trustStore.location=${join(dir, 'trust.p12')}`,
        `-Dzookeeper.ssl.trustStore.password=${STORE_PASS}`,
        '-Dzookeeper.ssl.trustStore.type=PKCS12',
      ];
      const result = await zkCli(`127.0.0.1:${securePort}`, jvmTls, 'create /from-zkcli hello-tls\nget /from-zkcli\nwhoami\n');
      const out = result.stdout + result.stderr;
      assert.match(out, /Created \/from-zkcli/, out);
      assert.match(result.stdout, /^hello-tls$/m, out);
      // whoami lists the certificate's subject as the session's x509 id.
      assert.ok(out.includes(CLIENT_SUBJECT), out);
      // The write is in the same tree the plain port serves.
      const plain = await connected(`127.0.0.1:${port}`);
      assert.equal((await plain.getData('/from-zkcli')).data?.toString(), 'hello-tls');
      await plain.close();
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}

/** zkCli with extra JVM flags (the TLS system properties), a script on stdin. */
function zkCli(cs: string, jvmFlags: string[], script: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const [java, ...rest] = zkCliCommand(cs);
  // ClientCnxnSocketNetty also needs netty's resolver and codec jars, which zookeeper.jar's manifest does not list.
  const cp = rest.indexOf('-cp');
  rest[cp + 1] = [rest[cp + 1], join(JAVA_LIB_DIR, 'netty-resolver.jar'), join(JAVA_LIB_DIR, 'netty-codec.jar')].join(':');
  return new Promise((resolve, reject) => {
    const child = spawn(java!, [...jvmFlags, ...rest], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), code });
    });
    child.stdin.end(script + 'quit\n');
  });
}
