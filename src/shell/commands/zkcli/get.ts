/** zkCli's `get [-s] [-w] path`. */
import type { ShellCommand } from '../../command.js';
import { dataJson, formatData, formatStat, statJson } from '../../format.js';

export const get: ShellCommand = {
  name: 'get',
  usage: 'get [-s] [-w] path',
  summary: "print a node's data (-s with its Stat, -w set a data watch)",
  minArgs: 1,
  flags: (c) => c.option('-s', 'print the Stat').option('-w', 'set a data watch'),
  async run(shell, { args, flags, json }) {
    const path = args[0]!;
    const { data, stat } = await shell.client.getData(path, flags['w'] === true ? { watch: shell.watcher } : {});
    const withStat = flags['s'] === true;
    shell.result(
      formatData(data) + (withStat ? formatStat(stat) : ''),
      { path, data: dataJson(data), ...(withStat ? { stat: statJson(stat) } : {}) },
      json,
    );
  },
};
