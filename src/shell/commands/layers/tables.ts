/** `tables ls` and `tables status name`: herd-zk/tables clusters read without joining (`herd tables ls|status`). */
import type { ShellCommand } from '../../command.js';
import type { Position } from '../../../tables/state/store.js';
import { columns, subcommand } from './columns.js';

const USAGE = 'tables ls | tables status name';
const pos = (p: Position | null): string => (p === null ? '-' : `${p.segmentId}:${p.entryId}`);

export const tables: ShellCommand = {
  name: 'tables',
  usage: USAGE,
  summary: 'the tables clusters; one cluster\'s members, weights, quorum, applied positions and checksums',
  minArgs: 1,
  async run(shell, { args, json }) {
    const [sub, rest] = subcommand(args, { ls: 0, status: 1 }, USAGE);
    const { listTables, readTablesStatus } = await import('../../../tables/status.js');
    if (sub === 'ls') {
      const all = await Promise.all((await listTables(shell.client)).map((n) => readTablesStatus(shell.client, n)));
      const text =
        all.length === 0
          ? 'no tables\n'
          : columns([
              ['NAME', 'MEMBERS', 'WEIGHT', 'QUORUM', 'PRIMARY'],
              ...all.map((s) => [
                s.name,
                `${s.members.filter((m) => m.connected).length}/${s.members.length}`,
                `${s.connectedWeight}/${s.totalWeight}`,
                s.quorum ? 'yes' : 'no',
                s.members.find((m) => m.primary)?.identifier ?? '-',
              ]),
            ]);
      shell.result(text, { tables: all }, json);
      return;
    }
    const s = await readTablesStatus(shell.client, rest[0]!);
    const text =
      `tables ${s.name}: weight ${s.connectedWeight} of ${s.totalWeight} connected, ${s.quorum ? 'quorum' : 'NO QUORUM (writes refused)'}\n` +
      columns([
        ['IDENTIFIER', 'WEIGHT', 'STATE', 'ROLE', 'APPLIED', 'CHECKSUM', 'ADDRESS'],
        ...s.members.map((m) => [
          m.identifier,
          String(m.weight),
          m.connected ? 'connected' : 'disconnected',
          m.primary ? 'primary' : '-',
          pos(m.position),
          m.checksum === null ? '-' : m.checksum.slice(0, 16),
          m.address ?? '-',
        ]),
      ]);
    shell.result(text, s, json);
  },
};
