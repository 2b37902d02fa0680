/** zkCli's `ls [-s] [-w] [-R] path`. */
import { joinPath } from '../../../base/path.js';
import type { Client } from '../../../client/index.js';
import type { ShellCommand, ShellContext } from '../../command.js';
import { formatChildren, formatStat, statJson } from '../../format.js';

/**
 * Every path of the subtree, parent before children, children sorted
 * (zkCli's ZKUtil.visitSubTreeDFS). A missing root yields nothing.
 */
async function subtree(shell: ShellContext, client: Client, root: string, watch: boolean): Promise<string[]> {
  const out: string[] = [];
  const visit = async (path: string): Promise<void> => {
    const stat = await client.exists(path, watch ? { watch: shell.watcher } : {});
    if (stat === null) return;
    out.push(path);
    const children = await client.getChildren(path, watch ? { watch: shell.watcher } : {}).then((c) => c.sort()).catch((err: unknown) => {
      if (err instanceof Error && 'code' in err && err.code === 'NONODE') return [] as string[];
      throw err;
    });
    for (const child of children) await visit(joinPath(path, child));
  };
  await visit(root);
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
