/** zkCli's whole-tree queries: `sync path`, `getEphemerals path`, `getAllChildrenNumber path`. */
import type { ShellCommand } from '../../command.js';

export const sync: ShellCommand = {
  name: 'sync',
  usage: 'sync path',
  summary: 'make the connected server catch up with the leader for a path',
  minArgs: 1,
  async run(shell, { args, json }) {
    await shell.client.sync(args[0]!);
    shell.result('Sync is OK\n', { path: args[0], synced: true }, json);
  },
};

export const getEphemerals: ShellCommand = {
  name: 'getEphemerals',
  usage: 'getEphemerals path',
  summary: "list the session's ephemeral nodes (under a path prefix)",
  async run(shell, { args, json }) {
    // In the server's order, as zkCli prints them.
    const ephemerals = await shell.client.getEphemerals(args[0] ?? '/');
    shell.result(`[${ephemerals.join(', ')}]\n`, { ephemerals }, json);
  },
};

export const getAllChildrenNumber: ShellCommand = {
  name: 'getAllChildrenNumber',
  usage: 'getAllChildrenNumber path',
  summary: 'count the descendants of a node',
  minArgs: 1,
  async run(shell, { args, json }) {
    const count = await shell.client.getAllChildrenNumber(args[0]!);
    shell.result(`${count}\n`, { path: args[0], count }, json);
  },
};
