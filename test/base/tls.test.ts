import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { connect, createServer, type Server } from 'node:tls';
import {
  checkClientTls,
  checkServerTls,
  clientTlsOf,
  isTlsHandshakeFailure,
  serverTlsOf,
  TLS_VERIFY_CODES,
  tlsConnectOptions,
  tlsServerOptions,
} from '../../src/base/tls.js';
import { BadArgumentsError } from '../../src/errors.js';
import { makeCerts, type Certs } from '../support/tls-certs.js';

const withCode = (code: string): Error => Object.assign(new Error(code), { code });

describe('isTlsHandshakeFailure', () => {
  it('classifies every certificate verification code, either side\'s alert, and a peer without TLS as a handshake failure', () => {
    const failures = [
      ...TLS_VERIFY_CODES,
      'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
      'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
      'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
      'ERR_SSL_WRONG_VERSION_NUMBER',
      'ERR_SSL_HTTP_REQUEST',
      'ERR_SSL_NO_SHARED_CIPHER',
    ];
    for (const code of failures) assert.equal(isTlsHandshakeFailure(withCode(code)), true, code);
    // The codes the two copies this replaced (rpc's isTlsRefusal, the log's isHandshakeFailure) listed by name.
    for (const code of ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID']) {
      assert.ok(TLS_VERIFY_CODES.has(code), code);
    }
  });

  it('does not classify a lost connection, a timeout or an uncoded error', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ERR_TLS_HANDSHAKE_TIMEOUT', 'ERR_SOCKET_CLOSED', 'OUT_OF_MEM']) {
      assert.equal(isTlsHandshakeFailure(withCode(code)), false, code);
    }
    assert.equal(isTlsHandshakeFailure(new Error('socket hang up')), false);
    assert.equal(isTlsHandshakeFailure(Object.assign(new Error('numeric'), { code: 1 })), false);
  });
});

describe('real handshakes', () => {
  let certs: Certs;
  let server: Server;
  let plain: NetServer;
  before(async () => {
    certs = await makeCerts();
    server = createServer(tlsServerOptions({ key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true }), (socket) => socket.end());
    plain = createNetServer((socket) => socket.end('not tls\n'));
    await Promise.all([new Promise<void>((r) => server.listen(0, '127.0.0.1', r)), new Promise<void>((r) => plain.listen(0, '127.0.0.1', r))]);
  });
  after(async () => {
    // Not awaited: node:tls may never call back a close once a refused handshake's socket is gone.
    server.close();
    plain.close();
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  /** Connects with `tls` and reads until the server ends; resolves with the error the connection failed with, or undefined. */
  function handshake(port: number, tls: Parameters<typeof tlsConnectOptions>[2]): Promise<Error | undefined> {
    return new Promise((resolve) => {
      let failure: Error | undefined;
      const socket = connect(tlsConnectOptions('127.0.0.1', port, tls));
      socket.resume();
      socket.once('error', (error) => (failure = error));
      socket.once('close', () => resolve(failure));
    });
  }
  const port = (s: Server | NetServer): number => (s.address() as AddressInfo).port;

  it('a client trusting another CA refuses the server: a handshake failure', async () => {
    const error = await handshake(port(server), { ca: await readFile(join(certs.dir, 'rogue-ca.crt')) });
    assert.ok(error, 'the handshake must fail');
    // The server sends its CA along with its certificate (it has `ca`), so the client finds an untrusted self-signed root.
    assert.ok(['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'].includes(String((error as { code?: string }).code)), String(error));
    assert.equal(isTlsHandshakeFailure(error), true);
  });

  it('a client trusting the server\'s CA connects, with the options clientTlsOf derives from a peer\'s', async () => {
    const peer = { key: certs.clientKey, cert: certs.clientCert, ca: certs.ca, servername: 'localhost' };
    assert.equal(await handshake(port(server), clientTlsOf(peer)), undefined);
    assert.deepEqual(Object.keys(serverTlsOf({ ...peer, requestCert: true })).sort(), ['ca', 'cert', 'key', 'requestCert']);
  });

  it('a TLS client reaching a plain server fails its handshake, not as a lost connection', async () => {
    const error = await handshake(port(plain), { ca: certs.ca });
    assert.ok(error, 'the handshake must fail');
    assert.equal(isTlsHandshakeFailure(error), true, String((error as { code?: string }).code));
  });
});

describe('checkServerTls / checkClientTls', () => {
  it('accept undefined and well-formed options, and throw BadArgumentsError otherwise', () => {
    assert.equal(checkServerTls(undefined, 'serve x'), undefined);
    assert.equal(checkClientTls(undefined, 'lookup x'), undefined);
    const server = { key: 'k', cert: 'c' };
    assert.equal(checkServerTls(server, 'serve x'), server);
    assert.throws(() => checkServerTls({ key: 'k' }, 'serve x'), (e: unknown) => e instanceof BadArgumentsError && /serve x: tls needs key and cert/.test(e.message));
    assert.throws(() => checkServerTls(null, 'serve x'), BadArgumentsError);
    assert.throws(() => checkClientTls('ca.pem', 'lookup x'), (e: unknown) => e instanceof BadArgumentsError && /lookup x: tls must be an object/.test(e.message));
  });

  it('tlsConnectOptions sends the host as SNI, but not an IP address', () => {
    assert.equal(tlsConnectOptions('localhost', 1, {}).servername, 'localhost');
    assert.equal('servername' in tlsConnectOptions('127.0.0.1', 1, {}), false);
    assert.equal(tlsConnectOptions('127.0.0.1', 1, { servername: 'db' }).servername, 'db');
  });
});
