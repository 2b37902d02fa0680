/** zkCli's `stat [-w] path`. */
import { NoNodeError } from '../../../errors.js';
import type { ShellCommand } from '../../command.js';
import { formatStat, statJson } from '../../format.js';

export const stat: ShellCommand = {
  name: 'stat',
  usage: 'stat [-w] path',
  summary: "print a node's Stat (-w set an exists watch)",
  minArgs: 1,
  flags: (c) => c.option('-w', 'set a watch'),
  async run(shell, { args, flags, json }) {
    const path = args[0]!;
    const s = await shell.client.exists(path, flags['w'] === true ? { watch: shell.watcher } : {});
    if (s === null) throw new NoNodeError(undefined, { path, op: 'exists' });
    shell.result(formatStat(s), { path, stat: statJson(s) }, json);
  },
};
