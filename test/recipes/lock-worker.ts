/**
 * A child process for lock-stress.test.ts: contends for a Lock (or a
 * Semaphore) `rounds` times with random delays, entering the referee's
 * O_EXCL file (or slot file) while holding. Prints `IN <n>` on entering and
 * a JSON summary at the end; first `SESSION <negotiated timeout ms>`.
 *
 *   node lock-worker.js <connection> <path> <who> <rounds> <refereeDir> <sessionTimeout> [maxLeases]
 */
import { closeSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '../../src/client/index.js';
import { Lock, Semaphore } from '../../src/recipes/index.js';

const [connection, path, who, roundsText, dir, timeoutText, maxText] = process.argv.slice(2) as [string, string, string, string, string, string, string?];
const rounds = Number(roundsText);
const max = maxText === undefined ? 1 : Number(maxText);
const client = createClient(connection, { sessionTimeout: Number(timeoutText) });
await client.connect();
process.stdout.write(`SESSION ${client.negotiatedTimeout}\n`);
let violations = 0;
for (let i = 0; i < rounds; i++) {
  const lock = max === 1 ? new Lock(client, path, { identifier: who }) : new Semaphore(client, path, { maxLeases: max, identifier: who });
  await lock.acquire();
  const file = join(dir, max === 1 ? 'holder' : `slot-${who}`);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'wx');
    writeSync(fd, who);
    closeSync(fd);
    if (max > 1 && readdirSync(dir).length > max) violations++;
  } catch {
    violations++;
    fd = undefined;
  }
  process.stdout.write(`IN ${i}\n`);
  await new Promise((r) => setTimeout(r, Math.random() * 8));
  if (fd !== undefined) unlinkSync(file);
  await lock.release();
  await new Promise((r) => setTimeout(r, Math.random() * 4));
}
process.stdout.write(`${JSON.stringify({ who, rounds, violations })}\n`);
await client.close();
