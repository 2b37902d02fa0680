/**
 * `locks [--admin-url url] path`: who holds a Lock / ReadLock / WriteLock
 * (Kazoo's layout, see recipes/lock.ts) and who waits, with the session of
 * each and the host it connects from (see session-hosts.ts).
 */
import type { ShellCommand } from '../../command.js';
import { LOCK_NODE_NAME, READ_LOCK_NODE_NAME } from '../../../recipes/lock.js';
import { adminFetcher } from '../../admin.js';
import { readSessionHosts } from '../../session-hosts.js';
import { contenderLine, readContenders, type ContenderView } from './contenders.js';

/**
 * The holders in queue order: the first contender when it is exclusive;
 * otherwise every reader ahead of the first writer (readers share).
 */
function holders(contenders: readonly ContenderView[]): number {
  if (contenders.length === 0) return 0;
  if (contenders[0]!.node.includes(LOCK_NODE_NAME)) return 1;
  const firstWriter = contenders.findIndex((c) => c.node.includes(LOCK_NODE_NAME));
  return firstWriter === -1 ? contenders.length : firstWriter;
}

/** Why no host is shown, when neither an admin server nor `cons` told the hosts. */
const HOSTS_UNKNOWN = 'hosts unknown: the server refuses the cons four-letter word and no admin server was given (--admin-url)';

export const locks: ShellCommand = {
  name: 'locks',
  usage: 'locks [--admin-url url] path',
  summary: 'the holder(s) of a lock and its waiters, with their sessions and hosts',
  minArgs: 1,
  flags: (c) => c.option('--admin-url <url>', "the server's admin server, for the sessions' hosts"),
  async run(shell, { args, flags, json }) {
    const path = args[0]!;
    const contenders = await readContenders(shell.client, path, [LOCK_NODE_NAME, READ_LOCK_NODE_NAME]);
    const held = holders(contenders);
    const admin = typeof flags['adminUrl'] === 'string' ? adminFetcher(flags['adminUrl']) : shell.admin;
    const { hosts, source } = contenders.length === 0 ? { hosts: new Map<string, string>(), source: 'unknown' as const } : await readSessionHosts(shell.connectionString, admin);
    const kind = (c: ContenderView): string => (c.node.includes(READ_LOCK_NODE_NAME) ? 'read' : 'write');
    const row = (c: ContenderView) => ({ ...c, kind: kind(c), host: hosts.get(c.session) ?? null });
    const text =
      contenders.length === 0
        ? `lock ${path}: free\n`
        : `lock ${path}: held, ${contenders.length - held} waiting${source === 'unknown' ? ` (${HOSTS_UNKNOWN})` : ''}\n` +
          contenders
            .map((c, i) => contenderLine(c, i < held ? 'holder' : 'waiter', [`host ${hosts.get(c.session) ?? 'unknown'}`], [kind(c)]))
            .join('');
    shell.result(
      text,
      { path, holders: contenders.slice(0, held).map(row), waiters: contenders.slice(held).map(row), hostsFrom: source },
      json,
    );
  },
};
