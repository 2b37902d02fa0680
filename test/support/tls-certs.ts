/**
 * Throwaway certificates for TLS tests, made at test time with the openssl
 * command: a CA, a server certificate for 127.0.0.1 / localhost, a client
 * certificate it signed, and a client certificate from another CA.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The client certificate's subject as ZooKeeper's x509 provider names it (RFC 2253). */
export const CLIENT_SUBJECT = 'CN=herd-client,O=Herd Test,C=US';

export interface Certs {
  /** Temp directory holding every file below as `<name>.key` / `<name>.crt`. */
  dir: string;
  ca: Buffer;
  serverKey: Buffer;
  serverCert: Buffer;
  clientKey: Buffer;
  clientCert: Buffer;
  rogueKey: Buffer;
  rogueCert: Buffer;
}

export function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

/** Runs a command in `cwd`; throws with its stderr when it fails. */
export function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

/** Makes the certificates in a new temp directory (the caller removes it). */
export async function makeCerts(): Promise<Certs> {
  const dir = await mkdtemp(join(tmpdir(), 'herd-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string) => run('openssl', ['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`], dir);
  const leaf = (name: string, subj: string, issuer: string, ext: string) => {
    run('openssl', ['req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj], dir);
    run('openssl', ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.crt`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', ext], dir);
  };
  ca('herd-test-ca');
  ca('rogue-ca');
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  leaf('server', '/CN=127.0.0.1', 'herd-test-ca', 'server.ext');
  leaf('client', '/C=US/O=Herd Test/CN=herd-client', 'herd-test-ca', 'client.ext');
  leaf('rogue', '/CN=rogue', 'rogue-ca', 'client.ext');
  const f = (name: string) => readFile(join(dir, name));
  return {
    dir,
    ca: await f('herd-test-ca.crt'),
    serverKey: await f('server.key'),
    serverCert: await f('server.crt'),
    clientKey: await f('client.key'),
    clientCert: await f('client.crt'),
    rogueKey: await f('rogue.key'),
    rogueCert: await f('rogue.crt'),
  };
}

/**
 * PEM stores for a ZooKeeper server (`ssl.keyStore.type=PEM`): the key store
 * holds the server's PKCS#8 key and certificate, the trust store the CA.
 */
export async function zookeeperPemStores(certs: Certs): Promise<{ keyStore: string; trustStore: string }> {
  const keyStore = join(certs.dir, 'zk-keystore.pem');
  const trustStore = join(certs.dir, 'zk-truststore.pem');
  await writeFile(keyStore, Buffer.concat([certs.serverKey, certs.serverCert]));
  await writeFile(trustStore, certs.ca);
  return { keyStore, trustStore };
}
