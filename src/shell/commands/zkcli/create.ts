/** zkCli's `create [-s] [-e] [-c] [-t ttl] path [data] [acl]`. */
import type { CreateModeName } from '../../../client/index.js';
import { intArg, type Flags, type ShellCommand } from '../../command.js';
import { CommandUsageError } from '../../errors.js';
import { parseAcl } from '../../format.js';

/** The create mode of zkCli's flags, with zkCli's refusals of the combinations ZooKeeper has no mode for. */
function createMode(flags: Flags): CreateModeName {
  const sequential = flags['s'] === true;
  const ephemeral = flags['e'] === true;
  const container = flags['c'] === true;
  const ttl = flags['t'] !== undefined;
  if (container && (sequential || ephemeral)) {
    throw new CommandUsageError('-c cannot be combined with -s or -e. Containers cannot be ephemeral or sequential.');
  }
  if (ttl && ephemeral) throw new CommandUsageError('TTLs cannot be used with Ephemeral znodes');
  if (ttl && container) throw new CommandUsageError('TTLs cannot be used with Container znodes');
  if (ttl) return sequential ? 'persistentSequentialWithTTL' : 'persistentWithTTL';
  if (container) return 'container';
  if (ephemeral) return sequential ? 'ephemeralSequential' : 'ephemeral';
  return sequential ? 'persistentSequential' : 'persistent';
}

export const create: ShellCommand = {
  name: 'create',
  usage: 'create [-s] [-e] [-c] [-t ttl] path [data] [acl]',
  summary: 'create a node (-s sequential, -e ephemeral, -c container, -t ttl in ms)',
  minArgs: 1,
  flags: (c) =>
    c.option('-s', 'sequential').option('-e', 'ephemeral').option('-c', 'container').option('-t <ttl>', 'time to live, ms'),
  async run(shell, { args, flags, json }) {
    const [path, data, aclText] = args as [string, string | undefined, string | undefined];
    const mode = createMode(flags);
    const acl = aclText === undefined ? undefined : parseAcl(aclText, (m) => shell.warn(m));
    if (acl !== undefined && acl.length === 0) {
      // ZooKeeper's client refuses an empty ACL before sending, with no path; zkCli prints both of these lines.
      shell.warn('KeeperErrorCode = InvalidACL');
      throw new CommandUsageError('Acl is not valid : null');
    }
    const created = await shell.client.create(path, data ?? null, {
      mode,
      ...(acl === undefined ? {} : { acl }),
      ...(typeof flags['t'] === 'string' ? { ttl: intArg(flags['t']) } : {}),
    });
    shell.notice(`Created ${created}`, { created }, json);
  },
};
