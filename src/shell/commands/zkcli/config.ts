/**
 * zkCli's ensemble commands: `config [-c] [-w] [-s]` (the dynamic
 * configuration in `/zookeeper/config`), `reconfig` (membership changes;
 * a standalone server, Herd's or ZooKeeper's, refuses them with
 * `KeeperErrorCode = Reconfig is disabled`) and `version`.
 */
import { readFileSync } from 'node:fs';
import { herdVersion } from '../../../base/version.js';
import { errorFromCode } from '../../../errors.js';
import { Ops } from '../../../jute/ops/index.js';
import type { ShellCommand } from '../../command.js';
import { CommandUsageError } from '../../errors.js';
import { formatData, formatStat, statJson } from '../../format.js';

/** ZooDefs.CONFIG_NODE: read as it is, outside any chroot, as ZooKeeper.getConfig reads it. */
const CONFIG_NODE = '/zookeeper/config';

/**
 * ConfigUtils.getClientConfigStr: `<version> <host:port>,...`, the client
 * addresses of the `server.N` entries (`host:p1:p2[:role];[clientHost:]clientPort`).
 */
export function clientConfig(config: string): string {
  let version = '';
  const clients: string[] = [];
  for (const line of config.split('\n').sort()) {
    const m = /^\s*([^=:\s]+)\s*[=:]\s*(.*?)\s*$/.exec(line);
    if (m === null) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (key === 'version') version = value;
    if (!key.startsWith('server.')) continue;
    const client = value.split(';')[1];
    if (client === undefined) continue;
    clients.push(client.includes(':') ? client : `0.0.0.0:${client}`);
  }
  return `${version} ${clients.join(',')}`;
}

export const config: ShellCommand = {
  name: 'config',
  usage: 'config [-c] [-w] [-s]',
  summary: "print the ensemble's dynamic configuration (-c only the client addresses, -w set a watch, -s with its Stat)",
  flags: (c) => c.option('-c', 'client connection string').option('-w', 'set a watch').option('-s', 'print the Stat'),
  async run(shell, { flags, json }) {
    const client = shell.client;
    const watch = flags['w'] === true;
    let data: Buffer | null;
    let stat;
    if (client.chroot === undefined) {
      ({ data, stat } = await client.getData(CONFIG_NODE, watch ? { watch: shell.watcher } : {}));
    } else {
      // The client would put the chroot before the path; the raw request does not.
      if (watch) throw new CommandUsageError('config -w: not supported on a session with a chroot');
      const reply = await client.request(Ops.getData, { path: CONFIG_NODE, watch: false });
      if (reply.response === undefined) throw errorFromCode(reply.header.err, { op: 'getConfig', path: CONFIG_NODE });
      ({ data, stat } = reply.response);
    }
    const text = data === null ? 'null' : data.toString('utf8');
    const withStat = flags['s'] === true;
    shell.result(
      (flags['c'] === true ? `${clientConfig(text)}\n` : formatData(data)) + (withStat ? formatStat(stat) : ''),
      { config: text, ...(flags['c'] === true ? { clientConfig: clientConfig(text) } : {}), ...(withStat ? { stat: statJson(stat) } : {}) },
      json,
    );
  },
};

const RECONFIG_USAGE =
  'reconfig [-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | [-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]';

/** ReconfigCommand -file: the `server.N` and `version` lines of a dynamic config file, as QuorumVerifier writes them. */
function membersOfFile(file: string): string {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^(server\.\d+|version)\s*=/.test(l))
      .join('\n');
  } catch (err) {
    throw new CommandUsageError(`Error processing ${file}${err instanceof Error ? err.message : String(err)}`);
  }
}

export const reconfig: ShellCommand = {
  name: 'reconfig',
  usage: RECONFIG_USAGE,
  summary: 'change the ensemble membership (-add, -remove, or -members/-file); a standalone server refuses',
  singleDashLong: ['file', 'members', 'add', 'remove'],
  flags: (c) =>
    c
      .option('-s', 'print the Stat')
      .option('-v <version>', 'required current config version (hex)')
      .option('--file <path>', 'config file with the new membership')
      .option('--members <list>', 'the new membership')
      .option('--add <list>', 'servers to add')
      .option('--remove <list>', 'server ids to remove'),
  async run(shell, { flags, json }) {
    const has = (k: string): boolean => typeof flags[k] === 'string';
    const lower = (k: string): string | null => (has(k) ? (flags[k] as string).toLowerCase() : null);
    if (!has('file') && !has('members') && !has('add') && !has('remove')) throw new CommandUsageError(RECONFIG_USAGE);
    let version = -1n;
    if (has('v')) {
      if (!/^[+-]?[0-9a-fA-F]+$/.test(flags['v'] as string)) throw new CommandUsageError('-v must be followed by a long (configuration version)');
      version = BigInt.asIntN(64, BigInt(`0x${(flags['v'] as string).replace(/^[+]/, '')}`));
    }
    if ((has('file') || has('members')) && (has('add') || has('remove'))) {
      throw new CommandUsageError('Can\'t use -file or -members together with -add or -remove (mixing incremental and non-incremental modes is not allowed)');
    }
    if (has('file') && has('members')) throw new CommandUsageError("Can't use -file and -members together (conflicting non-incremental modes)");
    const members = has('file') ? membersOfFile(flags['file'] as string) : lower('members');
    const reply = await shell.client.request(Ops.reconfig, { joiningServers: lower('add'), leavingServers: lower('remove'), newMembers: members, curConfigId: version });
    if (reply.response === undefined) throw errorFromCode(reply.header.err, { op: 'reconfig' });
    const { data, stat } = reply.response;
    const text = data === null ? 'null' : data.toString('utf8');
    shell.result(`Committed new configuration:\n${text}\n${flags['s'] === true ? formatStat(stat) : ''}`, { config: text, stat: statJson(stat) }, json);
  },
};

export const version: ShellCommand = {
  name: 'version',
  usage: 'version ',
  summary: "print the shell's version",
  async run(shell, { args, json }) {
    if (args.length > 0) throw new CommandUsageError('version ');
    const v = `herd-zk ${herdVersion()}`;
    shell.result(`ZooKeeper CLI version: ${v}\n`, { version: v }, json);
  },
};
