/** The dashboard's admin reader: the shell's, typed with the dashboard's admin commands. */
import { adminFetcher as shellAdminFetcher } from '../shell/admin.js';
import type { AdminCommandName } from './protocol.js';

/**
 * A reader of `<baseUrl>/commands/<command>`, e.g. `http://127.0.0.1:8080`;
 * session ids come as exact decimal strings.
 *
 * @throws BadArgumentsError at once when `baseUrl` is not an http(s) URL; the
 *   reader rejects with HerdError `ADMIN_UNAVAILABLE` when the server does
 *   not answer with JSON
 */
export function adminFetcher(baseUrl: string): (command: AdminCommandName) => Promise<Record<string, unknown>> {
  return shellAdminFetcher<AdminCommandName>(baseUrl);
}
