/**
 * The log views' reading (src/log/status.ts), loaded when a log view runs
 * so that `herd shell` starts without the log layer.
 */
import type { Client } from '../../../client/index.js';
import type { LogStatus, LogSummary } from '../../../log/status.js';
import type { NodeRecord } from '../../../log/node/registration.js';

export type { LogStatus, LogSummary, SegmentStatus } from '../../../log/status.js';

/** See src/log/status.ts `listLogs`. */
export async function listLogs(client: Client): Promise<{ logs: LogSummary[]; nodes: NodeRecord[] }> {
  return (await import('../../../log/status.js')).listLogs(client);
}

/** See src/log/status.ts `readLogStatus`; throws NoSuchLogError when there is no log `name`. */
export async function readLogStatus(client: Client, name: string): Promise<LogStatus> {
  return (await import('../../../log/status.js')).readLogStatus(client, name);
}
