/** zkCli's `delete [-v version] path` and `deleteall path [-b batch size]`. */
import { NoNodeError } from '../../../errors.js';
import { intArg, type ShellCommand } from '../../command.js';

export const del: ShellCommand = {
  name: 'delete',
  usage: 'delete [-v version] path',
  summary: 'delete a node that has no children (-v only at that version)',
  minArgs: 1,
  flags: (c) => c.option('-v <version>', 'expected version'),
  async run(shell, { args, flags, json }) {
    const path = args[0]!;
    await shell.client.delete(path, typeof flags['v'] === 'string' ? intArg(flags['v']) : -1);
    shell.result('', { deleted: path }, json);
  },
};

export const deleteall: ShellCommand = {
  name: 'deleteall',
  usage: 'deleteall path [-b batch size]',
  summary: 'delete a node and everything below it',
  minArgs: 1,
  // zkCli batches the deletes into multis of this size; Herd's deleteRecursive pipelines them instead.
  flags: (c) => c.option('-b <batch size>', 'accepted for zkCli compatibility'),
  async run(shell, { args, json }) {
    const path = args[0]!;
    if ((await shell.client.exists(path)) === null) throw new NoNodeError(undefined, { path, op: 'deleteall' });
    await shell.client.deleteRecursive(path);
    shell.result('', { deleted: path }, json);
  },
};
