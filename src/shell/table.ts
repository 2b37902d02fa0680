/**
 * The command table: every command of the shell by name, zkCli's first,
 * then Herd's tools, the recipe and layer views, and `help`.
 */
import type { ShellCommand } from './command.js';
import { getAcl, setAcl } from './commands/zkcli/acl.js';
import { addauth, whoami } from './commands/zkcli/auth.js';
import { create } from './commands/zkcli/create.js';
import { del, deleteall } from './commands/zkcli/delete.js';
import { get } from './commands/zkcli/get.js';
import { ls } from './commands/zkcli/ls.js';
import { getAllChildrenNumber, getEphemerals, sync } from './commands/zkcli/nodes.js';
import { close, connect, history, quit, redo } from './commands/zkcli/session.js';
import { set } from './commands/zkcli/set.js';
import { stat } from './commands/zkcli/stat.js';
import { addWatch, printwatches, removewatches } from './commands/zkcli/watches.js';
import { config, reconfig, version } from './commands/zkcli/config.js';
import { delquota, listquota, setquota } from './commands/zkcli/quota.js';
import { tools } from './commands/tools/index.js';
import { views } from './commands/views/index.js';
import { layerViews } from './commands/layers/index.js';

/** zkCli's commands, with its names, flags and output. */
export const zkCliCommands: readonly ShellCommand[] = [
  addWatch,
  addauth,
  close,
  config,
  connect,
  create,
  del,
  deleteall,
  delquota,
  get,
  getAcl,
  getAllChildrenNumber,
  getEphemerals,
  history,
  listquota,
  ls,
  printwatches,
  quit,
  reconfig,
  redo,
  removewatches,
  set,
  setAcl,
  setquota,
  stat,
  sync,
  version,
  whoami,
];

/** Prints the synopsis of every command, grouped as zkCli prints its own. */
const help: ShellCommand = {
  name: 'help',
  usage: 'help ',
  summary: 'list the commands',
  offline: true,
  async run(shell, { json }) {
    const groups: [string, readonly ShellCommand[]][] = [
      ['zkCli commands', zkCliCommands],
      ['tools', tools],
      ['recipe views', views],
      ['layer views', layerViews],
    ];
    shell.result(
      groups.map(([title, list]) => `${title}:\n${list.map((c) => `\t${c.usage.trimEnd().padEnd(44)}  ${c.summary}\n`).join('')}`).join(''),
      { commands: groups.flatMap(([, list]) => list.map((c) => ({ name: c.name, usage: c.usage.trimEnd(), summary: c.summary }))) },
      json,
    );
  },
};

/** Every command, by name. */
export function commandTable(): ReadonlyMap<string, ShellCommand> {
  return new Map([...zkCliCommands, ...tools, ...views, ...layerViews, help].map((c) => [c.name, c]));
}
