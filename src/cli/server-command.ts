/**
 * `herd server`: starts a Herd coordination server from command-line
 * options, prints where it serves (stdout), and runs until SIGINT or SIGTERM.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import type { ServerHandle } from '../server/server.js';
import type { Dashboard } from '../dashboard/index.js';
import type { LogFormat, LogLevel } from '../server/logger.js';
import type { ClientAuthMode, ServerOptions } from '../server/options.js';
import { configureCommand, herdVersion, intOption, optional, portOption } from './command.js';
import { DEFAULT_DATA_DIR, mergeSettings, superDigestProblem, toServerOptions, type ServerSettings, type SettingOrigins } from './server-settings.js';
import { readZooCfg } from './zoo-cfg.js';

/** The flags of `herd server`, as commander hands them over (strings, unchecked). */
interface ServerFlags {
  config?: string;
  port?: string;
  host?: string;
  dataDir?: string;
  tickTime?: string;
  logLevel?: string;
  logFormat?: string;
  '4lw'?: string;
  adminPort?: string;
  adminHost?: string;
  dashboardAllowWrites?: boolean;
  securePort?: string;
  tlsKey?: string;
  tlsCert?: string;
  tlsCa?: string;
  tlsClientAuth?: string;
  tlsSuperUser?: string;
  superDigest?: string;
  maxClientConnections?: string;
  maxOutstandingRequests?: string;
  maxFrameSize?: string;
  maxSendBuffer?: string;
}

/** `herd server [options]`. */
export function serverCommand(): Command {
  return configureCommand(new Command('server'), 'herd server')
    .description('start a Herd coordination server (standalone, speaks the ZooKeeper protocol)')
    .option('--config <zoo.cfg>', "read ZooKeeper's config file (its keys: docs/server-admin.md); flags override it")
    .option('--port <n>', 'client port (default 2181)')
    .option('--host <addr>', 'listen address (default 0.0.0.0)')
    .option('--data-dir <dir>', `data directory (default ${DEFAULT_DATA_DIR})`)
    .option('--tick-time <ms>', 'tick time, the unit of session timeouts (default 2000)')
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal, silent (default info)')
    .option('--log-format <format>', 'pretty (one readable line per entry) or json (pino JSON lines); default pretty when stderr is a terminal, else json')
    .option('--4lw <words>', "four-letter words allowed, comma separated or '*' (default srvr,ruok,isro,stat,mntr; srvr is always on)")
    .option('--admin-port <n>', 'HTTP admin server: /commands/<name> JSON, /metrics and the web dashboard at / (default off)')
    .option('--admin-host <addr>', 'admin server listen address (default 127.0.0.1)')
    .option('--dashboard-allow-writes', "the admin port's dashboard may create, set, setAcl and delete, each with the digest credentials the user gives (default read-only)")
    .option('--secure-port <n>', 'TLS client port (needs --tls-key and --tls-cert)')
    .option('--tls-key <file>', 'server private key (PEM)')
    .option('--tls-cert <file>', 'server certificate chain (PEM)')
    .option('--tls-ca <file>', 'CA certificates for client certificates (PEM)')
    .option('--tls-client-auth <mode>', 'none, want or need (default need)')
    .option('--tls-super-user <dn>', 'client certificate subject (RFC 2253) that is superuser')
    .option(
      '--super-digest <user:hash>',
      'a digest user that is superuser, as zookeeper.DigestAuthenticationProvider.superDigest: user:base64(sha1(user:password)); that user then reads and changes every znode whatever its ACL',
    )
    .option('--max-client-connections <n>', 'connections per client IP, 0 = unlimited (default 60)')
    .option('--max-outstanding-requests <n>', 'unanswered requests before reading pauses (default 1000)')
    .option('--max-frame-size <bytes>', 'largest request accepted (default 1048575)')
    .option('--max-send-buffer <bytes>', "unsent replies and notifications before a slow reader's connection is closed (default 16777216)")
    .action((flags: ServerFlags) => runServer(flags));
}

