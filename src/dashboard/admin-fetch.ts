/** Reading an admin server's JSON commands over HTTP (Herd's, or ZooKeeper's Jetty AdminServer: same paths and JSON). */
import { BadArgumentsError, HerdError } from '../errors.js';
import type { AdminCommandName } from './protocol.js';

/** How long one admin read may take, in ms. */
const ADMIN_TIMEOUT = 10_000;

/**
 * A reader of `<baseUrl>/commands/<command>`, e.g. `http://127.0.0.1:8080`.
 *
 * @throws BadArgumentsError at once when `baseUrl` is not an http(s) URL; the
 *   reader rejects with HerdError `ADMIN_UNAVAILABLE` when the server does
 *   not answer with JSON
 */
export function adminFetcher(baseUrl: string): (command: AdminCommandName) => Promise<Record<string, unknown>> {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new BadArgumentsError(`admin URL is not a URL: ${baseUrl}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new BadArgumentsError(`admin URL must be http(s): ${baseUrl}`);
  return async (command) => {
    const url = new URL(`commands/${command}`, base.href.endsWith('/') ? base : `${base.href}/`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(ADMIN_TIMEOUT) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return (await res.json()) as Record<string, unknown>;
    } catch (err) {
      throw new HerdError('ADMIN_UNAVAILABLE', `admin ${command} at ${url.href}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  };
}
