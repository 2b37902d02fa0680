/**
 * `herd shell [connString]`: the interactive shell of src/shell, or a
 * script runner with `--command` or commands on stdin.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { configureCommand, intOption } from './command.js';

interface ShellCliOptions {
  command?: string[];
  json?: boolean;
  historyFile?: string;
  history?: boolean;
  timeout?: string;
  adminUrl?: string;
}

/** `herd shell`. */
export function shellCommand(): Command {
  return configureCommand(new Command('shell'), 'herd shell')
    .description("an interactive shell for any ZooKeeper-compatible server: zkCli's commands, plus tree, find, grep, du, cp, diff, json-get/json-set and views of the recipes (locks, election, members, queue, barrier)")
    .argument('[connString]', 'host:port[,host:port...][/chroot]', 'localhost:2181')
    .option('-c, --command <line>', 'run this command and exit (repeatable); without it, a non-terminal stdin is read as a script', (v: string, prev: string[] = []) => [...prev, v])
    .option('--json', 'print every result as one line of JSON')
    .option('--admin-url <url>', "the server's admin server (http://host:port): the lock views show the sessions' hosts from it")
    .option('--history-file <file>', 'where interactive lines are kept (default $HERD_HISTORY or ~/.herd_history)')
    .option('--no-history', 'keep no history file')
    .option('--timeout <ms>', 'how long to wait for the server at start and for each request', '15000')
    .addHelpText('after', "\nType 'help' in the shell for its commands. Exit code: 1 when a command of a script failed.")
    .action(async (connString: string, options: ShellCliOptions) => {
      const timeout = intOption('timeout', options.timeout, 1)!;
      const historyFile = options.history === false ? undefined : (options.historyFile ?? process.env['HERD_HISTORY'] ?? join(homedir(), '.herd_history'));
      const { runShell } = await import('../shell/index.js');
      const code = await runShell({
        connectionString: connString,
        ...(options.command === undefined ? {} : { commands: options.command }),
        json: options.json ?? false,
        ...(historyFile === undefined ? {} : { historyFile }),
        input: process.stdin,
        output: process.stdout,
        errorOutput: process.stderr,
        clientOptions: { connectTimeout: timeout, requestTimeout: timeout },
        ...(options.adminUrl === undefined ? {} : { adminUrl: options.adminUrl }),
      });
      process.exitCode = code;
    });
}
