/**
 * `herd server`: starts a Herd coordination server from command-line
 * options, prints where it serves (stdout), and runs until SIGINT or SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { connectHost, startServer, type ServerHandle } from '../server/server.js';
import type { LogLevel } from '../server/logger.js';
import type { ClientAuthMode, ServerOptions, TlsOptions } from '../server/options.js';
import { configureCommand, herdVersion, intOption, optional, portOption } from './command.js';

/** The flags of `herd server`, as commander hands them over (strings, unchecked). */
interface ServerFlags {
  port?: string;
  host?: string;
  dataDir?: string;
  tickTime?: string;
  logLevel?: string;
  '4lw'?: string;
  adminPort?: string;
  adminHost?: string;
  securePort?: string;
  tlsKey?: string;
  tlsCert?: string;
  tlsCa?: string;
  tlsClientAuth?: string;
  tlsSuperUser?: string;
  maxClientConnections?: string;
  maxOutstandingRequests?: string;
  maxFrameSize?: string;
  maxSendBuffer?: string;
}

const DEFAULT_DATA_DIR = './herd-data';

/** `herd server [options]`. */
export function serverCommand(): Command {
  return configureCommand(new Command('server'), 'herd server')
    .description('start a Herd coordination server (standalone, speaks the ZooKeeper protocol)')
    .option('--port <n>', 'client port (default 2181)')
    .option('--host <addr>', 'listen address (default 0.0.0.0)')
    .option('--data-dir <dir>', `data directory (default ${DEFAULT_DATA_DIR})`)
    .option('--tick-time <ms>', 'tick time, the unit of session timeouts (default 2000)')
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal, silent (default info)')
    .option('--4lw <words>', "four-letter words allowed, comma separated or '*' (default srvr,ruok,isro,stat,mntr; srvr is always on)")
    .option('--admin-port <n>', 'HTTP admin server: /commands/<name> JSON and /metrics (default off)')
    .option('--admin-host <addr>', 'admin server listen address (default 127.0.0.1)')
    .option('--secure-port <n>', 'TLS client port (needs --tls-key and --tls-cert)')
    .option('--tls-key <file>', 'server private key (PEM)')
    .option('--tls-cert <file>', 'server certificate chain (PEM)')
    .option('--tls-ca <file>', 'CA certificates for client certificates (PEM)')
    .option('--tls-client-auth <mode>', 'none, want or need (default need)')
    .option('--tls-super-user <dn>', 'client certificate subject (RFC 2253) that is superuser')
    .option('--max-client-connections <n>', 'connections per client IP, 0 = unlimited (default 60)')
    .option('--max-outstanding-requests <n>', 'unanswered requests before reading pauses (default 1000)')
    .option('--max-frame-size <bytes>', 'largest request accepted (default 1048575)')
    .option('--max-send-buffer <bytes>', "unsent replies and notifications before a slow reader's connection is closed (default 16777216)")
    .action((flags: ServerFlags) => runServer(flags));
}

async function runServer(flags: ServerFlags): Promise<void> {
  const options = optionsFromFlags(flags);
  const handle = await startServer(options);
  process.stdout.write(startupBlock(handle, options));
  const stop = (): void => {
    void handle.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** The server's options from its flags, checked; herd's defaults where a flag is absent. */
function optionsFromFlags(flags: ServerFlags): ServerOptions {
  return {
    port: portOption('port', flags.port) ?? 2181,
    host: flags.host ?? '0.0.0.0',
    dataDir: flags.dataDir ?? DEFAULT_DATA_DIR,
    ...optional('tickTime', intOption('tick-time', flags.tickTime, 1)),
    logLevel: (flags.logLevel ?? 'info') as LogLevel,
    ...optional('fourLetterWords', flags['4lw']),
    ...optional('adminPort', portOption('admin-port', flags.adminPort)),
    ...optional('adminHost', flags.adminHost),
    ...optional('maxClientConnections', intOption('max-client-connections', flags.maxClientConnections, 0)),
    ...optional('maxOutstandingRequests', intOption('max-outstanding-requests', flags.maxOutstandingRequests, 0)),
    ...optional('maxFrameSize', intOption('max-frame-size', flags.maxFrameSize, 0)),
    ...optional('maxSendBuffer', intOption('max-send-buffer', flags.maxSendBuffer, 1)),
    ...tlsOptions(flags),
  };
}

/** The secure port's options; certificate files are read here so a missing one fails at start. */
function tlsOptions(flags: ServerFlags): Pick<ServerOptions, 'securePort' | 'tls'> {
  const { securePort: port, tlsKey: key, tlsCert: cert } = flags;
  if (port === undefined) {
    if (key !== undefined || cert !== undefined) throw new Error('--tls-key/--tls-cert need --secure-port');
    return {};
  }
  if (key === undefined || cert === undefined) throw new Error('--secure-port needs --tls-key and --tls-cert');
  const mode = flags.tlsClientAuth ?? 'need';
  if (mode !== 'none' && mode !== 'want' && mode !== 'need') throw new Error(`--tls-client-auth must be none, want or need, got '${mode}'`);
  const tls: TlsOptions = {
    key: readFileSync(key),
    cert: readFileSync(cert),
    ...(flags.tlsCa !== undefined ? { ca: readFileSync(flags.tlsCa) } : {}),
    clientAuth: mode as ClientAuthMode,
    ...(flags.tlsSuperUser !== undefined ? { superUser: flags.tlsSuperUser } : {}),
  };
  return { securePort: portOption('secure-port', port)!, tls };
}

/** `host:port`, with an IPv6 host in brackets. */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * What an operator needs to know once the server is up, in one block on
 * stdout (stderr carries the log lines, JSON when it is not a terminal).
 */
export function startupBlock(handle: ServerHandle, options: ServerOptions): string {
  const listen = options.host ?? '0.0.0.0';
  const everywhere = handle.host !== listen ? ` (every interface; connect string ${handle.connectionString})` : '';
  const rows: [string, string][] = [['clients', `${hostPort(listen, handle.port)}${everywhere}`]];
  if (handle.securePort !== undefined) {
    rows.push(['TLS clients', `${hostPort(listen, handle.securePort)} (client certificates: ${options.tls?.clientAuth ?? 'need'})`]);
  }
  rows.push(['data dir', options.dataDir !== undefined ? resolve(options.dataDir) : 'none (in memory)']);
  if (handle.adminPort !== undefined) {
    const base = `http://${hostPort(connectHost(options.adminHost ?? '127.0.0.1'), handle.adminPort)}`;
    rows.push(['admin', `${base}/commands`], ['', `${base}/metrics`]);
  } else {
    rows.push(['admin', 'off (--admin-port <n> turns it on)']);
  }
  rows.push(['logs', `${options.logLevel ?? 'info'} and above, JSON lines on stderr`]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return `herd server ${herdVersion()} is serving (standalone)\n${rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}
