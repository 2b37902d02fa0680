import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { open, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { NodeStorage } from '../../../src/log/storage/index.js';
import { FileWindow, scanRecords } from '../../../src/log/storage/record-scan.js';
import { decodeRecord, RecordKind } from '../../../src/log/storage/record.js';
import { entryData, entryTime, withDir } from './support.js';

/**
 * The durability promise of a storage node: an acknowledged add survives
 * kill -9. A child process (crash-worker.ts, fsync on, small journal files
 * so checkpoints happen under load) adds as fast as it can and prints each
 * acknowledgement; it is SIGKILLed at a random moment, several rounds over
 * one data directory. After each round a checker that trusts only the
 * worker's printed acknowledgements reopens the storage and verifies every
 * segment: entries 0..last, each exactly once, in order, CRC-checked,
 * with the bytes and timestamp the entry must have; every acknowledged
 * entry among them; each fence still in force, at the last entry it
 * reported; and every segment file holding each entry exactly once.
 */

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'crash-worker.js');
const ROUNDS = 6;

interface Acks {
  entries: Map<number, Set<number>>;
  fences: Map<number, number>;
  refused: Set<number>;
  bad: string[];
}

async function runRound(dataDir: string, round: number, acks: Acks): Promise<void> {
  const child = spawn(process.execPath, [WORKER, dataDir, String(round)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    text += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const drained = new Promise((resolve) => child.stdout.once('close', resolve));
  for (let i = 0; !text.includes('READY\n'); i++) {
    if (i > 200) throw new Error(`round ${round}: worker did not start`);
    const code = await Promise.race([exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 50))]);
    if (code !== 'wait') throw new Error(`round ${round}: worker exited with ${code} before READY`);
  }
  await new Promise((r) => setTimeout(r, 150 + Math.random() * 450));
  child.kill('SIGKILL');
  await exited;
  await drained;
  const lines = text.split('\n');
  lines.pop(); // a line cut by the kill was never printed whole
  for (const line of lines) {
    const [kind, a, b] = line.split(' ');
    if (kind === 'A') {
      const set = acks.entries.get(Number(a)) ?? new Set<number>();
      set.add(Number(b));
      acks.entries.set(Number(a), set);
    } else if (kind === 'F') acks.fences.set(Number(a), Number(b));
    else if (kind === 'R') acks.refused.add(Number(a));
    else if (kind === 'BAD') acks.bad.push(line);
  }
}

function countAcks(acks: Acks): number {
  return [...acks.entries.values()].reduce((n, s) => n + s.size, 0);
}

/** Counts the entry records of each segment file, read with the scanner alone (no index); any bad record fails. */
async function recordCounts(dataDir: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const dir = join(dataDir, 'segments');
  for (const name of await readdir(dir)) {
    const segmentId = Number(name.replace('.seg', ''));
    const fh = await open(join(dir, name), 'r');
    try {
      const w = new FileWindow(fh, (await fh.stat()).size);
      for await (const ev of scanRecords(w, 8, () => true)) {
        assert.notEqual(ev.type, 'bad', `${name}: ${ev.type === 'bad' ? `${ev.reason} at offset ${ev.offset}` : ''}`);
        if (ev.type !== 'record') continue;
        const rec = decodeRecord(ev.record, 0);
        assert.equal(rec.segmentId, segmentId, `${name} holds a record of segment ${rec.segmentId}`);
        if (rec.kind !== RecordKind.entry) continue;
        const key = `${segmentId}/${rec.entryId}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    } finally {
      await fh.close();
    }
  }
  return counts;
}

async function check(dataDir: string, round: number, acks: Acks): Promise<number> {
  assert.deepEqual(acks.bad, [], `round ${round}: the worker saw the storage misbehave`);
  const storage = await NodeStorage.open({ dataDir, logger: () => {} });
  let entries = 0;
  try {
    for (const segmentId of storage.segments()) {
      let expected = 0;
      for await (const e of storage.readRange(segmentId)) {
        assert.equal(e.entryId, expected, `round ${round}: segment ${segmentId} yields entry ${e.entryId} where ${expected} was due`);
        assert.deepEqual(e.data, entryData(segmentId, e.entryId), `round ${round}: segment ${segmentId} entry ${e.entryId}: wrong bytes`);
        assert.equal(e.timestamp, entryTime(segmentId, e.entryId));
        assert.equal(e.lastAddConfirmed, e.entryId - 1);
        expected++;
      }
      for (const e of acks.entries.get(segmentId) ?? []) {
        assert.ok(e < expected, `round ${round}: segment ${segmentId} lost acknowledged entry ${e} (holds 0..${expected - 1})`);
      }
      entries += expected;
    }
    for (const [segmentId, set] of acks.entries) assert.ok(storage.segments().includes(segmentId) || set.size === 0, `round ${round}: segment ${segmentId} lost`);
    for (const [segmentId, last] of acks.fences) {
      assert.equal(storage.isFenced(segmentId), true, `round ${round}: segment ${segmentId} no longer fenced`);
      const stored = storage.lastEntry(segmentId)?.entryId ?? -1;
      assert.equal(stored, last, `round ${round}: segment ${segmentId} ends at entry ${stored}, its fence reported ${last}`);
    }
  } finally {
    await storage.close();
  }
  for (const [key, n] of await recordCounts(dataDir)) assert.equal(n, 1, `round ${round}: entry ${key} stored ${n} times in its segment file`);
  return entries;
}

describe('log storage: crash durability (kill -9)', () => {
  it(`keeps every acknowledged entry and fence through ${ROUNDS} SIGKILLs under load`, { timeout: 60_000 }, async (t) => {
    await withDir(async (dataDir) => {
      const acks: Acks = { entries: new Map(), fences: new Map(), refused: new Set(), bad: [] };
      let stored = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const before = countAcks(acks);
        await runRound(dataDir, round, acks);
        stored = await check(dataDir, round, acks);
        t.diagnostic(`round ${round}: ${countAcks(acks) - before} adds acknowledged, ${stored} entries stored, fenced ${[...acks.fences.keys()].join(',') || 'none'}`);
      }
      const acked = countAcks(acks);
      assert.ok(acked > 1000, `only ${acked} adds acknowledged: the load did not run`);
      assert.ok(acks.fences.size >= 1, 'no fence was acknowledged before a kill');
      // A fence from an earlier round was seen to hold by a later worker.
      assert.ok(acks.refused.size >= 1, 'no worker tried a segment fenced in an earlier round');
      assert.ok(stored >= acked);
    });
  });
});
