/**
 * `election path`: the leader and the candidates of an Election (Kazoo's,
 * a Lock: `__lock__` nodes), a LeaderLatch (Curator's `latch-` nodes) or a
 * LeaderSelector (Curator's `lock-` nodes): the lowest sequence leads.
 */
import type { ShellCommand } from '../../command.js';
import { LATCH_NODE_NAME } from '../../../recipes/leader-latch.js';
import { CURATOR_LOCK_NODE_NAME } from '../../../recipes/leader-selector.js';
import { LOCK_NODE_NAME } from '../../../recipes/lock.js';
import { contenderLine, readContenders } from './contenders.js';

export const election: ShellCommand = {
  name: 'election',
  usage: 'election path',
  summary: 'the leader and candidates of an Election, LeaderLatch or LeaderSelector',
  minArgs: 1,
  async run(shell, { args, json }) {
    const path = args[0]!;
    const contenders = await readContenders(shell.client, path, [LOCK_NODE_NAME, LATCH_NODE_NAME, CURATOR_LOCK_NODE_NAME]);
    const [leader, ...candidates] = contenders;
    const text =
      leader === undefined
        ? `election ${path}: no leader\n`
        : `election ${path}: leader ${leader.identifier || '-'}, ${candidates.length} candidate${candidates.length === 1 ? '' : 's'}\n` +
          contenders.map((c, i) => contenderLine(c, i === 0 ? 'leader' : 'candidate')).join('');
    shell.result(text, { path, leader: leader ?? null, candidates }, json);
  },
};
