#!/usr/bin/env node
/**
 * The `herd` command: one commander program with a subcommand per file
 * (`server-command.ts`, `cluster-command.ts`, `log-command.ts`,
 * `log-node-command.ts`, `rpc-command.ts`, `shell-command.ts`, `dashboard-command.ts`), each with its own `--help`. Errors a command throws, and commander's own
 * (unknown option, missing value), are printed as `herd: <message>` and end
 * the process with exit code 1; `--help` and `--version` print to stdout and
 * exit 0.
 */
import { Command, CommanderError } from 'commander';
import { clusterCommand } from './cluster-command.js';
import { configureCommand, herdVersion } from './command.js';
import { dashboardCommand } from './dashboard-command.js';
import { exportZkCommand } from './export-zk-command.js';
import { importZkCommand } from './import-zk-command.js';
import { logCommand } from './log-command.js';
import { logNodeCommand } from './log-node-command.js';
import { rpcCommand } from './rpc-command.js';
import { serverCommand } from './server-command.js';
import { shellCommand } from './shell-command.js';
import { tablesCommand } from './tables-command.js';

function program(): Command {
  const herd = configureCommand(new Command('herd'))
    .description('Herd: a ZooKeeper-compatible coordination server, and the tools around it')
    .version(herdVersion(), '-V, --version', 'print the version of herd and exit')
    .addHelpText('after', '\nRun herd <command> --help for the options of a command.');
  herd.addCommand(serverCommand());
  herd.addCommand(clusterCommand());
  herd.addCommand(logCommand());
  herd.addCommand(logNodeCommand());
  herd.addCommand(rpcCommand());
  herd.addCommand(tablesCommand());
  herd.addCommand(shellCommand());
  herd.addCommand(dashboardCommand());
  herd.addCommand(importZkCommand());
  herd.addCommand(exportZkCommand());
  return herd;
}

async function main(argv: string[]): Promise<void> {
  const herd = program();
  // `herd` alone prints the overview, as git and npm do, instead of an error.
  if (argv.length === 0) {
    herd.outputHelp();
    return;
  }
  await herd.parseAsync(argv, { from: 'user' });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // Help and version arrive here as CommanderErrors with exit code 0, already printed.
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`herd: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
