/**
 * `herd log`: what an operator reads about the Herd log (src/log), without
 * writing anything: `ls` (the logs and the live storage nodes), `status
 * <name>` (a log's segments and where their copies are) and `read <name>`
 * (its entries by time range, through the writer-less reader `readLog`)
 * and `tail <name>` (new entries as they are confirmed, through
 * `subscribeLog`, until SIGINT or SIGTERM). None of them opens a writer,
 * so none fences the log's real writer.
 */
import { Command } from 'commander';
import type { Client } from '../client/index.js';
import { BadArgumentsError, CancelledError } from '../errors.js';
import type { LogRecord, LogTlsOptions, SubscribeFrom } from '../log/index.js';
import { clientTlsFlags, clientTlsOption, configureCommand, formatTable, optional, withCoordinationClient, writeStdout, type ClientTlsFlags } from './command.js';

interface ConnOptions {
  coordination?: string;
  json?: boolean;
}

interface StatusValues extends ConnOptions, ClientTlsFlags {}

interface ReadValues extends ClientTlsFlags {
  coordination?: string;
  from?: string;
  to?: string;
  format: string;
}

interface TailValues extends ClientTlsFlags {
  coordination?: string;
  from?: string;
  format: string;
}

type Format = 'text' | 'json' | 'hex';

/** `herd log`, with its subcommands `ls`, `status` and `read`. */
/** The log layer's modules, loaded when a log command runs: `herd --help` and the other commands start without them. */
async function logLayer() {
  const [index, status] = await Promise.all([import('../log/index.js'), import('../log/status.js')]);
  return { ...index, ...status };
}

export function logCommand(): Command {
  const log = configureCommand(new Command('log'), 'herd log').description('read the state and the entries of Herd logs (herd-zk/log); writes nothing');
  const conn = '--coordination <conn>';
  const connHelp = 'coordination service of the log nodes, host:port[,host:port...][/chroot] (required)';
  log.addCommand(
    configureCommand(new Command('ls'), 'herd log ls')
      .description('list the logs and the live storage nodes')
      .option(conn, connHelp)
      .option('--json', 'print JSON instead of tables')
      .action((values: ConnOptions) => withCoordinationClient(values.coordination, (client) => runLs(client, values.json === true))),
  );
  log.addCommand(
    clientTlsFlags(configureCommand(new Command('status'), 'herd log status'), 'the storage nodes')
      .description("show a log's segments, the nodes holding them and which of those are live")
      .argument('<name>', 'the log')
      .option(conn, connHelp)
      .option('--json', 'print JSON instead of a table')
      .action((name: string, values: StatusValues) => {
        const tls = clientTlsOption(values);
        return withCoordinationClient(values.coordination, (client) => runStatus(client, name, values.json === true, tls));
      }),
  );
  log.addCommand(
    clientTlsFlags(configureCommand(new Command('read'), 'herd log read'), 'the storage nodes')
      .description("print a log's entries, oldest first (without opening a writer)")
      .argument('<name>', 'the log')
      .option(conn, connHelp)
      .option('--from <time>', 'earliest timestamp, ISO 8601 or epoch ms (default: the start)')
      .option('--to <time>', 'latest timestamp, ISO 8601 or epoch ms (default: the last confirmed entry)')
      .option('--format <f>', 'text (data as UTF-8), json (one object per line) or hex', 'text')
      .action((name: string, values: ReadValues) => runRead(name, values)),
  );
  log.addCommand(
    clientTlsFlags(configureCommand(new Command('tail'), 'herd log tail'), 'the storage nodes')
      .description("print a log's entries as they are confirmed, until Ctrl-C (without opening a writer)")
      .argument('<name>', 'the log')
      .option(conn, connHelp)
      .option('--from <where>', "first entry: ISO 8601 time, epoch ms, a position segment:entry, 'start' or 'end'", 'end')
      .option('--format <f>', 'text (data as UTF-8), json (one object per line) or hex', 'text')
      .action((name: string, values: TailValues) => runTail(name, values)),
  );
  return log;
}

async function runLs(client: Client, json: boolean): Promise<void> {
  const view = await (await logLayer()).listLogs(client);
  if (json) return writeStdout(`${JSON.stringify(view, null, 2)}\n`);
  const logs = formatTable([
    ['LOG', 'E/W/A', 'SEGMENTS', 'LAST SEGMENT', 'FIRST', 'LAST'],
    ...view.logs.map((l) => [l.name, `${l.ensembleSize}/${l.writeQuorum}/${l.ackQuorum}`, String(l.segments), l.lastSegmentState ?? '-', iso(l.firstTimestamp), iso(l.lastTimestamp)]),
  ]);
  const nodes = formatTable([['NODE', 'ADDRESS', 'STARTED'], ...view.nodes.map((n) => [n.instanceId, `${n.host}:${n.port}`, iso(n.startedAt)])]);
  writeStdout(`${plural(view.logs.length, 'log')}\n${logs}\n${plural(view.nodes.length, 'live storage node')}\n${nodes}`);
}

