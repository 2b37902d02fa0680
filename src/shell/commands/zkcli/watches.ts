/** zkCli's `addWatch [-m mode] path`, `removewatches path [-c|-d|-a] [-l]` and `printwatches on|off`. */
import type { PersistentWatchKind, WatcherKind } from '../../../client/index.js';
import type { ShellCommand } from '../../command.js';
import { CommandUsageError } from '../../errors.js';

const MODES: Readonly<Record<string, PersistentWatchKind>> = {
  PERSISTENT: 'persistent',
  PERSISTENT_RECURSIVE: 'persistentRecursive',
};

export const addWatch: ShellCommand = {
  name: 'addWatch',
  usage: 'addWatch [-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE',
  summary: 'add a persistent watch; its events print until removewatches',
  minArgs: 1,
  flags: (c) => c.option('-m <mode>', 'PERSISTENT or PERSISTENT_RECURSIVE'),
  async run(shell, { args, flags, json }) {
    const path = args[0]!;
    // As zkCli: the mode in any case, exactly one path, the usage for anything else.
    const name = typeof flags['m'] === 'string' ? flags['m'].toUpperCase() : 'PERSISTENT_RECURSIVE';
    const mode = Object.hasOwn(MODES, name) ? MODES[name] : undefined;
    if (mode === undefined || args.length !== 1) throw new CommandUsageError(this.usage);
    await shell.client.addWatch(path, mode, shell.watcher);
    shell.result('', { path, mode: name }, json);
  },
};

export const removewatches: ShellCommand = {
  name: 'removewatches',
  usage: 'removewatches path [-c|-d|-a] [-l]',
  summary: 'remove the watches on a node (-c child, -d data, -a any; -l locally, without the server)',
  minArgs: 1,
  flags: (c) => c.option('-c', 'child watches').option('-d', 'data watches').option('-a', 'any watches').option('-l', 'only locally'),
  async run(shell, { args, flags, json }) {
    const path = args[0]!;
    const kind: WatcherKind = flags['c'] === true ? 'children' : flags['d'] === true ? 'data' : 'any';
    await shell.client.removeWatches(path, kind, { local: flags['l'] === true });
    shell.result('', { path, kind }, json);
  },
};

export const printwatches: ShellCommand = {
  name: 'printwatches',
  usage: 'printwatches on|off',
  summary: 'print watch events or not',
  offline: true,
  async run(shell, { args, json }) {
    if (args[0] === 'on' || args[0] === 'off') shell.printWatches = args[0] === 'on';
    const state = shell.printWatches ? 'on' : 'off';
    shell.result(args[0] === undefined ? `printwatches is ${state}\n` : '', { printwatches: state }, json);
  },
};
