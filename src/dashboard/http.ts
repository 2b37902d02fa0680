/** The dashboard on an HTTP server of its own (`herd dashboard`). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDashboard, type DashboardOptions } from './dashboard.js';

/** Options of {@link serveDashboard}. */
export interface ServeDashboardOptions extends DashboardOptions {
  /** HTTP port; 0 picks a free one. */
  readonly port: number;
  /** Listen address. Default 127.0.0.1: the dashboard shows every znode the session may read. */
  readonly host?: string;
}

/** A dashboard serving on its own port. */
export interface DashboardServer extends AsyncDisposable {
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening, ends the event streams and the dashboard's session. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the dashboard backend and an HTTP server for it; resolves once it
 * listens.
 *
 * @throws what {@link startDashboard} throws; the listen error (EADDRINUSE, ...)
 */
export async function serveDashboard(options: ServeDashboardOptions): Promise<DashboardServer> {
  const dashboard = await startDashboard(options);
  const http = createServer((req, res) => {
    dashboard
      .handle(req, res)
      .then((handled) => {
        if (!handled) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port, options.host ?? '127.0.0.1', () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await dashboard.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await dashboard.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    })());
  return {
    port: (http.address() as AddressInfo).port,
    close,
    [Symbol.asyncDispose]: close,
  };
}
