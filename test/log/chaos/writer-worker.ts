/**
 * A log writer as a child process, for the chaos tests:
 * `node writer-worker.js '<json WriterConfig>'`. It opens the log with
 * `openLog` and appends batches from several lanes at once until told to
 * stop (a `stop` line on stdin: it closes the log and exits 0) or killed.
 * Every acknowledged batch is appended to the ack file and fsynced before
 * it is reported (payload.ts), so the record survives SIGKILL.
 *
 * Lines on stdout (a pipe: written synchronously, so the parent reads
 * every line printed before a SIGKILL or SIGSTOP):
 *
 *   OPEN <segmentId>               the log is open
 *   SENT <seq>                     a batch up to <seq> is about to be appended
 *   ACK <seq> <total>              a batch up to <seq> was acknowledged and recorded; <total> acks so far
 *   REJECTED <name> <seq> <text>   a batch up to <seq> was refused (lanes go on, except after a fence)
 *   FENCED <text>                  the `fenced` event: another writer took the log over
 *   PROBED                         one more batch (a `probe` line on stdin) was acknowledged or refused
 *   CLOSED                         the log closed after `stop`
 *   FATAL <text>                   opening or closing failed
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createClient } from '../../../src/client/index.js';
import { openLog, WriterFencedError, type Log } from '../../../src/log/index.js';
import { payload, type AckedEntry } from './payload.js';

/** What the parent passes. */
export interface WriterConfig {
  readonly coordination: string;
  readonly log: string;
  readonly ackFile: string;
  /** The writer's tag: its payloads' prefix and its `identifier`. */
  readonly writer: string;
  readonly lanes: number;
  readonly batch: number;
  readonly maxSegmentEntries: number;
  readonly nodeTimeout: number;
  /** ms a lane waits after a batch is acknowledged (0: none); keeps the load below what starves the rest of the machine. */
  readonly pause: number;
}

const config = JSON.parse(process.argv[2]!) as WriterConfig;
const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const oneLine = (error: unknown): string => (error instanceof Error ? `${error.message}` : String(error)).replace(/\s+/g, ' ');

const client = createClient(config.coordination, { sessionTimeout: 4000 });
let log: Log;
try {
  await client.connect();
  log = await openLog(client, config.log, { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2, identifier: config.writer, maxSegmentEntries: config.maxSegmentEntries, nodeTimeout: config.nodeTimeout });
} catch (error) {
  say(`FATAL ${oneLine(error)}`);
  process.exit(1);
}
log.on('fenced', (error) => say(`FENCED ${oneLine(error)}`));
say(`OPEN ${log.segmentId}`);

const ackFd = openSync(config.ackFile, 'a');
let nextSeq = 0;
let lastTimestamp = 0;
let acked = 0;
let stopping = false;

/** Appends one batch and records it; false once the writer is fenced. */
async function appendOnce(): Promise<boolean> {
  // Seqs and timestamps are taken in call order, which is the log's entry order: the log keeps these timestamps as they are.
  const items = Array.from({ length: config.batch }, () => {
    lastTimestamp = Math.max(Date.now(), lastTimestamp);
    const seq = nextSeq++;
    return { seq, data: payload(config.writer, seq), timestamp: lastTimestamp };
  });
  const last = items[items.length - 1]!.seq;
  say(`SENT ${last}`);
  try {
    const positions = await log.appendBatch(items.map((i) => ({ data: Buffer.from(i.data), timestamp: i.timestamp })));
    const lines = items.map((item, k): AckedEntry => ({ writer: config.writer, seq: item.seq, segmentId: positions[k]!.segmentId, entryId: positions[k]!.entryId, timestamp: item.timestamp, data: item.data }));
    writeSync(ackFd, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    fdatasyncSync(ackFd);
    acked += items.length;
    say(`ACK ${last} ${acked}`);
  } catch (error) {
    say(`REJECTED ${(error as Error).name} ${last} ${oneLine(error)}`);
    if (error instanceof WriterFencedError) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

async function lane(): Promise<void> {
  while (!stopping && (await appendOnce())) {
    if (config.pause > 0) await new Promise((r) => setTimeout(r, config.pause));
  }
}

const lanes = Promise.all(Array.from({ length: config.lanes }, lane));
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'probe') {
    void appendOnce().then(() => say('PROBED'));
    return;
  }
  if (line.trim() !== 'stop' || stopping) return;
  stopping = true;
  void (async () => {
    try {
      await lanes;
      await log.close();
      await client.close();
      closeSync(ackFd);
      say('CLOSED');
      process.exit(0);
    } catch (error) {
      say(`FATAL ${oneLine(error)}`);
      process.exit(1);
    }
  })();
});
