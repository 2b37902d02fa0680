import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client, type ClientOptions } from '../../src/client/index.js';
import { Perms } from '../../src/jute/enums.js';
import { startServer, type ServerHandle, serverInstance } from '../../src/server/server.js';
import { requireTool } from '../support/interop.js';
import { CLIENT_SUBJECT, makeCerts, opensslAvailable, zookeeperPemStores, type Certs } from '../support/tls-certs.js';
import { startZooKeeper, zookeeperAvailable, type ZooKeeperServer } from '../support/zookeeper.js';

/**
 * The client's `tls` option against Herd's secure port and against real
 * ZooKeeper 3.8's Netty secure port (PEM key and trust stores), with client
 * certificates: the session is authenticated as the certificate's subject.
 */

const haveOpenssl = opensslAvailable();

async function connected(cs: string, options: ClientOptions): Promise<Client> {
  const client = createClient(cs, { connectTimeout: 10_000, sessionTimeout: 10_000, ...options });
  await client.connect();
  return client;
}

/** A client that must not get a session: connect rejects and the client ends closed. */
async function refused(cs: string, options: ClientOptions): Promise<void> {
  const client = createClient(cs, { connectTimeout: 2_000, sessionTimeout: 10_000, ...options });
  try {
    await assert.rejects(client.connect());
    assert.equal(client.sessionId, 0n);
  } finally {
    await client.close().catch(() => {});
  }
}

describe('client TLS', { skip: !haveOpenssl && 'openssl not available' }, () => {
  let certs: Certs;
  before(async () => {
    certs = await makeCerts();
  });
  after(async () => {
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  describe("Herd's secure port", () => {
    let handle: ServerHandle;
    let secure: string;
    before(async () => {
      handle = await startServer({
        port: 0,
        host: '127.0.0.1',
        securePort: 0,
        logLevel: 'silent',
        tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, clientAuth: 'need' },
      });
      secure = `127.0.0.1:${handle.securePort!}`;
    });
    after(async () => {
      await handle?.close();
    });

    it('a client certificate authenticates the session as x509:<subject>, and ACLs match it', async () => {
      const client = await connected(secure, { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
      const plain = await connected(handle.connectionString, {});
      try {
        const ids = (await client.whoAmI()).map((i) => `${i.authScheme}:${i.user}`).sort();
        assert.deepEqual(ids, ['ip:127.0.0.1', `x509:${CLIENT_SUBJECT}`].sort());
        await client.create('/tls-herd', 'over tls', { acl: [{ perms: Perms.all, id: { scheme: 'x509', id: CLIENT_SUBJECT } }] });
        assert.equal((await client.getData('/tls-herd')).data?.toString(), 'over tls');
        await assert.rejects(plain.getData('/tls-herd'), { code: 'NOAUTH' });
      } finally {
        await client.close();
        await plain.close();
      }
    });

    it('the session survives a dropped TLS connection: the client reconnects over TLS', async () => {
      const client = await connected(secure, { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
      try {
        const session = client.sessionId;
        await client.create('/tls-eph', 'e', { mode: 'ephemeral' });
        const back = new Promise<void>((resolve) => client.once('connected', () => resolve()));
        // Kill every connection on the secure port from the server side.
        serverInstance(handle).dropConnections();
        await back;
        assert.equal(client.sessionId, session);
        assert.ok(await client.exists('/tls-eph'));
      } finally {
        await client.close();
      }
    });

    it('servername and PEM strings: connecting by host name works', async () => {
      const client = await connected(`localhost:${handle.securePort!}`, {
        tls: { ca: certs.ca.toString(), cert: certs.clientCert.toString(), key: certs.clientKey.toString(), servername: 'localhost' },
      });
      assert.ok(client.sessionId !== 0n);
      await client.close();
    });

    it('refused: no client certificate, a certificate from another CA, an untrusted server', async () => {
      await refused(secure, { tls: { ca: certs.ca } });
      await refused(secure, { tls: { ca: certs.ca, cert: certs.rogueCert, key: certs.rogueKey } });
      // The server's certificate is checked against `ca` (here one that did not sign it)...
      await refused(secure, { tls: { ca: certs.rogueCert, cert: certs.clientCert, key: certs.clientKey } });
      // ...unless verification is off.
      const lax = await connected(secure, {
        tls: { ca: certs.rogueCert, cert: certs.clientCert, key: certs.clientKey, rejectUnauthorized: false },
      });
      await lax.close();
      // A plain client on the secure port gets no session.
      await refused(secure, {});
    });
  });

  describe("ZooKeeper 3.8's Netty secure port", () => {
    let zk: ZooKeeperServer | undefined;
    before(async () => {
      if (!zookeeperAvailable()) return;
      const stores = await zookeeperPemStores(certs);
      zk = await startZooKeeper({ forceSync: false, tls: { ...stores, clientAuth: 'need' } });
    });
    after(async () => {
      await zk?.destroy();
    });

    it('connects with a client certificate: whoAmI shows the x509 id, ACLs match it, the plain port shares the tree', async (t) => {
      if (!requireTool(t, zk !== undefined, 'Java and the ZooKeeper jars')) return;
      const secure = `127.0.0.1:${zk!.securePort!}`;
      const client = await connected(secure, { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
      const plain = await connected(zk!.connectionString, {});
      try {
        const ids = await client.whoAmI();
        assert.ok(
          ids.some((i) => i.authScheme === 'x509' && i.user === CLIENT_SUBJECT),
          `whoAmI: ${JSON.stringify(ids)}`,
        );
        await client.create('/tls-zk', 'over netty tls', { acl: [{ perms: Perms.all, id: { scheme: 'x509', id: CLIENT_SUBJECT } }] });
        assert.equal((await client.getData('/tls-zk')).data?.toString(), 'over netty tls');
        await assert.rejects(plain.getData('/tls-zk'), { code: 'NOAUTH' });
        assert.ok((await plain.getChildren('/')).includes('tls-zk'));
        // Many pipelined requests over TLS, answered in order.
        const n = 200;
        const writes = Array.from({ length: n }, (_, i) => client.create(`/tls-zk/c${i}`, String(i)));
        await Promise.all(writes);
        const reads = await Promise.all(Array.from({ length: n }, (_, i) => client.getData(`/tls-zk/c${i}`)));
        assert.deepEqual(reads.map((r) => r.data?.toString()), Array.from({ length: n }, (_, i) => String(i)));
      } finally {
        await client.close();
        await plain.close();
      }
    });

    it('refused without a client certificate or with an untrusted one', async (t) => {
      if (!requireTool(t, zk !== undefined, 'Java and the ZooKeeper jars')) return;
      const secure = `127.0.0.1:${zk!.securePort!}`;
      await refused(secure, { tls: { ca: certs.ca } });
      await refused(secure, { tls: { ca: certs.ca, cert: certs.rogueCert, key: certs.rogueKey } });
    });
  });
});
