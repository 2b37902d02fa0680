import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerView } from '../server-view.js';
import { COMMANDS, runCommand } from './commands.js';
import { toJson } from './json.js';
import type { PrometheusExporter } from './prometheus.js';

/**
 * Extra routes on an admin server: answers a request and resolves true, or
 * resolves false to leave it to the admin server's own routes. A route
 * that throws answers 500.
 */
export type AdminRoutes = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** Routes mounted by port: the server layer never imports what serves them (the CLI mounts the dashboard). */
const mounted = new Map<number, AdminRoutes>();

/**
 * Mounts `routes` on the admin server of this process listening on `port`
 * (`ServerHandle.adminPort`), ahead of its own; a later mount on the same
 * port replaces it. Returns the unmount.
 */
export function mountAdminRoutes(port: number, routes: AdminRoutes): () => void {
  mounted.set(port, routes);
  return () => {
    if (mounted.get(port) === routes) mounted.delete(port);
  };
}

/**
 * The HTTP admin server (the `adminPort` option, off by default), like
 * ZooKeeper's Jetty AdminServer:
 * - `GET /commands`: links to every command, by primary name;
 * - `GET /commands/<name>`: runs a command by name or alias (`srvr` or
 *   `server_stats`, `mntr` or `monitor`, ...) and answers 200 with JSON: the
 *   command's data plus "command" (primary name) and "error" (null, or why it
 *   failed, e.g. "Unknown command: x"), as ZooKeeper does; query parameters
 *   are the command's arguments (`/commands/stmk?traceMask=306`);
 * - `GET /metrics`: Prometheus text format (see prometheus.ts).
 * The 4lw whitelist does not apply here, as in ZooKeeper: bind it to a
 * trusted interface (`adminHost`, default 127.0.0.1).
 *
 * prom-client is loaded when the admin server starts, so a server without
 * one does not pay for it at start-up.
 */
export class AdminServer {
  private readonly http: Server;
  private readonly exporter: PrometheusExporter;

  private constructor(
    private readonly server: ServerView,
    exporter: PrometheusExporter,
  ) {
    this.exporter = exporter;
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        server.log.warn({ err: err instanceof Error ? err.message : String(err), url: req.url }, 'admin request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
    });
  }

  static async start(server: ServerView, port: number, host: string): Promise<AdminServer> {
    const { PrometheusExporter } = await import('./prometheus.js');
    const admin = new AdminServer(server, new PrometheusExporter(server));
    await new Promise<void>((resolve, reject) => {
      admin.http.once('error', (err) => {
        admin.exporter.close();
        reject(err);
      });
      admin.http.listen(port, host, () => {
        admin.http.off('error', reject);
        resolve();
      });
    });
    return admin;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    mounted.delete(this.port);
    this.exporter.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    const extra = mounted.get(this.port);
    if (extra !== undefined && (await extra(req, res))) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      const body = await this.exporter.metrics();
      res.writeHead(200, { 'content-type': this.exporter.contentType }).end(body);
      return;
    }
    if (path === '/commands' || path === '/commands/') {
      const links = COMMANDS.map((c) => `<a href="/commands/${c.names[0]!}">${c.names[0]!}</a>\n<br/>\n`).join('');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(links);
      return;
    }
    if (path.startsWith('/commands/')) {
      const name = decodeURIComponent(path.slice('/commands/'.length));
      const body = toJson(await runCommand(this.server, name, Object.fromEntries(url.searchParams)));
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /commands or /metrics\n');
  }
}
