/**
 * Reading an admin server's JSON commands over HTTP (Herd's, or ZooKeeper's
 * Jetty AdminServer: same paths and JSON), for the shell's views and the
 * dashboard.
 */
import { BadArgumentsError, HerdError } from '../errors.js';

/** How long one admin read may take, in ms. */
const ADMIN_TIMEOUT = 10_000;

/**
 * Parses an admin command's JSON. Session ids exceed a JavaScript number
 * (both servers write them as plain 64-bit integers), so `session_id`
 * values are kept as their decimal text, exact.
 */
export function parseAdminJson(text: string): Record<string, unknown> {
  // A key inside a JSON string has its quotes escaped, so only real keys match.
  return JSON.parse(text.replace(/("session_id"\s*:\s*)(-?\d+)/g, '$1"$2"')) as Record<string, unknown>;
}

/**
 * A reader of `<baseUrl>/commands/<command>`, e.g. `http://127.0.0.1:8080`.
 *
 * @throws BadArgumentsError at once when `baseUrl` is not an http(s) URL; the
 *   reader rejects with HerdError `ADMIN_UNAVAILABLE` when the server does
 *   not answer with JSON
 */
export function adminFetcher<C extends string = string>(baseUrl: string): (command: C) => Promise<Record<string, unknown>> {
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
      return parseAdminJson(await res.text());
    } catch (err) {
      throw new HerdError('ADMIN_UNAVAILABLE', `admin ${command} at ${url.href}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  };
}
