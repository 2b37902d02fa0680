/**
 * Runs the shell's recipe and layer views (`locks`, `members`, `election`,
 * `queue`, `barrier`, `rpc ls`, `log ls|status`, `tables ls`) for the dashboard: one
 * list of operations backs both (STYLE.md section 9). A view command writes
 * its result through `ShellContext.result`; this context keeps the JSON form
 * instead of printing it, so the dashboard shows exactly what `herd shell
 * --json` would.
 */
import type { Client } from '../client/index.js';
import type { ShellCommand, ShellContext } from '../shell/command.js';
import type { AdminReader } from '../shell/session-hosts.js';

class CapturingContext implements ShellContext {
  readonly connected = true;
  readonly history: readonly string[] = [];
  quitRequested = false;
  printWatches = false;
  value: unknown = undefined;

  constructor(
    readonly client: Client,
    readonly connectionString: string,
    readonly admin: AdminReader | undefined,
  ) {}

  readonly watcher = (): void => undefined;
  connect(): Promise<void> {
    return Promise.resolve();
  }
  disconnect(): Promise<void> {
    return Promise.resolve();
  }
  result(_text: string, json: unknown): void {
    this.value = json;
  }
  notice(): void {}
  warn(): void {}
}

/** Runs a shell view command with `args` on `client` (and `admin`, the admin server's reader, if any) and returns its `--json` result. */
export async function runView(command: ShellCommand, client: Client, connectionString: string, args: readonly string[], admin?: AdminReader): Promise<unknown> {
  const context = new CapturingContext(client, connectionString, admin);
  await command.run(context, { args, flags: {}, json: true });
  return context.value;
}
