/**
 * The crash test's writer (crash.test.ts), run as a child process:
 * `node crash-worker.js <dataDir> <round>`. It opens the storage (fsync
 * on), adds entries to five segments as fast as it can, 16 in flight per
 * segment, fences one segment part way, and prints every acknowledgement on
 * stdout (synchronous on a pipe, so a printed line was acknowledged before
 * the kill), until the parent kills it:
 *
 *   READY                     storage open
 *   A <segment> <entry>       add acknowledged
 *   F <segment> <lastEntry>   fence acknowledged, with the last entry it reported
 *   R <segment>               an add to a segment fenced in an earlier round was refused
 *   BAD <text>                something the storage must never do
 */
import { NodeStorage, SegmentFencedError } from '../../../src/log/storage/index.js';
import { makeEntry } from './support.js';

const IN_FLIGHT = 16;
const [dataDir, roundArg] = process.argv.slice(2);
const round = Number(roundArg);
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const storage = await NodeStorage.open({ dataDir: dataDir!, journalFileSize: 256 * 1024, logger: (m) => process.stderr.write(`worker: ${m}\n`) });
out('READY');
let acked = 0;
// Early enough that most rounds fence before the kill even on a slow machine (rounds ack 1000+ adds).
const fenceAfter = 100 + Math.floor(Math.random() * 900);
const fenceTarget = round % 4;

async function fenceOnce(): Promise<void> {
  if (storage.isFenced(fenceTarget)) return;
  const r = await storage.fence(fenceTarget);
  out(`F ${fenceTarget} ${r.lastEntryId}`);
}

async function write(segmentId: number): Promise<void> {
  let next = (storage.lastEntry(segmentId)?.entryId ?? -1) + 1;
  if (storage.isFenced(segmentId)) {
    try {
      await storage.addEntry(makeEntry(segmentId, next));
      out(`BAD add to fenced segment ${segmentId} accepted`);
    } catch (err) {
      out(err instanceof SegmentFencedError ? `R ${segmentId}` : `BAD ${String(err)}`);
    }
    return;
  }
  const lane = async (): Promise<void> => {
    for (;;) {
      const e = next++;
      try {
        await storage.addEntry(makeEntry(segmentId, e));
      } catch (err) {
        if (err instanceof SegmentFencedError) return;
        out(`BAD add ${segmentId}/${e}: ${String(err)}`);
        return;
      }
      out(`A ${segmentId} ${e}`);
      if (++acked === fenceAfter) void fenceOnce();
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

await Promise.all([0, 1, 2, 3, 10 + round].map(write));
