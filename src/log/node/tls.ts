/**
 * TLS between the log's storage nodes and their clients (writers, readers,
 * the auditor). The options are Herd's one TLS shape (src/base/tls.ts,
 * also the rpc layer's `serve` and `lookup` `tls`): PEM strings or
 * Buffers, as node:tls takes them.
 *
 * A node with `tls` still listens on one plain TCP port and looks at the
 * first byte a connection sends: a TLS ClientHello (record type 22) goes on
 * to the handshake; anything else is a client speaking the plain protocol,
 * which gets one error reply saying the node wants TLS, then the
 * connection ends. So a client without `tls` fails at once with
 * {@link NodeAuthenticationError}, never by hanging on a handshake it does
 * not speak. A client with `tls` that reaches a node without it fails the
 * same way (node:tls reports the plain reply as a wrong TLS version).
 * Nodes also record `tls: true` in their registration, so the node pool
 * can refuse before connecting.
 */
import type { Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { checkClientTls, checkServerTls, clientTlsOf, isTlsHandshakeFailure, tlsConnectOptions, tlsServerOptions, type TlsClientOptions, type TlsServerOptions } from '../../base/tls.js';
import { HerdError, type HerdErrorOptions } from '../../errors.js';
import { JuteReader } from '../../jute/reader.js';
import { encodeFrame, ErrorBodyCodec, LENGTH_PREFIX_SIZE, NO_REQUEST_ID, readHeader } from '../protocol/frame.js';
import { Status } from '../protocol/status.js';

/** TLS of a storage node (`startLogNode`'s `tls`): the shape every Herd server takes (`serve`'s `tls` in herd-zk/rpc too). */
export type LogNodeTlsOptions = TlsServerOptions;

/** TLS of a storage node's client (`openLog`'s, `connectLogNode`'s `tls`): the shape every Herd client takes (`lookup`'s `tls` in herd-zk/rpc too). */
export type LogTlsOptions = TlsClientOptions;

/**
 * TLS between a storage node and a client failed: a certificate was
 * refused (unknown CA, wrong host name, a missing client certificate on a
 * node with `requestCert`), or one side uses TLS and the other does not.
 * Code `AUTHENTICATION`, as herd-zk/rpc's AuthenticationError: the
 * configuration has to change, so trying again will not help.
 */
export class NodeAuthenticationError extends HerdError {
  override name = 'NodeAuthenticationError';
  declare readonly code: 'AUTHENTICATION';
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('AUTHENTICATION', message, options);
  }
}

/** What a TLS node answers a plain-protocol request with; the client recognises it by this text. */
export const TLS_REQUIRED = 'this log node serves over TLS';

/** What a node with `requestCert` answers a client whose certificate it refused; the client recognises it by this text. */
export const CLIENT_CERT_REQUIRED = 'this log node requires a client certificate signed by its CA';

/** The first byte of a TLS handshake record. */
const TLS_HANDSHAKE = 0x16;

/** Throws BadArgumentsError unless `tls` is undefined or a node's TLS options with key and cert. */
export const checkNodeTls = checkServerTls;

export { checkClientTls, clientTlsOf };

/**
 * Wraps a node's `accept` (which takes a connected, secure socket): the
 * returned listener takes the raw TCP sockets of the node's listener,
 * answers a plain-protocol client with an error, and hands a TLS client's
 * socket to `accept` once its handshake succeeded.
 */
export function tlsAcceptor(tls: LogNodeTlsOptions, accept: (socket: Socket) => void, log: (message: string) => void): (socket: Socket) => void {
  const requestCert = tls.requestCert === true;
  // Never listens: it runs the handshake of the sockets handed to it. Client certificates are checked below, not by
  // node:tls, which would cut the connection without a word the client could report.
  const handshakes = createTlsServer(tlsServerOptions(tls), (secure: TLSSocket) => {
    if (!requestCert || secure.authorized) {
      accept(secure);
      return;
    }
    // Under TLS 1.3 the client finishes its handshake before the node has checked its certificate: refuse with a reply it can read.
    log(`TLS client ${secure.remoteAddress}:${secure.remotePort} refused: ${String(secure.authorizationError)}`);
    secure.on('error', () => secure.destroy());
    secure.once('data', (request: Buffer) => refuse(secure, request, `${CLIENT_CERT_REQUIRED} (${String(secure.authorizationError)})`));
  });
  handshakes.on('tlsClientError', (error, socket) => log(`TLS handshake with ${socket.remoteAddress}:${socket.remotePort} failed: ${error.message}`));
  return (socket) => {
    const dropped = (): void => void socket.destroy();
    socket.on('error', dropped);
    socket.once('data', (first: Buffer) => {
      socket.pause();
      if (first[0] !== TLS_HANDSHAKE) {
        refuse(socket, first, `${TLS_REQUIRED}: connect with the \`tls\` option (its ca)`);
        return;
      }
      // node:tls reads what is already buffered on the socket (initRead), so the ClientHello is not lost.
      socket.unshift(first);
      socket.off('error', dropped);
      handshakes.emit('connection', socket);
    });
  };
}

/** Answers the first request a client sent (its id and kind read from `first`) with `message`, then ends. */
function refuse(socket: Socket, first: Buffer, message: string): void {
  let kind = 0;
  let requestId = NO_REQUEST_ID;
  if (first.length >= LENGTH_PREFIX_SIZE + 12) {
    const header = readHeader(new JuteReader(first.subarray(LENGTH_PREFIX_SIZE)));
    kind = header.kind;
    requestId = header.requestId;
  }
  socket.end(encodeFrame(kind, requestId, Status.BAD_REQUEST, ErrorBodyCodec, message));
  socket.setTimeout(1000, () => socket.destroy());
}

/** True when a socket error is the TLS handshake failing (a refused certificate either way, or a peer that does not speak TLS), not a lost connection. */
export const isHandshakeFailure = isTlsHandshakeFailure;

/** Opens a TLS connection to a node (the caller waits for `secureConnect`). */
export function connectTls(host: string, port: number, tls: LogTlsOptions): Socket {
  return tlsConnect(tlsConnectOptions(host, port, tls));
}
