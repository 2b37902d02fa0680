/**
 * `herd server`: starts a Herd coordination server from command-line options.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startServer } from '../server/server.js';
import type { LogLevel } from '../server/logger.js';
import type { ClientAuthMode, ServerOptions, TlsOptions } from '../server/options.js';

export const SERVER_USAGE = `Options for server:
  --port <n>            client port (default 2181)
  --host <addr>         listen address (default 0.0.0.0)
  --data-dir <dir>      data directory (default ./herd-data)
  --tick-time <ms>      tick time (default 2000)
  --log-level <level>   trace, debug, info, warn, error, fatal, silent (default info)
  --4lw <words>         four-letter words allowed, comma separated or '*'
                        (default srvr,ruok,isro,stat,mntr; srvr is always on)
  --admin-port <n>      HTTP admin server: /commands/<name> JSON and /metrics (default off)
  --admin-host <addr>   admin server listen address (default 127.0.0.1)
  --secure-port <n>     TLS client port (needs --tls-key and --tls-cert)
  --tls-key <file>      server private key (PEM)
  --tls-cert <file>     server certificate chain (PEM)
  --tls-ca <file>       CA certificates for client certificates (PEM)
  --tls-client-auth <m> none, want or need (default need)
  --tls-super-user <dn> client certificate subject (RFC 2253) that is superuser
  --max-client-connections <n>   connections per client IP, 0 = unlimited (default 60)
  --max-outstanding-requests <n> unanswered requests before reading pauses (default 1000)
  --max-frame-size <bytes>       largest request accepted (default 1048575)
  --max-send-buffer <bytes>      unsent replies and notifications before a slow
                                 reader's connection is closed (default 16777216)
`;

function portOption(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${flag} must be a port number, got '${text}'`);
  return n;
}

/** `herd server [options]`: runs until SIGINT or SIGTERM. */
export async function runServerCommand(rest: string[]): Promise<void> {
  const { values } = parseArgs({
    args: rest,
    options: {
      port: { type: 'string', default: '2181' },
      host: { type: 'string', default: '0.0.0.0' },
      'data-dir': { type: 'string', default: './herd-data' },
      'tick-time': { type: 'string', default: '2000' },
      'log-level': { type: 'string', default: 'info' },
      '4lw': { type: 'string' },
      'admin-port': { type: 'string' },
      'admin-host': { type: 'string' },
      'secure-port': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-ca': { type: 'string' },
      'tls-client-auth': { type: 'string' },
      'tls-super-user': { type: 'string' },
      'max-client-connections': { type: 'string' },
      'max-outstanding-requests': { type: 'string' },
      'max-frame-size': { type: 'string' },
      'max-send-buffer': { type: 'string' },
    },
  });
  const limits: ServerOptions = {
    ...intOption('max-client-connections', values['max-client-connections'], 'maxClientConnections'),
    ...intOption('max-outstanding-requests', values['max-outstanding-requests'], 'maxOutstandingRequests'),
    ...intOption('max-frame-size', values['max-frame-size'], 'maxFrameSize'),
    ...intOption('max-send-buffer', values['max-send-buffer'], 'maxSendBuffer', 1),
  };
  const handle = await startServer({
    port: Number(values.port),
    host: values.host,
    dataDir: values['data-dir'],
    tickTime: Number(values['tick-time']),
    logLevel: values['log-level'] as LogLevel,
    ...(values['4lw'] !== undefined ? { fourLetterWords: values['4lw'] } : {}),
    ...(values['admin-port'] !== undefined ? { adminPort: portOption('admin-port', values['admin-port']) } : {}),
    ...(values['admin-host'] !== undefined ? { adminHost: values['admin-host'] } : {}),
    ...limits,
    ...tlsOptions(values),
  });
  const stop = () => {
    void handle.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function intOption<K extends keyof ServerOptions>(flag: string, text: string | undefined, key: K, min = 0): Partial<ServerOptions> {
  if (text === undefined) return {};
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer of at least ${min}, got '${text}'`);
  return { [key]: n };
}

/** The secure port's options; certificate files are read here so a missing one fails at start. */
function tlsOptions(values: Record<string, string | boolean | undefined>): Pick<ServerOptions, 'securePort' | 'tls'> {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const port = str('secure-port');
  const key = str('tls-key');
  const cert = str('tls-cert');
  if (port === undefined) {
    if (key !== undefined || cert !== undefined) throw new Error('--tls-key/--tls-cert need --secure-port');
    return {};
  }
  if (key === undefined || cert === undefined) throw new Error('--secure-port needs --tls-key and --tls-cert');
  const mode = str('tls-client-auth') ?? 'need';
  if (mode !== 'none' && mode !== 'want' && mode !== 'need') throw new Error(`--tls-client-auth must be none, want or need, got '${mode}'`);
  const ca = str('tls-ca');
  const superUser = str('tls-super-user');
  const tls: TlsOptions = {
    key: readFileSync(key),
    cert: readFileSync(cert),
    ...(ca !== undefined ? { ca: readFileSync(ca) } : {}),
    clientAuth: mode as ClientAuthMode,
    ...(superUser !== undefined ? { superUser } : {}),
  };
  return { securePort: portOption('secure-port', port), tls };
}
