/**
 * `barrier path`: a Barrier (up while its node exists) or a DoubleBarrier
 * (members as children with their identifiers, `ready` once all entered),
 * Kazoo's layouts (see recipes/barrier.ts).
 */
import { joinPath } from '../../../base/path.js';
import type { ShellCommand } from '../../command.js';
import { unlessGone } from '../../absent.js';
import { DOUBLE_BARRIER_READY_NODE } from '../../../recipes/barrier.js';


export const barrier: ShellCommand = {
  name: 'barrier',
  usage: 'barrier path',
  summary: 'whether a Barrier is up; the members of a DoubleBarrier and whether it is ready',
  minArgs: 1,
  async run(shell, { args, json }) {
    const path = args[0]!;
    const client = shell.client;
    if ((await client.exists(path)) === null) {
      shell.result(`barrier ${path}: down (no node)\n`, { path, up: false, members: [], ready: false }, json);
      return;
    }
    const children = await client.getChildren(path);
    const ready = children.includes(DOUBLE_BARRIER_READY_NODE);
    const members = [];
    for (const name of children.filter((c) => c !== DOUBLE_BARRIER_READY_NODE).sort()) {
      const r = await unlessGone(client.getData(joinPath(path, name)), undefined);
      if (r) members.push({ node: name, identifier: r.data?.toString('utf8') ?? '', session: `0x${r.stat.ephemeralOwner.toString(16)}` });
    }
    const text =
      `barrier ${path}: up, ${members.length} member${members.length === 1 ? '' : 's'}${ready ? ', ready' : ''}\n` +
      members.map((m) => `  ${m.identifier || '-'}  (session ${m.session}, node ${m.node})\n`).join('');
    shell.result(text, { path, up: true, members, ready }, json);
  },
};