async function runStatus(client: Client, name: string, json: boolean, tls: LogTlsOptions | undefined): Promise<void> {
  const status = await (await logLayer()).readLogStatus(client, name, tls === undefined ? {} : { tls });
  if (json) return writeStdout(`${JSON.stringify(status, null, 2)}\n`);
  const rows = [['SEGMENT', 'STATE', 'WRITER', 'ENTRIES', 'UNDER-REPL', 'FROM', 'TO', 'ENSEMBLES (firstEntry: nodes, * = not live)']];
  for (const s of status.segments) {
    const ensembles = s.ensembles.map((e) => `${e.firstEntry}: ${e.nodes.map((n) => (n.live ? n.id : `${n.id}*`)).join(',')}`).join('; ');
    rows.push([String(s.id), s.state, s.writer, s.state === 'CLOSED' ? String(s.entries) : `${s.entries} so far`, String(s.underReplicatedEntries), iso(s.minTimestamp), iso(s.maxTimestamp), ensembles]);
  }
  writeStdout(
    `log ${name}: ${plural(status.segments.length, 'segment')}, ${status.underReplicated} under-replicated\n${formatTable(rows)}` +
      (status.underReplicated > 0 ? "* not live: the entries it should hold (UNDER-REPL counts them) lack that copy until it returns, or until the auditor copies them to another node after its grace period (for a CLOSED segment; a writer replaces a failed node of its open segment itself)\n" : ''),
  );
}

async function runRead(name: string, values: ReadValues): Promise<void> {
  const format = formatOption(values.format);
  const from = timeOption('from', values.from);
  const to = timeOption('to', values.to);
  const tls = clientTlsOption(values);
  const { readLog } = await logLayer();
  await withCoordinationClient(values.coordination, async (client) => {
    for await (const r of readLog(client, name, { ...optional('from', from), ...optional('to', to), ...optional('tls', tls) })) await writeStdout(formatRecord(r, format));
  });
}

/** Follows the log until SIGINT or SIGTERM, which end it cleanly (exit 0). */
async function runTail(name: string, values: TailValues): Promise<void> {
  const format = formatOption(values.format);
  const from = fromOption(values.from);
  const tls = clientTlsOption(values);
  const { subscribeLog } = await logLayer();
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await withCoordinationClient(values.coordination, async (client) => {
      for await (const r of subscribeLog(client, name, { from, signal: stop.signal, ...optional('tls', tls) })) await writeStdout(formatRecord(r, format));
    });
  } catch (error) {
    if (!(stop.signal.aborted && error instanceof CancelledError)) throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function formatOption(format: string): Format {
  if (format !== 'text' && format !== 'json' && format !== 'hex') throw new BadArgumentsError(`--format must be text, json or hex, got '${format}'`);
  return format;
}

/** One line of `read` and `tail`. */
function formatRecord(r: LogRecord, format: Format): string {
  const time = new Date(r.timestamp).toISOString();
  if (format === 'json') {
    return `${JSON.stringify({ segmentId: r.position.segmentId, entryId: r.position.entryId, timestamp: r.timestamp, time, data: r.data.toString('utf8'), base64: r.data.toString('base64') })}\n`;
  }
  return `${r.position.segmentId}:${r.position.entryId}  ${time}  ${format === 'hex' ? r.data.toString('hex') : printable(r.data.toString('utf8'))}\n`;
}

/** `tail --from`: 'start', 'end', a position `segment:entry`, or a time as `--from` of `read` takes it. */
function fromOption(text: string | undefined): SubscribeFrom {
  if (text === undefined || text === 'end' || text === 'start') return text ?? 'end';
  const position = /^(\d+):(\d+)$/.exec(text);
  if (position !== null) return { segmentId: Number(position[1]), entryId: Number(position[2]) };
  return timeOption('from', text)!;
}

/** `--from`/`--to`: epoch ms (digits only) or an ISO 8601 date. */
export function timeOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isSafeInteger(ms)) throw new BadArgumentsError(`--${flag} must be an ISO 8601 time or epoch ms, got '${text}'`);
  return ms;
}

/** One entry per line: line breaks and other control characters are shown escaped. */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}
