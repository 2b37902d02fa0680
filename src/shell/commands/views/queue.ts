/**
 * `queue path`: the items of a Queue or LockingQueue (Kazoo's layout, see
 * recipes/queue.ts): `<path>/entry-*` (Queue) or `<path>/entries/entry-*`
 * with `<path>/taken/<entry>` while a consumer works on it (LockingQueue).
 * Items are listed in consumption order, which is name order.
 */
import { joinPath } from '../../../base/path.js';
import { unlessGone } from '../../absent.js';
import { LOCKING_QUEUE_ENTRIES, LOCKING_QUEUE_TAKEN, Queue } from '../../../recipes/queue.js';
import type { ShellCommand } from '../../command.js';
import { dataJson } from '../../format.js';

const PREVIEW = 60;

export const queue: ShellCommand = {
  name: 'queue',
  usage: 'queue path',
  summary: 'the items of a Queue or LockingQueue, in consumption order, and who works on which',
  minArgs: 1,
  async run(shell, { args, json }) {
    const path = args[0]!;
    const client = shell.client;
    const top = await client.getChildren(path);
    const locking = top.includes(LOCKING_QUEUE_ENTRIES);
    const entriesPath = locking ? joinPath(path, LOCKING_QUEUE_ENTRIES) : path;
    const names = (locking ? await unlessGone(client.getChildren(entriesPath), []) : top).filter((n) => n.startsWith(Queue.prefix)).sort();
    const taken = new Set(locking ? await unlessGone(client.getChildren(joinPath(path, LOCKING_QUEUE_TAKEN)), []) : []);
    const items = [];
    for (const name of names) {
      const entry = await unlessGone(client.getData(joinPath(entriesPath, name)), undefined);
      if (entry === undefined) continue;
      const data = entry.data;
      let takenBy: string | null = null;
      if (taken.has(name)) takenBy = (await unlessGone(client.getData(joinPath(joinPath(path, LOCKING_QUEUE_TAKEN), name)), undefined))?.data?.toString('utf8') ?? null;
      items.push({ name, data, takenBy });
    }
    const text =
      `${locking ? 'locking queue' : 'queue'} ${path}: ${items.length} item${items.length === 1 ? '' : 's'}${locking ? `, ${items.filter((i) => i.takenBy !== null).length} taken` : ''}\n` +
      items
        .map((i) => {
          const preview = i.data === null ? 'null' : JSON.stringify(i.data.toString('utf8').slice(0, PREVIEW));
          return `  ${i.name}  ${preview}${i.takenBy === null ? '' : `  taken by ${i.takenBy}`}\n`;
        })
        .join('');
    shell.result(text, { path, locking, items: items.map((i) => ({ name: i.name, data: dataJson(i.data), takenBy: i.takenBy })) }, json);
  },
};
