/**
 * A log writer in a child process, for the subscription tests of a writer
 * SIGKILLed mid-segment (started by writer-process.ts): `node writer-worker.js
 * <coordination> <log>`. It opens the log (3/3/2), appends `w <i>` with
 * 8 appends in flight, and prints every acknowledgement on stdout
 * (synchronous on a pipe, so a printed line was acknowledged before the
 * kill), until the parent kills it:
 *
 *   READY      the log is open
 *   A <i>      `w <i>` acknowledged
 */
import { createClient } from '../../../src/client/index.js';
import { openLog } from '../../../src/log/index.js';

const [coordination, name] = process.argv.slice(2);
const client = createClient(coordination!, { sessionTimeout: 4000 });
await client.connect();
const log = await openLog(client, name!, { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2, identifier: 'worker' });
process.stdout.write('READY\n');
let next = 0;
const loop = async (): Promise<void> => {
  for (;;) {
    const i = next++;
    await log.append(Buffer.from(`w ${i}`));
    process.stdout.write(`A ${i}\n`);
  }
};
await Promise.all(Array.from({ length: 8 }, loop));
