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
import type { LogRecord, SubscribeFrom } from '../log/index.js';
import type { LogMetadataStore } from '../log/metadata/metadata-store.js';
import type { SegmentMetadata, SegmentState } from '../log/metadata/records.js';
import type { NodeRecord } from '../log/node/registration.js';
import { configureCommand, formatTable, withCoordinationClient, writeStdout } from './command.js';

interface ConnOptions {
  coordination?: string;
  json?: boolean;
}

interface ReadValues {
  coordination?: string;
  from?: string;
  to?: string;
  format: string;
}

interface TailValues {
  coordination?: string;
  from?: string;
  format: string;
}

type Format = 'text' | 'json' | 'hex';

/** A log as `herd log ls` shows it. */
export interface LogSummary {
  readonly name: string;
  readonly ensembleSize: number;
  readonly writeQuorum: number;
  readonly ackQuorum: number;
  readonly segments: number;
  /** The state of its last segment; null when it has none. */
  readonly lastSegmentState: SegmentState | null;
  /** The first and last entry timestamps its segments' metadata records, epoch ms; null when unknown (no closed segment with entries). */
  readonly firstTimestamp: number | null;
  readonly lastTimestamp: number | null;
}

/** A segment as `herd log status` shows it. */
export interface SegmentStatus {
  readonly id: number;
  readonly state: SegmentState;
  readonly writer: string;
  /** Entries it holds: all of a CLOSED segment's; of an open one, those its nodes confirmed so far. */
  readonly entries: number;
  readonly minTimestamp: number | null;
  readonly maxTimestamp: number | null;
  readonly ensembles: readonly { readonly firstEntry: number; readonly nodes: readonly { readonly id: string; readonly live: boolean }[] }[];
  /** True when a node that should hold some of its entries is not live. */
  readonly underReplicated: boolean;
  /** Its entries with at least one copy on a node that is not live. */
  readonly underReplicatedEntries: number;
}

/** `herd log`, with its subcommands `ls`, `status` and `read`. */
/** The log layer's modules, loaded when a log command runs: `herd --help` and the other commands start without them. */
async function logLayer() {
  const [index, store, read, replication, pool] = await Promise.all([
    import('../log/index.js'),
    import('../log/metadata/metadata-store.js'),
    import('../log/reader/read-log.js'),
    import('../log/repair/replication.js'),
    import('../log/writer/node-pool.js'),
  ]);
  return { ...index, ...store, ...read, ...replication, ...pool };
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
    configureCommand(new Command('status'), 'herd log status')
      .description("show a log's segments, the nodes holding them and which of those are live")
      .argument('<name>', 'the log')
      .option(conn, connHelp)
      .option('--json', 'print JSON instead of a table')
      .action((name: string, values: ConnOptions) => withCoordinationClient(values.coordination, (client) => runStatus(client, name, values.json === true))),
  );
  log.addCommand(
    configureCommand(new Command('read'), 'herd log read')
      .description("print a log's entries, oldest first (without opening a writer)")
      .argument('<name>', 'the log')
      .option(conn, connHelp)
      .option('--from <time>', 'earliest timestamp, ISO 8601 or epoch ms (default: the start)')
      .option('--to <time>', 'latest timestamp, ISO 8601 or epoch ms (default: the last confirmed entry)')
      .option('--format <f>', 'text (data as UTF-8), json (one object per line) or hex', 'text')
      .action((name: string, values: ReadValues) => runRead(name, values)),
  );
  log.addCommand(
    configureCommand(new Command('tail'), 'herd log tail')
      .description("print a log's entries as they are confirmed, until Ctrl-C (without opening a writer)")
      .argument('<name>', 'the log')
      .option(conn, connHelp)
      .option('--from <where>', "first entry: ISO 8601 time, epoch ms, a position segment:entry, 'start' or 'end'", 'end')
      .option('--format <f>', 'text (data as UTF-8), json (one object per line) or hex', 'text')
      .action((name: string, values: TailValues) => runTail(name, values)),
  );
  return log;
}

