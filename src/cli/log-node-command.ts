/**
 * `herd log-node`: runs a storage node of the Herd log (src/log/node).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_LOG_NODE_PORT, startLogNode } from '../log/index.js';

export const LOG_NODE_USAGE = `Options for log-node:
  --coordination <conn>   coordination service, host:port[,host:port...][/chroot] (required)
  --data-dir <dir>        data directory: entries and the node's instance id (required)
  --host <addr>           listen address (default 0.0.0.0)
  --port <n>              port (default ${DEFAULT_LOG_NODE_PORT}; 0 picks a free one)
  --advertised-host <h>   host published to writers and readers (default: --host,
                          or the hostname when listening on every address)
  --max-frame-size <bytes>  largest request accepted (default 16778240)
  --max-entry-size <bytes>  largest entry accepted (default 5242880)
  --max-in-flight <n>     unanswered requests per connection before the node
                          stops reading from it (default 1000)
  --max-batch-delay <ms>  group commit: longest an add waits to share an fsync (default 2)
  --max-batch-bytes <bytes>  group commit: bytes that make a batch be written at once
                          (default 524288)
  --close-timeout <ms>    on SIGINT/SIGTERM, how long requests in progress may take
                          to finish (default 5000)
  --session-timeout <ms>  coordination session timeout: how long after the node
                          dies its registration disappears (default 10000)
`;

/** `herd log-node [options]`: prints the node's address and instance id, runs until SIGINT or SIGTERM. */
export async function runLogNodeCommand(rest: string[]): Promise<void> {
  const { values } = parseArgs({
    args: rest,
    options: {
      coordination: { type: 'string' },
      'data-dir': { type: 'string' },
      host: { type: 'string', default: '0.0.0.0' },
      port: { type: 'string', default: String(DEFAULT_LOG_NODE_PORT) },
      'advertised-host': { type: 'string' },
      'max-frame-size': { type: 'string' },
      'max-entry-size': { type: 'string' },
      'max-in-flight': { type: 'string' },
      'max-batch-delay': { type: 'string' },
      'max-batch-bytes': { type: 'string' },
      'close-timeout': { type: 'string' },
      'session-timeout': { type: 'string' },
    },
  });
  if (values.coordination === undefined) throw new Error('log-node needs --coordination <host:port>');
  if (values['data-dir'] === undefined) throw new Error('log-node needs --data-dir <dir>');
  const sessionTimeout = intOption('session-timeout', values['session-timeout'], 1);
  const log = (message: string): void => {
    process.stderr.write(`herd log-node: ${message}\n`);
  };
  const node = await startLogNode({
    coordination: values.coordination,
    dataDir: values['data-dir'],
    host: values.host,
    port: intOption('port', values.port, 0, 65535)!,
    ...(values['advertised-host'] !== undefined ? { advertisedHost: values['advertised-host'] } : {}),
    ...optional('maxFrameSize', intOption('max-frame-size', values['max-frame-size'], 1)),
    ...optional('maxEntrySize', intOption('max-entry-size', values['max-entry-size'], 0)),
    ...optional('maxInFlight', intOption('max-in-flight', values['max-in-flight'], 1)),
    ...optional('maxBatchDelay', intOption('max-batch-delay', values['max-batch-delay'], 0)),
    ...optional('maxBatchBytes', intOption('max-batch-bytes', values['max-batch-bytes'], 1)),
    ...optional('closeTimeout', intOption('close-timeout', values['close-timeout'], 0)),
    ...(sessionTimeout !== undefined ? { clientOptions: { sessionTimeout } } : {}),
    logger: log,
  });
  process.stdout.write(`herd log-node: serving ${node.address} as instance ${node.instanceId}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    node.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`close failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function intOption(flag: string, text: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${flag} must be an integer from ${min} to ${max}, got '${text}'`);
  return n;
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}
