/**
 * One cluster node in its own process, for the sharedFs tests: runs a
 * SharedFsBackend with the options given as JSON in argv[2] and reports
 * every event as a JSON line on stdout, stamped with Date.now() (all test
 * processes run on one host, so the stamps share one clock).
 *
 * Commands, one per line on stdin: `leave` (close, report `closed`, exit),
 * `candidate true|false`, `publish <json>`.
 */
import { createInterface } from 'node:readline';
import { SharedFsBackend, type SharedFsOptions } from '../../src/cluster/shared-fs/index.js';

interface WorkerConfig {
  readonly identifier: string;
  readonly version?: string;
  readonly data?: unknown;
  readonly candidate?: boolean;
  readonly options: SharedFsOptions;
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;

function report(ev: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ ev, at: Date.now(), ...fields })}\n`);
}

const backend = new SharedFsBackend(config.options);
backend.on('view', (view) =>
  report('view', { members: view.members.map((m) => m.identifier), data: Object.fromEntries(view.members.map((m) => [m.identifier, m.data])), primary: view.primary }),
);
backend.on('elected', (info) => report('elected', { epoch: info.epoch, since: info.since }));
backend.on('deposed', (reason) => report('deposed', { reason }));
backend.on('degraded', (error) => report('degraded', { error: error.message }));
backend.on('recovered', () => report('recovered'));

await backend.start({
  identifier: config.identifier,
  address: `127.0.0.1:${process.pid}`,
  version: config.version ?? '1.0.0',
  data: (config.data ?? null) as never,
  joinedAt: Date.now(),
});
report('started', { port: backend.boundHeartbeatPort });
if (config.candidate ?? true) await backend.setCandidate(true);

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [cmd, ...rest] = line.split(' ');
  const arg = rest.join(' ');
  void (async () => {
    if (cmd === 'leave') {
      await backend.close();
      report('closed');
      process.exit(0);
    } else if (cmd === 'candidate') {
      await backend.setCandidate(arg === 'true');
      report('candidate', { value: arg === 'true' });
    } else if (cmd === 'publish') {
      await backend.publish(JSON.parse(arg) as never);
      report('published');
    }
  })().catch((error: unknown) => report('error', { error: String(error) }));
});
// The test's end (or crash) closes our stdin: leave rather than linger.
lines.on('close', () => {
  void backend.close().then(() => process.exit(0));
});
