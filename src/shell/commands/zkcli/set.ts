/** zkCli's `set [-s] [-v version] path data`. */
import { intArg, type ShellCommand } from '../../command.js';
import { formatStat, statJson } from '../../format.js';

export const set: ShellCommand = {
  name: 'set',
  usage: 'set [-s] [-v version] path data',
  summary: "replace a node's data (-v only at that version, -s print the new Stat)",
  minArgs: 2,
  flags: (c) => c.option('-s', 'print the Stat').option('-v <version>', 'expected version'),
  async run(shell, { args, flags, json }) {
    const [path, data] = args as [string, string];
    const version = typeof flags['v'] === 'string' ? intArg(flags['v']) : -1;
    const s = await shell.client.setData(path, data, version);
    shell.result(flags['s'] === true ? formatStat(s) : '', { path, stat: statJson(s) }, json);
  },
};
