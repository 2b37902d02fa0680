/**
 * The deployment options of `openTables` (docs/tables.md, "Deployment"):
 * the log storage node a tables node hosts in its own process, and the TLS
 * between nodes. Checked before any I/O (BadArgumentsError).
 */
import { clientTlsOf, serverTlsOf, type TlsPeerOptions } from '../../base/tls.js';
import { BadArgumentsError } from '../../errors.js';
import type { LogNodeTlsOptions, LogTlsOptions } from '../../log/index.js';
import type { LookupTlsOptions, ServeTlsOptions } from '../../rpc/index.js';

/**
 * The log storage node a tables node hosts (`openTables`' `logNode`). It
 * registers on the tables' client and closes after the tables.
 */
export interface TablesLogNodeOptions {
  /**
   * Its data directory. Default `<dataDir>/log-node` when the tables have a
   * `dataDir`, else a new temporary directory removed on close (its entries
   * then last as long as the process: fine for one process in
   * development, not for a cluster that must survive restarts).
   */
  readonly dataDir?: string;
  /** Address to listen on. Default `127.0.0.1` (give `0.0.0.0` and `advertisedHost` for nodes on several machines). */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one. Default 0. Give a fixed one with a `dataDir`: a restart then comes back at the same address. */
  readonly port?: number;
  /** The host published to writers and readers. Default `host` (the hostname when `host` is a wildcard). */
  readonly advertisedHost?: string;
  /** fsync before acknowledging an add. Default true; false only for tests. */
  readonly fsync?: boolean;
}

/**
 * TLS between the nodes of a tables cluster (`openTables`' `tls`): Herd's
 * peer TLS shape. Each node serves its hosted storage node and its rpc
 * object with `key` and `cert`, and trusts the nodes whose certificates
 * `ca` signed when it connects to them (storage nodes, other tables
 * nodes). `cert` must name the host the node publishes (its IP SAN or DNS
 * name); with `requestCert` this node refuses peers that present no
 * certificate signed by `ca`, and presents `cert` itself (which then needs
 * the clientAuth use too).
 */
export type TablesTlsOptions = TlsPeerOptions;

/** The TLS of each connection kind, from one {@link TablesTlsOptions}. */
export interface TlsRoles {
  readonly logNode: LogNodeTlsOptions;
  readonly logClient: LogTlsOptions;
  readonly serve: ServeTlsOptions;
  readonly lookup: LookupTlsOptions;
}

/** Splits the tables' `tls` into what each server and client takes; undefined without TLS. */
export function tlsRoles(tls: TablesTlsOptions | undefined): TlsRoles | undefined {
  if (tls === undefined) return undefined;
  const server = serverTlsOf(tls);
  const client = clientTlsOf(tls);
  return { logNode: server, serve: server, logClient: client, lookup: client };
}

/** Throws BadArgumentsError for an invalid `logNode` or `tls`. */
export function checkDeploymentOptions(options: { readonly logNode?: TablesLogNodeOptions | false; readonly tls?: TablesTlsOptions }): void {
  const { logNode, tls } = options;
  if (logNode !== undefined && logNode !== false) {
    if (typeof logNode !== 'object' || logNode === null) throw new BadArgumentsError('openTables: logNode must be false or { dataDir?, host?, port?, advertisedHost?, fsync? }');
    const { port, dataDir } = logNode;
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new BadArgumentsError(`openTables: logNode.port must be 0..65535, got ${String(port)}`);
    if (dataDir !== undefined && (typeof dataDir !== 'string' || dataDir === '')) throw new BadArgumentsError('openTables: logNode.dataDir must be a directory path');
  }
  if (tls !== undefined && (typeof tls !== 'object' || tls === null || !tls.key || !tls.cert)) throw new BadArgumentsError('openTables: tls needs key and cert (and ca to trust the other nodes)');
}