/** The logs and the live nodes. */
export async function listLogs(client: Client): Promise<{ logs: LogSummary[]; nodes: NodeRecord[] }> {
  const { LogMetadataStore, NodePool } = await logLayer();
  const store = new LogMetadataStore(client);
  const logs: LogSummary[] = [];
  for (const name of await store.listLogs()) {
    const log = (await store.readLog(name)).value;
    const segments = await readSegments(store, log.segments);
    const timed = segments.filter((s) => s.minTimestamp !== null);
    logs.push({
      name,
      ensembleSize: log.ensembleSize,
      writeQuorum: log.writeQuorum,
      ackQuorum: log.ackQuorum,
      segments: log.segments.length,
      lastSegmentState: segments.at(-1)?.state ?? null,
      firstTimestamp: timed[0]?.minTimestamp ?? null,
      lastTimestamp: timed.at(-1)?.maxTimestamp ?? null,
    });
  }
  // liveNodes only reads the registrations: the pool never connects, so there is nothing to close.
  return { logs, nodes: await new NodePool(client, { timeout: 10_000, connectTimeout: 5_000 }).liveNodes() };
}

/** A log's segments, with the liveness of the nodes holding them. NoSuchLogError when there is no such log. */
export async function logStatus(client: Client, name: string): Promise<{ name: string; segments: SegmentStatus[]; underReplicated: number; liveNodes: string[] }> {
  const { LogMetadataStore, NodePool, lastConfirmed, segmentReplication } = await logLayer();
  const store = new LogMetadataStore(client);
  const pool = new NodePool(client, { timeout: 10_000, connectTimeout: 5_000 });
  try {
    const log = (await store.readLog(name)).value;
    const live = new Set((await pool.liveNodes()).map((n) => n.instanceId));
    const segments: SegmentStatus[] = [];
    for (const s of await readSegments(store, log.segments)) {
      const id = s.id;
      const last = s.state === 'CLOSED' ? s.lastEntry : await lastConfirmed(pool, id, s);
      const ensembles = s.ensembles.map((e) => ({ firstEntry: e.firstEntry, nodes: e.nodes.map((n) => ({ id: n, live: live.has(n) })) }));
      const r = segmentReplication(s, last, (n) => live.has(n));
      segments.push({
        id,
        state: s.state,
        writer: s.writer,
        entries: last + 1,
        minTimestamp: s.minTimestamp,
        maxTimestamp: s.maxTimestamp,
        ensembles,
        underReplicated: r.missing.length > 0,
        underReplicatedEntries: r.underReplicatedEntries,
      });
    }
    return { name, segments, underReplicated: segments.filter((s) => s.underReplicated).length, liveNodes: [...live].sort() };
  } finally {
    await pool.close();
  }
}

/** The segments that still exist (retention may remove some while we read), in the order of `ids`; read concurrently. */
async function readSegments(store: LogMetadataStore, ids: readonly number[]): Promise<(SegmentMetadata & { id: number })[]> {
  const { NoSuchSegmentError } = await logLayer();
  const all = await Promise.all(
    ids.map(async (id) => {
      try {
        return { ...(await store.readSegment(id)).value, id };
      } catch (error) {
        if (error instanceof NoSuchSegmentError) return undefined;
        throw error;
      }
    }),
  );
  return all.filter((s) => s !== undefined);
}

async function runLs(client: Client, json: boolean): Promise<void> {
  const view = await listLogs(client);
  if (json) return writeStdout(`${JSON.stringify(view, null, 2)}\n`);
  const logs = formatTable([
    ['LOG', 'E/W/A', 'SEGMENTS', 'LAST SEGMENT', 'FIRST', 'LAST'],
    ...view.logs.map((l) => [l.name, `${l.ensembleSize}/${l.writeQuorum}/${l.ackQuorum}`, String(l.segments), l.lastSegmentState ?? '-', iso(l.firstTimestamp), iso(l.lastTimestamp)]),
  ]);
  const nodes = formatTable([['NODE', 'ADDRESS', 'STARTED'], ...view.nodes.map((n) => [n.instanceId, `${n.host}:${n.port}`, iso(n.startedAt)])]);
  writeStdout(`${plural(view.logs.length, 'log')}\n${logs}\n${plural(view.nodes.length, 'live storage node')}\n${nodes}`);
}

async function runStatus(client: Client, name: string, json: boolean): Promise<void> {
  const status = await logStatus(client, name);
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
  const { readLog } = await logLayer();
  await withCoordinationClient(values.coordination, async (client) => {
    for await (const r of readLog(client, name, { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) })) await writeStdout(formatRecord(r, format));
  });
}

/** Follows the log until SIGINT or SIGTERM, which end it cleanly (exit 0). */
async function runTail(name: string, values: TailValues): Promise<void> {
  const format = formatOption(values.format);
  const from = fromOption(values.from);
  const { subscribeLog } = await logLayer();
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await withCoordinationClient(values.coordination, async (client) => {
      for await (const r of subscribeLog(client, name, { from, signal: stop.signal })) await writeStdout(formatRecord(r, format));
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
