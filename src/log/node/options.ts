/**
 * Options of {@link startLogNode} (./log-node.ts), their defaults and their
 * checks (BadArgumentsError before any I/O).
 */
import { hostname } from 'node:os';
import type { Clock } from '../../base/clock.js';
import type { Client, ClientOptions } from '../../client/index.js';
import { BadArgumentsError } from '../../errors.js';
import { DEFAULT_MAX_FRAME_SIZE, HEADER_SIZE } from '../protocol/frame.js';
import type { AuditorOptions } from '../repair/auditor.js';
import { checkNodeTls, type LogNodeTlsOptions } from './tls.js';

/** The auditor options a storage node passes on (its identifier is its instance id, its logger the node's). */
export type NodeAuditorOptions = Omit<AuditorOptions, 'identifier' | 'logger'>;

/** Options of {@link startLogNode}. */
export interface LogNodeOptions {
  /**
   * The coordination service: a connection string `host:port,.../chroot`
   * (the node creates, owns and closes its client) or a {@link Client} the
   * caller owns (left open by `close`; to be re-registered after a session
   * expiry it must start new sessions itself, e.g. `reconnectOnExpiry`).
   */
  readonly coordination: string | Client;
  /** The node's data directory (created if missing). It holds the entries and the instance id. */
  readonly dataDir: string;
  /** Address to listen on. Default `0.0.0.0`. */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. Default 3181 (BookKeeper's bookie port). */
  readonly port?: number;
  /**
   * The host published in the registration and the cookie: what writers and
   * readers connect to. Default: `host`, or the machine's hostname when
   * `host` is a wildcard address (`0.0.0.0`, `::`).
   */
  readonly advertisedHost?: string;
  /** Options of a client the node creates from a connection string. Defaults: sessionTimeout 10000, reconnectOnExpiry true. */
  readonly clientOptions?: ClientOptions;
  /** The largest request frame accepted, in bytes after the length prefix; larger ones are answered TOO_LARGE. Default 16 MiB + 1 KiB. */
  readonly maxFrameSize?: number;
  /** The largest entry accepted, in bytes; a larger add is answered BAD_REQUEST. Default: the storage layer's (5 MiB). */
  readonly maxEntrySize?: number;
  /** Unanswered requests per connection before the node stops reading from it. Default 1000. */
  readonly maxInFlight?: number;
  /** fsync before acknowledging an add. Default true; false only for tests (acknowledged entries can be lost on power loss). */
  readonly fsync?: boolean;
  /** Group commit: the longest an add waits for others to share its fsync, in ms (the storage layer's default when unset). */
  readonly maxBatchDelay?: number;
  /** Group commit: bytes after which a batch is written at once (the storage layer's default when unset). */
  readonly maxBatchBytes?: number;
  /** How long `close` waits for requests in progress to be answered, in ms. Default 5000. */
  readonly closeTimeout?: number;
  /** Where the node reports what an operator should know (a replaced instance, failed requests). Default: nothing is printed. */
  readonly logger?: (message: string) => void;
  /** The time source of the storage layer's timers (tests). */
  readonly clock?: Clock;
  /**
   * Run an auditor candidate (src/log/repair) on the node's client: `true`
   * with the auditor's defaults, options for it, or `false` for none (run
   * one elsewhere with `startAuditor`). Default true.
   */
  readonly auditor?: boolean | NodeAuditorOptions;
  /**
   * How often the node deletes local segments whose metadata is gone
   * (retention deleted them), in ms; 0 never does. Default 60000.
   */
  readonly gcInterval?: number;
  /**
   * Port of the node's Prometheus endpoint (`GET /metrics` on `host`); 0
   * picks a free one (the handle's `metricsPort` says which). Default: no
   * metrics listener.
   */
  readonly metricsPort?: number;
  /**
   * Serve over TLS with this key and certificate (`requestCert`: clients
   * must present a certificate signed by `ca`). The registration records
   * it, so clients without the log's `tls` option fail at once with
   * NodeAuthenticationError (docs/log.md, "TLS"). Default: plain TCP.
   */
  readonly tls?: LogNodeTlsOptions;
}

/** The options with defaults applied. */
export interface ResolvedLogNodeOptions {
  readonly host: string;
  readonly port: number;
  readonly advertisedHost: string | undefined;
  readonly maxFrameSize: number;
  readonly maxInFlight: number;
  readonly closeTimeout: number;
  readonly logger: (message: string) => void;
  /** The auditor's options, or undefined for no auditor. */
  readonly auditor: NodeAuditorOptions | undefined;
  readonly gcInterval: number;
  /** undefined: no metrics listener. */
  readonly metricsPort: number | undefined;
  /** undefined: plain TCP. */
  readonly tls: LogNodeTlsOptions | undefined;
}

/** Default port of a storage node. */
export const DEFAULT_LOG_NODE_PORT = 3181;

/** Checks the options and applies the defaults; throws BadArgumentsError. */
export function resolveOptions(options: LogNodeOptions): ResolvedLogNodeOptions {
  if (typeof options !== 'object' || options === null) throw new BadArgumentsError('startLogNode: options missing');
  const { coordination, dataDir } = options;
  if (typeof coordination === 'string' ? coordination.trim() === '' : typeof coordination !== 'object' || coordination === null) {
    throw new BadArgumentsError('startLogNode: coordination must be a connection string or a client');
  }
  if (typeof dataDir !== 'string' || dataDir === '') throw new BadArgumentsError('startLogNode: dataDir must be a directory path');
  const port = options.port ?? DEFAULT_LOG_NODE_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new BadArgumentsError(`startLogNode: port must be 0..65535, got ${port}`);
  const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  // A frame must at least carry a header and a small request, or nothing could be answered.
  if (!Number.isInteger(maxFrameSize) || maxFrameSize < HEADER_SIZE + 64 || maxFrameSize > 0x7fffffff) {
    throw new BadArgumentsError(`startLogNode: maxFrameSize must be an integer in ${HEADER_SIZE + 64}..${0x7fffffff}, got ${maxFrameSize}`);
  }
  const maxInFlight = options.maxInFlight ?? 1000;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new BadArgumentsError(`startLogNode: maxInFlight must be a positive integer, got ${maxInFlight}`);
  const closeTimeout = options.closeTimeout ?? 5000;
  if (!(closeTimeout >= 0)) throw new BadArgumentsError(`startLogNode: closeTimeout must be at least 0, got ${closeTimeout}`);
  const host = options.host ?? '0.0.0.0';
  const gcInterval = options.gcInterval ?? 60_000;
  if (!Number.isSafeInteger(gcInterval) || gcInterval < 0) throw new BadArgumentsError(`startLogNode: gcInterval must be an integer >= 0, got ${gcInterval}`);
  const { metricsPort } = options;
  if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort <= 65535)) {
    throw new BadArgumentsError(`startLogNode: metricsPort must be 0..65535, got ${metricsPort}`);
  }
  const auditor = options.auditor ?? true;
  if (typeof auditor !== 'boolean' && (typeof auditor !== 'object' || auditor === null)) throw new BadArgumentsError('startLogNode: auditor must be a boolean or auditor options');
  const tls = checkNodeTls(options.tls, 'startLogNode');
  return {
    tls,
    auditor: auditor === false ? undefined : auditor === true ? {} : auditor,
    gcInterval,
    metricsPort,
    host,
    port,
    advertisedHost: options.advertisedHost,
    maxFrameSize,
    maxInFlight,
    closeTimeout,
    logger: options.logger ?? (() => {}),
  };
}

/** The host to publish: the advertised one, the listen address, or the hostname for a wildcard. */
export function publishedHost(options: ResolvedLogNodeOptions): string {
  if (options.advertisedHost !== undefined) return options.advertisedHost;
  return options.host === '0.0.0.0' || options.host === '::' || options.host === '' ? hostname() : options.host;
}
