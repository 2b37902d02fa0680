/**
 * Lock and Semaphore under stress, in separate processes: workers contend
 * with random delays while some are killed with SIGKILL while holding. An
 * independent referee (O_EXCL files outside ZooKeeper) checks that there
 * are never more holders than allowed, and the next waiter must get the
 * lock within the session timeout of a kill.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { forEachTarget, uniquePath } from './harness.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'lock-worker.js');
const SESSION_TIMEOUT = 2000;

interface Running {
  who: string;
  child: ChildProcess;
  inside: number;
  entries: number;
  lastIn: number;
  sessionTimeout: number;
  summary?: { violations: number };
  exited: Promise<number | null>;
}

function startWorker(conn: string, path: string, who: string, rounds: number, dir: string, max: number, onIn: (w: Running) => void): Running {
  const child = spawn(process.execPath, [WORKER, conn, path, who, String(rounds), dir, String(SESSION_TIMEOUT), String(max)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const w: Running = { who, child, inside: 0, entries: 0, lastIn: 0, sessionTimeout: 0, exited: new Promise((r) => child.on('close', (code) => r(code))) };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('SESSION ')) w.sessionTimeout = Number(line.slice(8));
    else if (line.startsWith('IN ')) {
      w.entries++;
      w.lastIn = Date.now();
      onIn(w);
    } else if (line.startsWith('{')) w.summary = JSON.parse(line) as { violations: number };
  });
  return w;
}

forEachTarget('Lock stress (processes, SIGKILL)', (target) => {
  for (const max of [1, 2]) {
    const name = max === 1 ? 'Lock' : 'Semaphore(2)';
    it(`${name}: 6 processes x 20 acquisitions, 2 killed while holding; never more than ${max} holder(s)`, async () => {
      const path = uniquePath(`stress-${max}`);
      const dir = mkdtempSync(join(tmpdir(), 'herd-stress-'));
      const workers: Running[] = [];
      const kills: { at: number }[] = [];
      let takeoverMs = -1;
      const toKill = new Set(['w1', 'w4']);
      const onIn = (w: Running): void => {
        const since = kills.at(-1);
        if (since !== undefined && takeoverMs < 0 && max === 1) takeoverMs = Date.now() - since.at;
        // Kill a chosen worker the 5th time it is inside: it dies holding the lock.
        if (toKill.has(w.who) && w.entries === 5) {
          toKill.delete(w.who);
          w.child.kill('SIGKILL');
          kills.push({ at: Date.now() });
          // The referee file of the dead holder stays behind: remove it (the lock stays held by its session until expiry).
          const file = join(dir, max === 1 ? 'holder' : `slot-${w.who}`);
          if (existsSync(file) && readFileSync(file, 'utf8') === w.who) unlinkSync(file);
        }
      };
      for (let i = 0; i < 6; i++) workers.push(startWorker(target().connectionString, path, `w${i}`, 20, dir, max, onIn));
      const codes = await Promise.all(workers.map((w) => w.exited));
      rmSync(dir, { recursive: true, force: true });
      const survivors = workers.filter((w) => w.who !== 'w1' && w.who !== 'w4');
      assert.deepEqual(
        survivors.map((w) => codes[workers.indexOf(w)]),
        survivors.map(() => 0),
      );
      for (const w of survivors) assert.equal(w.summary?.violations, 0, `${w.who} saw too many holders`);
      assert.equal(kills.length, 2);
      assert.equal(survivors.reduce((s, w) => s + w.entries, 0), 80);
      if (max === 1) {
        // The next holder got in once the dead session expired: within the negotiated session
        // timeout, plus the server's expiry granularity (ZooKeeper checks expiries once per tick).
        const negotiated = Math.max(...workers.map((w) => w.sessionTimeout));
        assert.ok(takeoverMs >= 0 && takeoverMs < negotiated * 1.5 + 1000, `takeover after ${takeoverMs} ms (session timeout ${negotiated} ms)`);
      }
    });
  }
});
