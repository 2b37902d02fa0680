/**
 * The TLS options of Herd's own protocols (rpc, the log's storage nodes,
 * tables between nodes), defined once: one shape for the side that
 * listens, one for the side that connects, and one for a peer that does
 * both with the same certificate. Also the one rule for "did this socket
 * error come from the TLS handshake" and the node:tls options each shape
 * becomes.
 *
 * Key, certificates and CAs are PEM, as node:tls takes them: a string, a
 * Buffer, or an array of them. Files are read by whoever has paths (the
 * CLI's `--tls-*` flags read theirs and pass the contents here).
 *
 * The ZooKeeper client and server (`ClientTlsOptions`, the server's
 * `TlsOptions`) keep their own shapes: they follow ZooKeeper's settings
 * (`ssl.clientAuth`) and node:tls's (`rejectUnauthorized`), which these
 * protocols do not offer.
 */
import { isIP } from 'node:net';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import { BadArgumentsError } from '../errors.js';

/** PEM data as node:tls takes it: one string or Buffer, or several (a chain, a CA bundle). */
export type Pem = string | Buffer | (string | Buffer)[];

/**
 * TLS of a process that accepts connections (rpc's `serve`, a log storage
 * node). Connections that fail the handshake are refused (and logged by
 * the server).
 */
export interface TlsServerOptions {
  /** The server's private key. Required. */
  readonly key: Pem;
  /** The server's certificate (chain). Required. */
  readonly cert: Pem;
  /** The CAs that sign client certificates (with `requestCert`). Default Node's bundled roots. */
  readonly ca?: Pem;
  /**
   * Mutual TLS: every client must present a certificate signed by `ca`, or
   * its connection is refused with an error it can report (the server
   * checks the certificate itself after the handshake, rather than letting
   * node:tls cut the connection without a word). Default false.
   */
  readonly requestCert?: boolean;
}

/**
 * TLS of a process that connects (rpc's `lookup`, a log client). The
 * server's certificate is always verified: against `ca`, and for the
 * host name `servername`. There is no way to turn verification off.
 */
export interface TlsClientOptions {
  /** The CAs that sign the servers' certificates. Default Node's bundled roots. */
  readonly ca?: Pem;
  /** The client's private key, for servers that ask for a client certificate (`requestCert`). */
  readonly key?: Pem;
  /** The client's certificate (chain), for servers that ask for one. */
  readonly cert?: Pem;
  /**
   * The name the server's certificate must carry (also sent as SNI).
   * Default the host connected to (an IP address is checked against the
   * certificate's IP subject alternative names, and sent without SNI).
   */
  readonly servername?: string;
}

/**
 * TLS of a process that both serves and connects with one certificate
 * (a tables node: its rpc object and storage node, and its connections to
 * the other nodes). As a server it is {@link TlsServerOptions}; as a
 * client it trusts `ca`, presents `key` and `cert` (which then needs the
 * clientAuth use when the peers ask for it) and checks `servername`.
 */
export interface TlsPeerOptions extends TlsServerOptions {
  /** The name the peers' certificates must carry. Default the host of each peer's address. */
  readonly servername?: string;
}

/**
 * Returns `tls` when it is undefined or server options with key and cert.
 *
 * @throws BadArgumentsError otherwise, naming `what` (`serve billing`, `startLogNode`).
 */
export function checkServerTls(tls: unknown, what: string): TlsServerOptions | undefined {
  if (tls === undefined) return undefined;
  const t = tls as Partial<TlsServerOptions> | null;
  if (typeof t !== 'object' || t === null || !t.key || !t.cert) throw new BadArgumentsError(`${what}: tls needs key and cert`);
  return t as TlsServerOptions;
}

/**
 * Returns `tls` when it is undefined or an object.
 *
 * @throws BadArgumentsError otherwise, naming `what`.
 */
export function checkClientTls(tls: unknown, what: string): TlsClientOptions | undefined {
  if (tls === undefined) return undefined;
  if (typeof tls !== 'object' || tls === null) throw new BadArgumentsError(`${what}: tls must be an object`);
  return tls as TlsClientOptions;
}

/** Keeps only the defined values: node:tls treats a present `undefined` differently from an absent key in places. */
function defined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}

/** The server side of peer options. */
export function serverTlsOf(tls: TlsPeerOptions): TlsServerOptions {
  return defined({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: tls.requestCert });
}

/** The client side of a server's (or peer's) options: it trusts `ca` and presents its own certificate (for servers with `requestCert`). */
export function clientTlsOf(tls: TlsServerOptions | TlsPeerOptions): TlsClientOptions {
  return defined({ key: tls.key, cert: tls.cert, ca: tls.ca, servername: 'servername' in tls ? tls.servername : undefined });
}

/**
 * The node:tls server options of `tls`. Client certificates are requested
 * (with `requestCert`) but not enforced by node:tls (`rejectUnauthorized:
 * false`): the server checks `socket.authorized` itself, so it can tell a
 * refused client why instead of dropping it mid-handshake (under TLS 1.3
 * the client would only see a closed connection).
 */
export function tlsServerOptions(tls: TlsServerOptions): TlsOptions {
  return defined({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: tls.requestCert === true, rejectUnauthorized: false });
}

/** The node:tls connect options of `tls` for `host:port`, with `servername` defaulting to `host` (an IP address sends no SNI). */
export function tlsConnectOptions(host: string, port: number, tls: TlsClientOptions): ConnectionOptions {
  return defined({ host, port, ca: tls.ca, key: tls.key, cert: tls.cert, servername: tls.servername ?? (isIP(host) ? undefined : host) });
}

/**
 * The certificate verification failures OpenSSL (through node:tls) reports
 * by code on the side that refused a certificate, plus node:tls's host name
 * check. The peer that was refused sees an `ERR_SSL_...ALERT...` code
 * instead.
 */
export const TLS_VERIFY_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * True when a socket error is the TLS handshake failing, not a lost
 * connection: a certificate refused by this side ({@link TLS_VERIFY_CODES})
 * or by the peer (its alert: unknown CA, expired, certificate required),
 * or a peer that does not speak TLS or shares no protocol version or
 * cipher with this side (any OpenSSL `ERR_SSL_` code). Such a failure
 * is a configuration to fix: retrying will not help.
 */
export function isTlsHandshakeFailure(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (TLS_VERIFY_CODES.has(code) || code.startsWith('ERR_SSL_'));
}
