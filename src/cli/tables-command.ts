/**
 * `herd tables`: what an operator reads about Herd tables (src/tables),
 * without joining: `ls` (the tables clusters), `status <name>` (members,
 * weights, quorum, applied positions, checksums, snapshot positions and
 * whether they are on disk, the log's truncation mark) and `dump <name> <table>`
 * (a table's rows, one JSON object per line, from a snapshot a live member
 * serves).
 */
import { Command } from 'commander';
import type { Client } from '../client/index.js';
import { BadArgumentsError } from '../errors.js';
import { configureCommand, formatTable, withCoordinationClient, writeStdout } from './command.js';

interface ConnOptions {
  coordination?: string;
  json?: boolean;
}

/** `herd tables`, with its subcommands `ls`, `status` and `dump`. */
export function tablesCommand(): Command {
  const tables = configureCommand(new Command('tables'), 'herd tables').description('read the state and the rows of Herd tables (herd-zk/tables); joins nothing');
  const conn = '--coordination <conn>';
  const connHelp = 'coordination service of the tables, host:port[,host:port...][/chroot] (required)';
  tables.addCommand(
    configureCommand(new Command('ls'), 'herd tables ls')
      .description('list the tables clusters')
      .option(conn, connHelp)
      .option('--json', 'print JSON instead of a table')
      .action((values: ConnOptions) => withCoordinationClient(values.coordination, (client) => runLs(client, values.json === true))),
  );
  tables.addCommand(
    configureCommand(new Command('status'), 'herd tables status')
      .description("show a tables cluster's members, weights, quorum, applied positions, checksums, snapshots (and whether on disk) and the log's truncation mark")
      .argument('<name>', 'the tables cluster')
      .option(conn, connHelp)
      .option('--json', 'print JSON instead of a table')
      .action((name: string, values: ConnOptions) => withCoordinationClient(values.coordination, (client) => runStatus(client, name, values.json === true))),
  );
  tables.addCommand(
    configureCommand(new Command('dump'), 'herd tables dump')
      .description("print a table's rows, one JSON object per line, sorted by key")
      .argument('<name>', 'the tables cluster')
      .argument('<table>', 'the table')
      .option(conn, connHelp)
      .action((name: string, table: string, values: ConnOptions) => withCoordinationClient(values.coordination, (client) => runDump(client, name, table))),
  );
  return tables;
}


async function runLs(client: Client, json: boolean): Promise<void> {
  const { listTables, readTablesStatus, tablesListRows } = await import('../tables/status.js');
  const names = await listTables(client);
  const all = await Promise.all(names.map((n) => readTablesStatus(client, n)));
  if (json) return writeStdout(`${JSON.stringify(all, null, 2)}\n`);
  if (all.length === 0) return writeStdout('no tables\n');
  await writeStdout(formatTable(tablesListRows(all)));
}

async function runStatus(client: Client, name: string, json: boolean): Promise<void> {
  const { readTablesStatus, tablesStatusText } = await import('../tables/status.js');
  const s = await readTablesStatus(client, name);
  if (json) return writeStdout(`${JSON.stringify(s, null, 2)}\n`);
  const { headline, rows } = tablesStatusText(s);
  await writeStdout(`${headline}\n${formatTable(rows)}`);
}

async function runDump(client: Client, name: string, table: string): Promise<void> {
  const { dumpTable } = await import('../tables/index.js');
  const { rows } = await dumpTable(client, name, table);
  for (const row of rows) await writeStdout(`${JSON.stringify(row)}\n`);
}

