/** zkCli's `getAcl [-s] path` and `setAcl [-s] [-v version] [-R] path acl`. */
import { joinPath } from '../../../base/path.js';
import { intArg, type ShellCommand } from '../../command.js';
import { aclJson, formatAcl, formatStat, parseAcl, statJson } from '../../format.js';

export const getAcl: ShellCommand = {
  name: 'getAcl',
  usage: 'getAcl [-s] path',
  summary: "print a node's ACL (-s with its Stat)",
  minArgs: 1,
  flags: (c) => c.option('-s', 'print the Stat'),
  async run(shell, { args, flags, json }) {
    const path = args[0]!;
    const { acl, stat } = await shell.client.getACL(path);
    const withStat = flags['s'] === true;
    shell.result(formatAcl(acl) + (withStat ? formatStat(stat) : ''), { path, acl: aclJson(acl), ...(withStat ? { stat: statJson(stat) } : {}) }, json);
  },
};

export const setAcl: ShellCommand = {
  name: 'setAcl',
  usage: 'setAcl [-s] [-v version] [-R] path acl',
  summary: "replace a node's ACL, scheme:id:perms[,...] (-R the whole subtree, -v only at that aclVersion, -s print the Stat)",
  minArgs: 2,
  flags: (c) => c.option('-s', 'print the Stat').option('-v <version>', 'expected aclVersion').option('-R', 'recursively'),
  async run(shell, { args, flags, json }) {
    const [path, text] = args as [string, string];
    const acl = parseAcl(text, (m) => shell.warn(m));
    const client = shell.client;
    if (flags['R'] === true) {
      const changed: string[] = [];
      const visit = async (p: string): Promise<void> => {
        await client.setACL(p, acl);
        changed.push(p);
        for (const child of await client.getChildren(p)) await visit(joinPath(p, child));
      };
      await visit(path);
      shell.result('', { paths: changed, acl: aclJson(acl) }, json);
      return;
    }
    const s = await client.setACL(path, acl, typeof flags['v'] === 'string' ? intArg(flags['v']) : -1);
    shell.result(flags['s'] === true ? formatStat(s) : '', { path, acl: aclJson(acl), stat: statJson(s) }, json);
  },
};
