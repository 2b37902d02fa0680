/**
 * The storage nodes a writer or reader talks to, by instance id: finds a
 * node's address in its registration (`/herd/log/nodes/<instanceId>`,
 * node/registration.ts), keeps one connection per node, and forgets a
 * connection once it dropped, so the next call connects again. Shared by
 * the writer, the recovery and the readers of one Log.
 */
import type { Client } from '../../client/index.js';
import { NoNodeError } from '../../errors.js';
import { retryWhileConnected } from '../../recipes/internal/index.js';
import { NodeDisconnectedError } from '../errors.js';
import { NODES_PATH } from '../metadata/layout.js';
import { connectNodeClient, type NodeClient } from '../node/node-client.js';
import { nodePath, type NodeRecord } from '../node/registration.js';
import type { LogTlsOptions } from '../node/tls.js';

/** Timeouts of the pool's connections, in ms. */
export interface NodePoolOptions {
  /** How long a request may wait for its reply. */
  readonly timeout: number;
  /** How long connecting may take. */
  readonly connectTimeout: number;
  /** Connect over TLS (the log's `tls` option). */
  readonly tls?: LogTlsOptions | undefined;
}

export class NodePool {
  private readonly clients = new Map<string, Promise<NodeClient>>();
  /** The connections that are up, for {@link ready}'s synchronous look-up. */
  private readonly up = new Map<string, NodeClient>();
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly options: NodePoolOptions,
  ) {}

  /** The registered, live storage nodes (those whose registration reads as a NodeRecord), sorted by instance id. */
  async liveNodes(): Promise<NodeRecord[]> {
    let names: string[];
    try {
      names = (await retryWhileConnected(this.client, () => this.client.getChildren(NODES_PATH))) as string[];
    } catch (error) {
      if (error instanceof NoNodeError) return [];
      throw error;
    }
    const records = await Promise.all(names.sort().map((name) => this.record(name)));
    return records.filter((r): r is NodeRecord => r !== undefined);
  }

  /**
   * A connection to the node `instanceId`. Rejects with NodeDisconnectedError
   * when the node is not registered (not live) or cannot be reached, and
   * when the node at its address turns out to be another instance.
   */
  get(instanceId: string): Promise<NodeClient> {
    if (this.closed) return Promise.reject(new NodeDisconnectedError(`log node ${instanceId}: the log is closed`));
    let pending = this.clients.get(instanceId);
    if (pending === undefined) {
      pending = this.connectAndKeep(instanceId);
      this.clients.set(instanceId, pending);
      const mine = pending;
      mine.catch(() => {
        if (this.clients.get(instanceId) === mine) this.clients.delete(instanceId);
      });
    }
    return pending.then((c) => {
      if (c.connected) return c;
      if (this.clients.get(instanceId) === pending) this.clients.delete(instanceId);
      if (this.up.get(instanceId) === c) this.up.delete(instanceId);
      return this.get(instanceId);
    });
  }

  /**
   * The connection to `instanceId` when it is up, without a promise (the
   * writer's add path, once per node and batch); undefined otherwise: use
   * {@link get}.
   */
  ready(instanceId: string): NodeClient | undefined {
    const c = this.up.get(instanceId);
    return c !== undefined && c.connected ? c : undefined;
  }

  /** Drops the connection to `instanceId` (the writer gave up on that node). */
  drop(instanceId: string): void {
    const pending = this.clients.get(instanceId);
    this.clients.delete(instanceId);
    this.up.delete(instanceId);
    pending?.then((c) => c.close()).catch(() => undefined);
  }

  /** Closes every connection. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.clients.values()];
    this.clients.clear();
    this.up.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }

  private async connect(instanceId: string): Promise<NodeClient> {
    const record = await this.record(instanceId);
    if (record === undefined) throw new NodeDisconnectedError(`log node ${instanceId} is not registered (not live)`);
    const c = await connectNodeClient({ host: record.host, port: record.port, tls: record.tls === true }, this.options);
    if (c.instanceId !== instanceId) {
      await c.close();
      throw new NodeDisconnectedError(`log node ${instanceId}: ${record.host}:${record.port} is instance ${c.instanceId} now`);
    }
    if (this.closed) {
      await c.close();
      throw new NodeDisconnectedError(`log node ${instanceId}: the log is closed`);
    }
    return c;
  }

  /** Connects, and keeps the connection for {@link ready} while it is the pool's one for that node. */
  private async connectAndKeep(instanceId: string): Promise<NodeClient> {
    const c = await this.connect(instanceId);
    if (this.clients.has(instanceId)) this.up.set(instanceId, c);
    return c;
  }

  private async record(instanceId: string): Promise<NodeRecord | undefined> {
    try {
      const { data } = await retryWhileConnected(this.client, () => this.client.getData(nodePath(instanceId)));
      const record = JSON.parse(data?.toString('utf8') ?? '') as Partial<NodeRecord>;
      if (record.instanceId !== instanceId || typeof record.host !== 'string' || typeof record.port !== 'number') return undefined;
      return record as NodeRecord;
    } catch (error) {
      if (error instanceof NoNodeError || error instanceof SyntaxError) return undefined;
      throw error;
    }
  }
}
