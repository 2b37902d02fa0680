/** `members cluster`: a herd-zk/cluster cluster read without joining it (readCoordinationView: members, primary, epoch). */
import { readCoordinationView } from '../../../cluster/index.js';
import type { ShellCommand } from '../../command.js';

const iso = (ms: number): string => (ms > 0 ? new Date(ms).toISOString() : '-');

export const members: ShellCommand = {
  name: 'members',
  usage: 'members cluster',
  summary: 'the members of a herd cluster (under the session chroot), its primary and epoch',
  minArgs: 1,
  async run(shell, { args, json }) {
    const cluster = args[0]!;
    const view = await readCoordinationView(shell.client, cluster);
    const p = view.primary;
    const head = `cluster ${cluster}: ${view.members.length} member${view.members.length === 1 ? '' : 's'}, ${
      p === null ? 'no primary' : `primary ${p.identifier} (epoch ${p.epoch}) since ${iso(p.since)}`
    }\n`;
    const rows = view.members.map(
      (m) =>
        `  ${p?.identifier === m.identifier ? '*' : ' '} ${m.identifier}  ${m.address || '-'}  v${m.version}  joined ${iso(m.joinedAt)}\n`,
    );
    shell.result(head + rows.join(''), { cluster, ...view }, json);
  },
};
