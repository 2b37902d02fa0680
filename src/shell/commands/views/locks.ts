/** `locks path`: who holds a Lock / ReadLock / WriteLock (Kazoo's layout, see recipes/lock.ts) and who waits. */
import type { ShellCommand } from '../../command.js';
import { LOCK_NODE_NAME, READ_LOCK_NODE_NAME } from '../../../recipes/lock.js';
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

export const locks: ShellCommand = {
  name: 'locks',
  usage: 'locks path',
  summary: 'the holder(s) of a lock and its waiters, with their sessions',
  minArgs: 1,
  async run(shell, { args, json }) {
    const path = args[0]!;
    const contenders = await readContenders(shell.client, path, [LOCK_NODE_NAME, READ_LOCK_NODE_NAME]);
    const held = holders(contenders);
    const kind = (c: ContenderView): string => (c.node.includes(READ_LOCK_NODE_NAME) ? 'read' : 'write');
    const text =
      contenders.length === 0
        ? `lock ${path}: free\n`
        : `lock ${path}: held, ${contenders.length - held} waiting\n` +
          contenders.map((c, i) => contenderLine(c, `${i < held ? 'holder' : 'waiter'}`).replace(/\)\n$/, `, ${kind(c)})\n`)).join('');
    shell.result(
      text,
      {
        path,
        holders: contenders.slice(0, held).map((c) => ({ ...c, kind: kind(c) })),
        waiters: contenders.slice(held).map((c) => ({ ...c, kind: kind(c) })),
      },
      json,
    );
  },
};
