import type { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { TlsOptions } from './options.js';

/**
 * The secure client port: a node:tls server whose decrypted sockets feed the
 * same ServerConnection as the plain port. Client certificates follow
 * ZooKeeper's `ssl.clientAuth`: 'need' refuses a client without a certificate
 * the CA vouches for at the handshake; 'want' asks for one and lets a client
 * without any in, but (as Java's SSLEngine with wantClientAuth) refuses one
 * whose certificate does not verify; 'none' asks for none.
 */

/** Creates the TLS listener; `onSecure` gets each socket whose handshake succeeded and passed the client-auth rule. */
export function createSecureListener(
  options: TlsOptions,
  onSecure: (socket: TLSSocket) => void,
  onRefused: (socket: TLSSocket | Socket, reason: string) => void,
): Server {
  const mode = options.clientAuth ?? 'need';
  const server = createServer(
    {
      key: options.key,
      cert: options.cert,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      requestCert: mode !== 'none',
      rejectUnauthorized: mode === 'need',
      // A client that never finishes its handshake must not hold a connection slot for long.
      handshakeTimeout: 10_000,
    },
    (socket) => {
      if (mode === 'want' && !socket.authorized && hasPeerCertificate(socket)) {
        onRefused(socket, `client certificate rejected: ${String(socket.authorizationError)}`);
        socket.destroy();
        return;
      }
      onSecure(socket);
    },
  );
  server.on('tlsClientError', (err, socket) => onRefused(socket, `TLS handshake failed: ${err.message}`));
  return server;
}

function hasPeerCertificate(socket: TLSSocket): boolean {
  const cert = socket.getPeerCertificate();
  return cert !== null && Object.keys(cert).length > 0;
}

/**
 * The subject of the verified client certificate in RFC 2253 form (what
 * Java's `X500Principal.getName()` gives ZooKeeper's x509 provider), or null
 * when the socket has no verified certificate.
 */
export function verifiedSubject(socket: TLSSocket): string | null {
  if (!socket.authorized) return null;
  const cert = socket.getPeerX509Certificate();
  return cert ? subjectRfc2253(cert) : null;
}

/**
 * Node prints a subject one RDN per line, most significant first, with the
 * values already escaped as RFC 2253 asks (OpenSSL's ASN1_STRFLGS_ESC_2253);
 * RFC 2253 lists them the other way round, comma separated:
 * `C=US\nO=Herd\nCN=client` → `CN=client,O=Herd,C=US`. Attribute types that
 * Java does not name (emailAddress, ...) keep OpenSSL's short name here where
 * Java would print a dotted OID with a hex value.
 */
export function subjectRfc2253(cert: Pick<X509Certificate, 'subject'>): string {
  return cert.subject
    .split('\n')
    .filter((rdn) => rdn.length > 0)
    .reverse()
    .join(',');
}
