/**
 * The dashboard's backend: one HTTP handler that serves the bundled UI,
 * runs the typed actions of actions.ts (the one adapter between HTTP and
 * the client), streams big child lists, and pushes the changes seen by a
 * persistent recursive watch on `/` as Server-Sent Events.
 *
 * Routes (everything else is left to the caller, so the handler can be
 * mounted on another server, e.g. Herd's admin server):
 * - `GET /` and `GET /assets/<file>`: the UI, from the bundle built at the
 *   package's build time (scripts/build-dashboard.mjs);
 * - `GET /api/info`: {@link DashboardInfo};
 * - `POST /api/action`: {@link ActionRequest} → `{ result }` or
 *   {@link ActionFailure} (400 bad arguments, 401 no credentials, 403
 *   read-only or NOAUTH, 404 NONODE or NO_SUCH_LOG, 409 other refusals,
 *   503 connection loss or ADMIN_UNAVAILABLE);
 * - `GET /api/children?path=`: every child name, sorted, as NDJSON, written
 *   as the socket drains;
 * - `GET /api/events`: SSE, one {@link DashboardEvent} per `data:` line:
 *   the changes, and the read session's state (first the current one).
 *
 * Reads go through one long-lived session. A write runs on a session of its
 * own that first adds the caller's digest credentials, so one user's
 * identity never leaks into another's request, and is refused unless the
 * dashboard allows writes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client, type ClientOptions, type PersistentWatchEvent } from '../client/index.js';
import { BadArgumentsError, HerdError } from '../errors.js';
import { checkAction, type ActionEnv } from './actions.js';
import { AuthRequiredError, ReadOnlyError } from './errors.js';
import type { ActionFailure, AdminCommandName, ChangeEvent, DashboardEvent, DashboardInfo, ServerStateEvent } from './protocol.js';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** `host:port[,host:port...][/chroot]` of the ensemble to show. */
  readonly connectionString: string;
  /** Options of the dashboard's clients (timeouts, TLS). Default: the client's defaults. */
  readonly clientOptions?: ClientOptions;
  /** Allow create, set, delete and setAcl (each still needs digest credentials). Default false. */
  readonly allowWrites?: boolean;
  /** Reads an admin command's JSON (sessions, watches, counters); undefined hides those views. */
  readonly admin?: (command: AdminCommandName) => Promise<Record<string, unknown>>;
  /** Where the built UI is. Default: the `assets` directory beside this module in the package. */
  readonly assetsDir?: string;
}

/** A running dashboard backend, to mount on an HTTP server. */
export interface Dashboard extends AsyncDisposable {
  /**
   * Answers `req` when it is one of the dashboard's routes.
   *
   * @returns true when it answered; false leaves `req` to the caller
   */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Ends the event streams and the read session. Idempotent. */
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** No inline script and nothing from elsewhere: a name or data that slipped past the UI's escaping still cannot run. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** A request body past this is refused: the largest write is ~1 MiB of data, as base64-free text. */
const MAX_BODY = 4 * 1024 * 1024;
const HEARTBEAT_INTERVAL = 15_000;

const STATUS_OF_CODE: Record<string, number> = {
  BADARGUMENTS: 400,
  AUTH_REQUIRED: 401,
  READ_ONLY: 403,
  NOAUTH: 403,
  AUTHFAILED: 403,
  NONODE: 404,
  NO_SUCH_LOG: 404,
  ADMIN_UNAVAILABLE: 503,
  CONNECTIONLOSS: 503,
  OPERATIONTIMEOUT: 503,
  TIMEOUT: 503,
  SESSIONEXPIRED: 503,
};

function defaultAssetsDir(): string {
  return fileURLToPath(new URL('./assets/', import.meta.url));
}

/**
 * Starts a dashboard backend: connects its read session and sets the
 * persistent recursive watch that feeds `/api/events`.
 *
 * @throws BadArgumentsError when the UI bundle is missing from `assetsDir`;
 *   the client's errors (ConnectionLossError after `connectTimeout`, ...)
 *   when the ensemble cannot be reached
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const assetsDir = options.assetsDir ?? defaultAssetsDir();
  let assets: Set<string>;
  try {
    assets = new Set(readdirSync(assetsDir));
  } catch {
    assets = new Set();
  }
  if (!assets.has('index.html')) throw new BadArgumentsError(`dashboard: no UI bundle in ${assetsDir} (run npm run build)`);
  const client = createClient(options.connectionString, options.clientOptions ?? {});
  try {
    await client.connect();
    const backend = new DashboardBackend(client, options, assetsDir, assets);
    await client.addWatch('/', 'persistentRecursive', (e) => backend.broadcast(e), { resync: true });
    return backend;
  } catch (err) {
    await client.close();
    throw err;
  }
}

class DashboardBackend implements Dashboard {
  private readonly streams = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly env: ActionEnv;
  private closed = false;
  private serverState: ServerStateEvent['state'] = 'connected';

  constructor(
    private readonly client: Client,
    private readonly options: DashboardOptions,
    private readonly assetsDir: string,
    private readonly assets: ReadonlySet<string>,
  ) {
    this.env = { connectionString: options.connectionString, admin: options.admin };
    // A comment line keeps proxies from closing an idle stream, and finds dead sockets.
    this.heartbeat = setInterval(() => {
      for (const res of this.streams) res.write(': ping\n\n');
    }, HEARTBEAT_INTERVAL);
    this.heartbeat.unref();
    // Pages say when the ensemble is unreachable, rather than only failing each read.
    client.on('connected', () => this.setServerState('connected'));
    client.on('disconnected', () => this.setServerState('disconnected'));
    client.on('expired', () => this.setServerState('expired'));
  }

  private setServerState(state: ServerStateEvent['state']): void {
    if (state === this.serverState) return;
    this.serverState = state;
    this.send({ type: 'server', state });
  }

  private send(event: DashboardEvent): void {
    const line = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of this.streams) res.write(line);
  }

  broadcast(event: PersistentWatchEvent): void {
    if (event.type !== 'resync' && event.type !== 'nodeCreated' && event.type !== 'nodeDeleted' && event.type !== 'nodeDataChanged') return;
    const change: ChangeEvent = { type: event.type, path: event.path };
    this.send(change);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (get && (path === '/' || path === '/index.html')) return this.asset(res, 'index.html');
    if (get && path.startsWith('/assets/')) return this.asset(res, decodeURIComponent(path.slice('/assets/'.length)));
    if (!path.startsWith('/api/')) return false;
    if (get && path === '/api/info') {
      const info: DashboardInfo = { allowWrites: this.options.allowWrites === true, admin: this.options.admin !== undefined, connectionString: this.options.connectionString };
      json(res, 200, info);
    } else if (get && path === '/api/events') {
      this.events(req, res);
    } else if (get && path === '/api/children') {
      await this.streamChildren(url.searchParams.get('path') ?? '/', res);
    } else if (req.method === 'POST' && path === '/api/action') {
      await this.action(req, res);
    } else {
      json(res, 404, failure('NOT_FOUND', `no route ${req.method ?? ''} ${path}`));
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const res of this.streams) res.end();
    this.streams.clear();
    await this.client.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Only names found in the bundle directory at start are served: no path from the URL reaches the file system. */
  private asset(res: ServerResponse, name: string): boolean {
    if (!this.assets.has(name)) return false;
    const type = CONTENT_TYPES[extname(name)] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache', ...SECURITY_HEADERS }).end(readFileSync(join(this.assetsDir, name)));
    return true;
  }

