#!/usr/bin/env node
import { CLUSTER_USAGE, runClusterCommand } from './cluster-command.js';
import { LOG_NODE_USAGE, runLogNodeCommand } from './log-node-command.js';
import { SERVER_USAGE, runServerCommand } from './server-command.js';

/** The `herd` command. */

const USAGE = `Usage: herd <command> [options]

Commands:
  server            start a Herd coordination server
  cluster status    show the members and the primary of a cluster
  log-node          run a storage node of the Herd log

${SERVER_USAGE}
${CLUSTER_USAGE}
${LOG_NODE_USAGE}`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'server') return runServerCommand(rest);
  if (command === 'cluster') return runClusterCommand(rest);
  if (command === 'log-node') return runLogNodeCommand(rest);
  process.stdout.write(USAGE);
  process.exitCode = command === undefined || command === '--help' || command === 'help' ? 0 : 1;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`herd: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
