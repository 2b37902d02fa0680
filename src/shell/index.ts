/**
 * `herd shell`: an interactive shell for any ZooKeeper-compatible server,
 * with zkCli's commands (same names, flags and output), Herd's tools and
 * views of the recipes' znodes. See docs/shell.md.
 */
import { adminFetcher } from './admin.js';
import type { ClientOptions } from '../client/index.js';
import { runInteractive } from './repl.js';
import { Shell } from './shell.js';
import { createInterface } from 'node:readline';
import { errorJson, errorText } from './errors.js';
import { commandTable } from './table.js';

/** Options of {@link runShell}. */
export interface RunShellOptions {
  /** `host:port[,host:port...][/chroot]`. Default `localhost:2181`, as zkCli. */
  readonly connectionString?: string;
  /** Run these lines and exit instead of reading commands. */
  readonly commands?: readonly string[];
  /** Print JSON (one value per line) instead of zkCli's text. */
  readonly json?: boolean;
  /** Where interactive lines are kept across sessions; undefined keeps none. */
  readonly historyFile?: string;
  /** Where commands come from: a TTY gets the interactive shell, anything else is read as a script. */
  readonly input: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly output: NodeJS.WritableStream & { isTTY?: boolean };
  readonly errorOutput: NodeJS.WritableStream;
  /** Options of the shell's clients. */
  readonly clientOptions?: ClientOptions;
  /**
   * The server's admin server (`http://host:port`, Herd's `--admin-port`):
   * the views read the sessions' hosts from its `cons` command.
   */
  readonly adminUrl?: string;
}

/**
 * Runs the shell until `quit`, the end of the input, or the last of
 * `commands`.
 *
 * @returns the exit code: 0 when every command succeeded, 1 when one
 *   failed or the first connection could not be made (scripts); 0 for an
 *   interactive session ended by the user
 */
export async function runShell(options: RunShellOptions): Promise<number> {
  const table = commandTable();
  const interactive = options.commands === undefined && options.input.isTTY === true;
  const shell = new Shell({
    connectionString: options.connectionString ?? 'localhost:2181',
    commands: table,
    io: { out: (t) => void options.output.write(t), err: (t) => void options.errorOutput.write(t) },
    json: options.json ?? false,
    printStates: interactive && options.json !== true,
    clientOptions: options.clientOptions ?? {},
    ...(options.adminUrl === undefined ? {} : { admin: adminFetcher(options.adminUrl) }),
  });
  const report = (err: unknown): void => {
    options.errorOutput.write(options.json ? `${JSON.stringify(errorJson(err))}\n` : `${errorText(err)}\n`);
  };
  try {
    if (interactive) {
      // The prompt comes at once, showing CONNECTING; a failure is told, and `connect` can try elsewhere.
      shell.connect().catch(report);
      await runInteractive(shell, [...table.keys()].sort(), { input: options.input, output: options.output }, options.historyFile);
      return 0;
    }
    try {
      await shell.connect();
    } catch (err) {
      // A script needs its server.
      report(err);
      return 1;
    }
    let failed = false;
    const lines = options.commands ?? linesOf(options.input);
    for await (const line of lines) {
      if (!(await shell.execute(line))) failed = true;
      if (shell.quitRequested) break;
    }
    return failed ? 1 : 0;
  } finally {
    await shell.disconnect();
  }
}

function linesOf(input: NodeJS.ReadableStream): AsyncIterable<string> {
  return createInterface({ input, terminal: false });
}
