/** `tables ls` and `tables status name`: herd-zk/tables clusters read without joining (`herd tables ls|status`). */
import type { ShellCommand } from '../../command.js';
import { columns, subcommand } from './columns.js';

const USAGE = 'tables ls | tables status name';

export const tables: ShellCommand = {
  name: 'tables',
  usage: USAGE,
  summary: 'the tables clusters; one cluster\'s members, weights, quorum, applied positions and checksums',
  minArgs: 1,
  async run(shell, { args, json }) {
    const [sub, rest] = subcommand(args, { ls: 0, status: 1 }, USAGE);
    const { listTables, readTablesStatus, tablesListRows, tablesStatusText } = await import('../../../tables/status.js');
    if (sub === 'ls') {
      const all = await Promise.all((await listTables(shell.client)).map((n) => readTablesStatus(shell.client, n)));
      const text = all.length === 0 ? 'no tables\n' : columns(tablesListRows(all));
      shell.result(text, { tables: all }, json);
      return;
    }
    const s = await readTablesStatus(shell.client, rest[0]!);
    const { headline, rows } = tablesStatusText(s);
    const text = `${headline}\n${columns(rows)}`;
    shell.result(text, s, json);
  },
};
