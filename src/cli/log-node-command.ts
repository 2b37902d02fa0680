/**
 * `herd log-node`: runs a storage node of the Herd log (src/log/node).
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { LogNodeTlsOptions } from '../log/node/tls.js';
import { DEFAULT_LOG_NODE_PORT } from '../log/node/options.js';
import { configureCommand, intOption, optional, portOption } from './command.js';

interface LogNodeValues {
  coordination?: string;
  dataDir?: string;
  host: string;
  port: string;
  advertisedHost?: string;
  maxFrameSize?: string;
  maxEntrySize?: string;
  maxInFlight?: string;
  maxBatchDelay?: string;
  maxBatchBytes?: string;
  closeTimeout?: string;
  sessionTimeout?: string;
  metricsPort?: string;
  /** False with `--no-auditor`. */
  auditor: boolean;
  gracePeriod?: string;
  scrubInterval?: string;
  gcInterval?: string;
  tlsKey?: string;
  tlsCert?: string;
  tlsCa?: string;
}

/**
 * `herd log-node [options]`: prints the node's address and instance id
 * (and, with `--metrics-port`, its metrics URL), runs until SIGINT or SIGTERM.
 */
export function logNodeCommand(): Command {
  return configureCommand(new Command('log-node'), 'herd log-node')
    .description('run a storage node of the Herd log')
    .option('--coordination <conn>', 'coordination service, host:port[,host:port...][/chroot] (required)')
    .option('--data-dir <dir>', "data directory: entries and the node's instance id (required)")
    .option('--host <addr>', 'listen address', '0.0.0.0')
    .option('--port <n>', 'port; 0 picks a free one', String(DEFAULT_LOG_NODE_PORT))
    .option('--advertised-host <h>', 'host published to writers and readers (default: --host, or the hostname when listening on every address)')
    .option('--max-frame-size <bytes>', 'largest request accepted (default 16778240)')
    .option('--max-entry-size <bytes>', 'largest entry accepted (default 5242880)')
    .option('--max-in-flight <n>', 'unanswered requests per connection before the node stops reading from it (default 1000)')
    .option('--max-batch-delay <ms>', 'group commit: longest an add waits to share an fsync (default 2)')
    .option('--max-batch-bytes <bytes>', 'group commit: bytes that make a batch be written at once (default 524288)')
    .option('--close-timeout <ms>', 'on SIGINT/SIGTERM, how long requests in progress may take to finish (default 5000)')
    .option('--metrics-port <n>', 'serve Prometheus metrics at http://<host>:<n>/metrics (default: no metrics listener)')
    .option('--no-auditor', 'run no auditor candidate on this node (run one elsewhere: some process must repair and apply retention)')
    .option('--grace-period <ms>', "auditor: how long a node may be gone before its copies are made elsewhere (default 30000)")
    .option('--scrub-interval <ms>', "auditor: how often every node is asked to re-read what it holds and check each entry's CRC32C; 0 never (default 86400000, a day)")
    .option('--gc-interval <ms>', 'how often local segments whose metadata retention deleted are removed; 0 never (default 60000)')
    .option('--tls-key <file>', "serve over TLS with this private key (PEM; needs --tls-cert)")
    .option('--tls-cert <file>', "serve over TLS with this certificate chain (PEM; needs --tls-key)")
    .option('--tls-ca <file>', 'with --tls-key: mutual TLS, every client must present a certificate signed by a CA in this PEM file')
    .option('--session-timeout <ms>', 'coordination session timeout: how long after the node dies its registration disappears (default 10000)')
    .action((values: LogNodeValues) => runLogNode(values));
}

async function runLogNode(values: LogNodeValues): Promise<void> {
  if (values.coordination === undefined) throw new Error('log-node needs --coordination <host:port>');
  if (values.dataDir === undefined) throw new Error('log-node needs --data-dir <dir>');
  const sessionTimeout = intOption('session-timeout', values.sessionTimeout, 1);
  const gracePeriod = intOption('grace-period', values.gracePeriod, 0);
  const scrubInterval = intOption('scrub-interval', values.scrubInterval, 0);
  for (const [flag, value] of [['--grace-period', gracePeriod], ['--scrub-interval', scrubInterval]] as const) {
    if (value !== undefined && !values.auditor) throw new Error(`${flag} is an auditor option: it does not go with --no-auditor`);
  }
  const auditorOptions = { ...optional('gracePeriod', gracePeriod), ...optional('scrubInterval', scrubInterval) };
  const log = (message: string): void => {
    process.stderr.write(`herd log-node: ${message}\n`);
  };
  const tls = await nodeTls(values);
  const { startLogNode } = await import('../log/index.js');
  const node = await startLogNode({
    coordination: values.coordination,
    dataDir: values.dataDir,
    host: values.host,
    port: portOption('port', values.port)!,
    ...(values.advertisedHost !== undefined ? { advertisedHost: values.advertisedHost } : {}),
    ...optional('maxFrameSize', intOption('max-frame-size', values.maxFrameSize, 1)),
    ...optional('maxEntrySize', intOption('max-entry-size', values.maxEntrySize, 0)),
    ...optional('maxInFlight', intOption('max-in-flight', values.maxInFlight, 1)),
    ...optional('maxBatchDelay', intOption('max-batch-delay', values.maxBatchDelay, 0)),
    ...optional('maxBatchBytes', intOption('max-batch-bytes', values.maxBatchBytes, 1)),
    ...optional('closeTimeout', intOption('close-timeout', values.closeTimeout, 0)),
    ...optional('metricsPort', portOption('metrics-port', values.metricsPort)),
    ...optional('gcInterval', intOption('gc-interval', values.gcInterval, 0)),
    auditor: values.auditor && Object.keys(auditorOptions).length > 0 ? auditorOptions : values.auditor,
    ...(sessionTimeout !== undefined ? { clientOptions: { sessionTimeout } } : {}),
    ...optional('tls', tls),
    logger: log,
  });
  process.stdout.write(`herd log-node: serving ${node.address} as instance ${node.instanceId}\n`);
  if (node.metricsPort !== undefined) process.stdout.write(`herd log-node: metrics at http://${node.host}:${node.metricsPort}/metrics\n`);
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

/** startLogNode's `tls` from `--tls-key`, `--tls-cert` and `--tls-ca`; undefined without them. */
async function nodeTls(values: LogNodeValues): Promise<LogNodeTlsOptions | undefined> {
  if (values.tlsKey === undefined && values.tlsCert === undefined) {
    if (values.tlsCa !== undefined) throw new Error('--tls-ca needs --tls-key and --tls-cert');
    return undefined;
  }
  if (values.tlsKey === undefined || values.tlsCert === undefined) throw new Error('--tls-key and --tls-cert go together');
  const [key, cert, ca] = await Promise.all([readFile(values.tlsKey), readFile(values.tlsCert), values.tlsCa === undefined ? undefined : readFile(values.tlsCa)]);
  return ca === undefined ? { key, cert } : { key, cert, ca, requestCert: true };
}