  private events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...SECURITY_HEADERS });
    const state: ServerStateEvent = { type: 'server', state: this.serverState };
    res.write(`: connected\n\ndata: ${JSON.stringify(state)}\n\n`);
    this.streams.add(res);
    req.on('close', () => this.streams.delete(res));
  }

  private async streamChildren(path: string, res: ServerResponse): Promise<void> {
    let children: string[];
    try {
      children = (await this.client.getChildren(path)).sort();
    } catch (err) {
      json(res, statusOf(err), failureOf(err));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', ...SECURITY_HEADERS });
    const CHUNK = 1000;
    for (let i = 0; i < children.length && !res.destroyed; i += CHUNK) {
      const text = children.slice(i, i + CHUNK).map((n) => `${JSON.stringify(n)}\n`).join('');
      // Waits for the socket to drain, so a slow reader holds one chunk in memory, not the whole list twice.
      if (!res.write(text)) await drained(res);
    }
    res.end();
  }

  private async action(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      // A form post cannot set this type, so a page elsewhere cannot make the browser run an action (CSRF).
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new BadArgumentsError('action: content-type must be application/json');
      const body = JSON.parse(await readBody(req)) as { action?: unknown; args?: unknown; auth?: unknown };
      const action = checkAction(body.action, body.args ?? {});
      const result = action.write ? await this.write(action.name, body.auth, (c) => action.run(c, this.env)) : await action.run(this.client, this.env);
      json(res, 200, { result });
    } catch (err) {
      json(res, statusOf(err), failureOf(err));
    }
  }

  private async write(name: string, auth: unknown, run: (client: Client) => Promise<unknown>): Promise<unknown> {
    if (this.options.allowWrites !== true) throw new ReadOnlyError(name);
    if (typeof auth !== 'string' || !/^[^:]+:.+$/s.test(auth)) throw new AuthRequiredError(name);
    const writer = createClient(this.options.connectionString, this.options.clientOptions ?? {});
    try {
      await writer.connect();
      await writer.addAuth('digest', auth);
      return await run(writer);
    } finally {
      await writer.close();
    }
  }
}

/** Resolves when `res` can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new BadArgumentsError(`action: body larger than ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS }).end(JSON.stringify(body));
}

function failure(code: string, message: string): ActionFailure {
  return { error: { code, message } };
}

function failureOf(err: unknown): ActionFailure {
  if (err instanceof HerdError) return failure(err.code, err.message);
  if (err instanceof SyntaxError) return failure('BADARGUMENTS', `action: body is not JSON: ${err.message}`);
  return failure('INTERNAL', err instanceof Error ? err.message : String(err));
}

function statusOf(err: unknown): number {
  if (err instanceof SyntaxError) return 400;
  if (!(err instanceof HerdError)) return 500;
  return STATUS_OF_CODE[err.code] ?? 409;
}
