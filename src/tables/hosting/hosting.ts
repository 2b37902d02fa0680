/**
 * What a tables node runs beside its copy so that application processes
 * alone make a cluster (docs/tables.md, "Deployment"): a log storage node
 * in its own process (the default; `logNode: false` for external ones),
 * the log's E/W/A when the tables do not give them, and the TLS of every
 * connection between nodes.
 *
 * Order: the hosted node starts before the tables serve or join (a primary
 * needs live storage nodes to open the log) and closes after them (the
 * other nodes read the last entries from it until the tables have left).
 * Before the tables join, a node with other storage nodes registered
 * connects to one as the log's clients will: a node whose TLS does not
 * match the cluster's (another CA, TLS on one side only) is refused then,
 * with NodeAuthenticationError, instead of joining and failing to follow
 * the log.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '../../client/index.js';
import { NoNodeError } from '../../errors.js';
import { connectLogNode, NodeAuthenticationError, NODES_PATH, startLogNode, type LogNodeHandle, type NodeRecord } from '../../log/index.js';
import type { TablesLogOptions } from '../primary.js';
import { tablesQuorums } from './quorums.js';
import { tlsRoles, type TablesLogNodeOptions, type TablesTlsOptions, type TlsRoles } from './options.js';
import type { LogTlsOptions } from '../../log/index.js';
import type { LookupTlsOptions, ServeTlsOptions } from '../../rpc/index.js';

/** What {@link TablesHosting} reads of the tables' options. */
export interface HostingInput {
  readonly client: Client;
  readonly dataDir?: string;
  readonly members?: Readonly<Record<string, number>>;
  readonly log?: TablesLogOptions;
  readonly logNode?: TablesLogNodeOptions | false;
  readonly tls?: TablesTlsOptions;
}

/** The log options the primary opens the log with: quorums and the clients' TLS. */
export type HostedLogOptions = TablesLogOptions & { readonly tls?: LogTlsOptions };

export class TablesHosting {
  private readonly tls: TlsRoles | undefined;
  private node: LogNodeHandle | undefined;
  private tempDir: string | undefined;
  private closing: Promise<void> | undefined;

  /** No I/O: {@link start} does it. */
  constructor(private readonly options: HostingInput) {
    this.tls = tlsRoles(options.tls);
  }

  /** The hosted storage node, once started (undefined with `logNode: false`). */
  get logNode(): LogNodeHandle | undefined {
    return this.node;
  }

  /**
   * Starts the hosted storage node (unless `logNode: false`), then checks
   * that this node's TLS settings reach the cluster's other storage nodes.
   * Rejects with what startLogNode throws, or NodeAuthenticationError.
   */
  async start(): Promise<void> {
    const { logNode, client } = this.options;
    if (logNode !== false) {
      const settings = logNode ?? {};
      let dataDir = settings.dataDir ?? (this.options.dataDir !== undefined ? join(this.options.dataDir, 'log-node') : undefined);
      if (dataDir === undefined) dataDir = this.tempDir = await mkdtemp(join(tmpdir(), 'herd-tables-log-node-'));
      try {
        this.node = await startLogNode({
          coordination: client,
          dataDir,
          host: settings.host ?? '127.0.0.1',
          port: settings.port ?? 0,
          ...(settings.advertisedHost !== undefined ? { advertisedHost: settings.advertisedHost } : {}),
          ...(settings.fsync !== undefined ? { fsync: settings.fsync } : {}),
          ...(this.tls !== undefined ? { tls: this.tls.logNode } : {}),
          closeTimeout: 2000,
        });
      } catch (error) {
        await this.removeTempDir();
        throw error;
      }
    }
    try {
      await this.checkPeers();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** rpc `serve`'s options for the tables' object. */
  serveOptions(): { tls?: ServeTlsOptions } {
    return this.tls === undefined ? {} : { tls: this.tls.serve };
  }

  /** rpc `lookup`'s options for another node's object. */
  lookupOptions(): { tls?: LookupTlsOptions } {
    return this.tls === undefined ? {} : { tls: this.tls.lookup };
  }

  /** The log reader's options (subscribeLog). */
  readerOptions(): { tls?: LogTlsOptions } {
    return this.tls === undefined ? {} : { tls: this.tls.logClient };
  }

  /** What the primary opens the log with: the tables' `log` options, the default quorums ({@link tablesQuorums}), the clients' TLS. */
  async logOptions(): Promise<HostedLogOptions> {
    const quorums = await tablesQuorums(this.options.client, this.options);
    return { ...this.options.log, ...quorums, ...this.readerOptions() };
  }

  /** Closes the hosted node and removes its temporary directory. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.node?.close();
      await this.removeTempDir();
    })();
    return this.closing;
  }

  private async removeTempDir(): Promise<void> {
    if (this.tempDir !== undefined) await rm(this.tempDir, { recursive: true, force: true });
  }

  /**
   * Connects to one other registered storage node as the log's clients do
   * (registration record and `tls`): a TLS mismatch throws
   * NodeAuthenticationError; a node that cannot be reached proves nothing
   * and the next is tried.
   */
  private async checkPeers(): Promise<void> {
    const { client } = this.options;
    let names: string[];
    try {
      names = await client.getChildren(NODES_PATH);
    } catch (error) {
      if (error instanceof NoNodeError) return;
      throw error;
    }
    for (const name of names.filter((n) => n !== this.node?.instanceId)) {
      let record: NodeRecord;
      try {
        const { data } = await client.getData(`${NODES_PATH}/${name}`);
        record = JSON.parse(data?.toString('utf8') ?? '') as NodeRecord;
      } catch {
        continue;
      }
      try {
        const peer = await connectLogNode({ host: record.host, port: record.port, tls: record.tls === true }, { connectTimeout: 5000, ...this.readerOptions() });
        await peer.close();
        return;
      } catch (error) {
        if (error instanceof NodeAuthenticationError) {
          throw new NodeAuthenticationError(`tables: this node cannot join: ${error.message}`, { cause: error });
        }
      }
    }
  }
}