async function runServer(flags: ServerFlags): Promise<void> {
  const logLevel = (flags.logLevel ?? 'info') as LogLevel;
  // Logs go to stderr, so it is stderr being a terminal that makes them for a person to read.
  const logFormat = (flags.logFormat ?? (process.stderr.isTTY === true ? 'pretty' : 'json')) as LogFormat;
  // The server and its logger are loaded when a server runs, not at start-up: `herd --help` and the other commands do without them.
  const [{ connectHost, startServer }, { createLogger }] = await Promise.all([import('../server/server.js'), import('../server/logger.js')]);
  const logger = createLogger(logLevel, 'herd', logFormat);
  const fromFlags = flagSettings(flags);
  let merged = fromFlags;
  let warnings = 0;
  if (flags.config !== undefined) {
    const cfg = readZooCfg(flags.config);
    warnings = cfg.warnings.length;
    for (const w of cfg.warnings) logger.warn({ config: flags.config, ...optional('line', w.line), ...optional('key', w.key) }, w.message);
    merged = mergeSettings(cfg, fromFlags);
  }
  const options = toServerOptions(merged.settings, merged.origins);
  const allowWrites = flags.dashboardAllowWrites === true;
  if (allowWrites && options.adminPort === undefined) throw new Error('--dashboard-allow-writes needs the admin server (--admin-port or admin.serverPort)');
  const handle = await startServer({ ...options, logger }).catch((err: unknown) => {
    throw startFailure(err, options, merged.origins);
  });
  const adminBase = handle.adminPort === undefined ? undefined : `http://${hostPort(connectHost(options.adminHost ?? '127.0.0.1'), handle.adminPort)}`;
  const dashboard = await mountDashboard(handle, adminBase, allowWrites).catch((err: unknown) => {
    // The server is up and serves clients; only the dashboard is missing, so say so and go on.
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'dashboard not mounted on the admin server');
    return undefined;
  });
  process.stdout.write(startupBlock(handle, adminBase, { ...options, logLevel }, logFormat, flags.config === undefined ? undefined : { path: flags.config, warnings }, dashboard !== undefined));
  const stop = (): void => {
    void (dashboard?.close() ?? Promise.resolve()).then(() => handle.close()).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * The web dashboard at `/` of the admin server: read-only unless
 * `--dashboard-allow-writes` (then each write runs with the digest
 * credentials its user gives, as `herd dashboard --allow-writes`); its
 * session is a client of this server (the server layer never imports the
 * client) and whose sessions, watches and metrics views read this admin
 * server's own JSON commands.
 */
async function mountDashboard(handle: ServerHandle, adminBase: string | undefined, allowWrites: boolean): Promise<Dashboard | undefined> {
  const adminPort = handle.adminPort;
  if (adminPort === undefined || adminBase === undefined) return undefined;
  // Loaded only here: a server without an admin port does not pay for the client and the shell's views.
  const [{ adminFetcher, startDashboard }, { mountAdminRoutes }] = await Promise.all([import('../dashboard/index.js'), import('../server/admin/admin-server.js')]);
  const dashboard = await startDashboard({
    connectionString: handle.connectionString,
    admin: adminFetcher(adminBase),
    allowWrites,
  });
  const unmount = mountAdminRoutes(adminPort, (req, res) => dashboard.handle(req, res));
  const close = async (): Promise<void> => {
    unmount();
    await dashboard.close();
  };
  return { handle: (req, res) => dashboard.handle(req, res), close, [Symbol.asyncDispose]: close };
}

/**
 * A port in use or a data directory that cannot be used, said with the
 * setting that chose it (`--port`, `zoo.cfg:12 (clientPort)`) rather than as
 * a bare system error.
 */
function startFailure(err: unknown, options: ServerOptions, origins: SettingOrigins): unknown {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (typeof e?.code !== 'string') return err;
  if (e.syscall === 'listen' && e.port !== undefined) {
    const name = e.port === options.port ? 'port' : e.port === options.securePort ? 'securePort' : e.port === options.adminPort ? 'adminPort' : undefined;
    const why = e.code === 'EADDRINUSE' ? 'the address is in use' : e.code === 'EACCES' ? 'permission denied' : e.code;
    return new Error(`cannot listen on ${hostPort(e.address ?? '', e.port)}${name !== undefined && origins[name] !== undefined ? ` (${origins[name]})` : ''}: ${why}`);
  }
  if (e.path !== undefined && options.dataDir !== undefined && resolve(e.path).startsWith(resolve(options.dataDir))) {
    return new Error(`cannot use data directory ${resolve(options.dataDir)}${origins.dataDir !== undefined ? ` (${origins.dataDir})` : ''}: ${e.message}`);
  }
  return err;
}

/** The settings the flags give, checked, each with its flag as origin. */
function flagSettings(flags: ServerFlags): { settings: ServerSettings; origins: SettingOrigins } {
  const mode = flags.tlsClientAuth;
  if (mode !== undefined && mode !== 'none' && mode !== 'want' && mode !== 'need') throw new Error(`--tls-client-auth must be none, want or need, got '${mode}'`);
  const settings: ServerSettings = {
    ...optional('port', portOption('port', flags.port)),
    ...optional('host', flags.host),
    ...optional('dataDir', flags.dataDir),
    ...optional('tickTime', intOption('tick-time', flags.tickTime, 1)),
    ...optional('logLevel', flags.logLevel as LogLevel | undefined),
    ...optional('fourLetterWords', flags['4lw']),
    ...optional('adminPort', portOption('admin-port', flags.adminPort)),
    ...optional('adminHost', flags.adminHost),
    ...optional('securePort', portOption('secure-port', flags.securePort)),
    ...optional('tlsKeyFile', flags.tlsKey),
    ...optional('tlsCertFile', flags.tlsCert),
    ...optional('tlsCaFile', flags.tlsCa),
    ...optional('tlsClientAuth', mode as ClientAuthMode | undefined),
    ...optional('tlsSuperUser', flags.tlsSuperUser),
    ...optional('superDigest', superDigestOption(flags.superDigest)),
    ...optional('maxClientConnections', intOption('max-client-connections', flags.maxClientConnections, 0)),
    ...optional('maxOutstandingRequests', intOption('max-outstanding-requests', flags.maxOutstandingRequests, 0)),
    ...optional('maxFrameSize', intOption('max-frame-size', flags.maxFrameSize, 0)),
    ...optional('maxSendBuffer', intOption('max-send-buffer', flags.maxSendBuffer, 1)),
  };
  const origins: SettingOrigins = {};
  for (const name of Object.keys(settings) as (keyof ServerSettings)[]) origins[name] = `--${FLAG_OF[name]!}`;
  return { settings, origins };
}

function superDigestOption(text: string | undefined): string | undefined {
  const problem = text === undefined ? undefined : superDigestProblem(text);
  if (problem !== undefined) throw new Error(`--super-digest ${problem}`);
  return text;
}

/** The flag that sets each setting. */
const FLAG_OF: Partial<Record<keyof ServerSettings, string>> = {
  port: 'port',
  host: 'host',
  dataDir: 'data-dir',
  tickTime: 'tick-time',
  logLevel: 'log-level',
  fourLetterWords: '4lw',
  adminPort: 'admin-port',
  adminHost: 'admin-host',
  securePort: 'secure-port',
  tlsKeyFile: 'tls-key',
  tlsCertFile: 'tls-cert',
  tlsCaFile: 'tls-ca',
  tlsClientAuth: 'tls-client-auth',
  tlsSuperUser: 'tls-super-user',
  superDigest: 'super-digest',
  maxClientConnections: 'max-client-connections',
  maxOutstandingRequests: 'max-outstanding-requests',
  maxFrameSize: 'max-frame-size',
  maxSendBuffer: 'max-send-buffer',
};

/** `host:port`, with an IPv6 host in brackets. */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * What an operator needs to know once the server is up, in one block on
 * stdout (stderr carries the log lines). Its last row is `logs`.
 */
function startupBlock(handle: ServerHandle, adminBase: string | undefined, options: ServerOptions, logFormat: LogFormat, config: { path: string; warnings: number } | undefined, dashboard: boolean): string {
  const listen = options.host ?? '0.0.0.0';
  const everywhere = handle.host !== listen ? ` (every interface; connect string ${handle.connectionString})` : '';
  const rows: [string, string][] = [['clients', `${hostPort(listen, handle.port)}${everywhere}`]];
  if (handle.securePort !== undefined) {
    rows.push(['TLS clients', `${hostPort(listen, handle.securePort)} (client certificates: ${options.tls?.clientAuth ?? 'need'})`]);
  }
  rows.push(['data dir', options.dataDir !== undefined ? resolve(options.dataDir) : 'none (in memory)']);
  if (adminBase !== undefined) {
    const base = adminBase;
    rows.push(['admin', `${base}/commands`], ['', `${base}/metrics`]);
    if (dashboard) rows.push(['dashboard', `${base}/`]);
  } else {
    rows.push(['admin', 'off (--admin-port <n> turns it on)']);
  }
  const superusers = [
    ...(options.superDigest !== undefined ? [`digest user ${options.superDigest.slice(0, options.superDigest.indexOf(':'))}`] : []),
    ...(options.tls?.superUser !== undefined ? [`x509 ${options.tls.superUser}`] : []),
  ];
  if (superusers.length > 0) rows.push(['superuser', superusers.join(', ')]);
  if (config !== undefined) {
    const { path, warnings } = config;
    rows.push(['config', `${resolve(path)}${warnings === 0 ? '' : ` (${warnings} warning${warnings === 1 ? '' : 's'} logged: keys Herd ignores)`}`]);
  }
  const level = options.logLevel ?? 'info';
  rows.push(['logs', level === 'silent' ? 'off (--log-level silent)' : `${level} and above, ${logFormat === 'json' ? 'JSON lines' : 'pretty'} on stderr`]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return `herd server ${herdVersion()} is serving (standalone)\n${rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}
