/** zkCli's `ls [-s] [-w] [-R] path`. */
import { joinPath } from '../../../base/path.js';
import type { Client } from '../../../client/index.js';
import { unlessGone } from '../../absent.js';
import type { ShellCommand, ShellContext } from '../../command.js';
import { formatChildren, formatStat, statJson } from '../../format.js';

/**
 * Every path of the subtree, level by level, children sorted (zkCli's
 * ZKUtil.listSubTreeBFS). A missing root yields nothing.
 */
async function subtree(shell: ShellContext, client: Client, root: string, watch: boolean): Promise<string[]> {
  const options = watch ? { watch: shell.watcher } : {};
  if ((await client.exists(root, options)) === null) return [];
  const out: string[] = [root];
  for (let i = 0; i < out.length; i++) {
    // A node deleted since it was listed has no subtree left.
    const children = await unlessGone(client.getChildren(out[i]!, options), [] as string[]);
    for (const child of children.sort()) out.push(joinPath(out[i]!, child));
  }
  return out;
}

export const ls: ShellCommand = {
  name: 'ls',
  usage: 'ls [-s] [-w] [-R] path',
  summary: 'list the children of a node (-s with its Stat, -w set a child watch, -R the whole subtree)',
  minArgs: 1,
  flags: (c) => c.option('-s', 'print the Stat').option('-w', 'set a child watch').option('-R', 'list recursively'),
  async run(shell, { args, flags, json }) {
    const path = args[0]!;
    const watch = flags['w'] === true;
    if (flags['R'] === true) {
      const paths = await subtree(shell, shell.client, path, watch);
      shell.result(paths.map((p) => `${p}\n`).join(''), { path, paths }, json);
      return;
    }
    const { children, stat } = await shell.client.getChildren(path, { stat: true, ...(watch ? { watch: shell.watcher } : {}) });
    const withStat = flags['s'] === true;
    shell.result(
      formatChildren(children) + (withStat ? formatStat(stat) : ''),
      { path, children: [...children].sort(), ...(withStat ? { stat: statJson(stat) } : {}) },
      json,
    );
  },
};
