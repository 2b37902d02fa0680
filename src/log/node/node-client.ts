/**
 * A client of one storage node: what the log's writer and readers use to
 * talk to the nodes of an ensemble.
 *
 * ```ts
 * await using node = await connectLogNode('10.0.0.5:3181', { timeout: 5000 });
 * await node.addEntry({ segmentId: 7, entryId: 0, timestamp: Date.now(), lastAddConfirmed: -1, data });
 * for await (const e of node.readRange(7, { fromTime, toTime })) ...
 * ```
 *
 * One connection, many requests in flight: each request gets an id, its
 * reply is matched by that id (replies may come in any order), and
 * requests written in one tick go out as one socket write.
 *
 * Failure handling, each in one place:
 * - A reply with a status other than OK rejects with the error class of
 *   that status (NoEntryError, SegmentFencedError, ...; src/log/protocol/status.ts).
 * - Timeouts come from one periodic sweep over the pending requests
 *   (BookKeeper's monitorPendingAddOps), not a timer per request: a
 *   request unanswered for `timeout` ms rejects with TimeoutError; its
 *   late reply is dropped. A streamed read's clock restarts with each reply.
 * - The connection drops (or the node breaks the protocol, or speaks
 *   another protocol version): {@link failAll} rejects every pending
 *   request with NodeDisconnectedError (or LogProtocolError, or
 *   UnsupportedVersionError), and every later call rejects the same way. The
 *   client does not reconnect: connect again. An add pending at that
 *   moment may or may not be stored.
 *
 * Limits: a streamed read cannot be cancelled on the node; breaking out of
 * the loop drops the rest of its replies as they arrive.
 *
 * Where each job lives: connecting and the INFO handshake here; matching
 * replies to requests, timeouts and failures in ./node-client-channel.ts;
 * the requests in ./node-client-calls.ts; range reads in
 * ./node-client-reads.ts.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { checkClientTls, CLIENT_CERT_REQUIRED, connectTls, NodeAuthenticationError, TLS_REQUIRED, type LogTlsOptions } from './tls.js';
import { systemClock } from '../../base/clock.js';
import { BadArgumentsError, TimeoutError } from '../../errors.js';
import { BadRequestError } from '../errors.js';
import { DEFAULT_MAX_FRAME_SIZE } from '../protocol/frame.js';
import { connectionError } from './node-client-channel.js';
import { NodeClient } from './node-client-calls.js';
import type { LogNodeClient, LogNodeClientOptions } from './node-client-api.js';

export type { LogNodeClient, LogNodeClientOptions, RangeRead, ReadRangeBounds } from './node-client-api.js';
export type { NodeClient } from './node-client-calls.js';

/**
 * Connects to the storage node at `address` (`host:port`, or an object;
 * an object's `tls` says whether the node serves over TLS, as its
 * registration records it) and resolves once it has answered INFO. With
 * `options.tls` the connection is TLS. Rejects with NodeDisconnectedError
 * when it cannot connect, TimeoutError after `connectTimeout`,
 * NodeAuthenticationError when TLS fails (a certificate refused either
 * way, or TLS on one side only), UnsupportedVersionError when the node
 * speaks another protocol version (PROTOCOL_VERSION),
 * BadArgumentsError for an invalid address or option.
 */
export function connectLogNode(address: string | { host: string; port: number; tls?: boolean }, options: LogNodeClientOptions = {}): Promise<LogNodeClient> {
  return connectNodeClient(address, options);
}

/** {@link connectLogNode} for the log's own use: the connection's class, with the writer's calls that are not part of {@link LogNodeClient}. */
export async function connectNodeClient(address: string | { host: string; port: number; tls?: boolean }, options: LogNodeClientOptions = {}): Promise<NodeClient> {
  const { host, port } = typeof address === 'string' ? parseAddress(address) : address;
  const tls = checkClientTls(options.tls, 'connectLogNode');
  const wantsTls = typeof address === 'string' ? undefined : address.tls;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new BadArgumentsError(`connectLogNode: port must be 1..65535, got ${port}`);
  const timeout = options.timeout ?? 30_000;
  if (!(timeout >= 0)) throw new BadArgumentsError(`connectLogNode: timeout must be at least 0, got ${timeout}`);
  const connectTimeout = options.connectTimeout ?? 10_000;
  const where = `${host}:${port}`;
  if (wantsTls === true && tls === undefined) throw new NodeAuthenticationError(`log node ${where} serves over TLS: give the \`tls\` option (its ca)`);
  if (wantsTls === false && tls !== undefined) throw new NodeAuthenticationError(`log node ${where} does not serve over TLS, and this client requires it`);
  const socket = await openSocket(host, port, connectTimeout, tls);
  const client = new NodeClient(socket, where, timeout, options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE + 2048, options.clock ?? systemClock);
  try {
    await client.hello(connectTimeout);
  } catch (error) {
    await client.close();
    if (tls === undefined && error instanceof BadRequestError && error.message.includes(TLS_REQUIRED)) {
      throw new NodeAuthenticationError(`log node ${where} serves over TLS: give the \`tls\` option (its ca)`, { cause: error });
    }
    if (tls !== undefined && error instanceof BadRequestError && error.message.includes(CLIENT_CERT_REQUIRED)) {
      throw new NodeAuthenticationError(`log node ${where}: TLS failed: ${error.message}: give the \`tls\` option's key and cert`, { cause: error });
    }
    throw error;
  }
  return client;
}

function parseAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  if (i <= 0) throw new BadArgumentsError(`connectLogNode: address must be host:port, got ${JSON.stringify(address)}`);
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(i + 1)) };
}

function openSocket(host: string, port: number, timeout: number, tls: LogTlsOptions | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tls === undefined ? netConnect({ host, port }) : connectTls(host, port, tls);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TimeoutError(`connecting to log node ${host}:${port}: timed out after ${timeout} ms`));
    }, timeout);
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (error: Error): void => {
      clearTimeout(timer);
      reject(connectionError(`connecting to log node ${host}:${port}`, error, tls !== undefined));
    };
    socket.once('error', onError);
  });
}
