#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startServer } from '../server/server.js';
import type { LogLevel } from '../server/logger.js';

/** The `herd` command. */

const USAGE = `Usage: herd <command> [options]

Commands:
  server    start a Herd coordination server

Options for server:
  --port <n>            client port (default 2181)
  --host <addr>         listen address (default 0.0.0.0)
  --data-dir <dir>      data directory (default ./herd-data)
  --tick-time <ms>      tick time (default 2000)
  --log-level <level>   trace, debug, info, warn, error, fatal, silent (default info)
  --4lw <words>         four-letter words allowed, comma separated or '*'
                        (default srvr,ruok,isro,stat,mntr; srvr is always on)
  --admin-port <n>      HTTP admin server: /commands/<name> JSON and /metrics (default off)
  --admin-host <addr>   admin server listen address (default 127.0.0.1)
`;

function portOption(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${flag} must be a port number, got '${text}'`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command !== 'server') {
    process.stdout.write(USAGE);
    process.exitCode = command === undefined || command === '--help' || command === 'help' ? 0 : 1;
    return;
  }
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
    },
  });
  const handle = await startServer({
    port: Number(values.port),
    host: values.host,
    dataDir: values['data-dir'],
    tickTime: Number(values['tick-time']),
    logLevel: values['log-level'] as LogLevel,
    ...(values['4lw'] !== undefined ? { fourLetterWords: values['4lw'] } : {}),
    ...(values['admin-port'] !== undefined ? { adminPort: portOption('admin-port', values['admin-port']) } : {}),
    ...(values['admin-host'] !== undefined ? { adminHost: values['admin-host'] } : {}),
  });
  const stop = () => {
    void handle.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`herd: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
