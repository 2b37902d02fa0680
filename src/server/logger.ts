import { pino } from 'pino';

/** Log levels in increasing severity; `silent` turns logging off. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * The structured logger the server writes to: pino's call shape (fields
 * first, then the message), so a pino instance, a child of your
 * application's logger, or anything with these four methods fits.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * The default logger: pino, JSON lines on stderr, written synchronously so
 * nothing is lost when the process dies. Levels are written as their names
 * ("level":"warn"); bigint fields (session ids, zxids) as 0x-prefixed hex,
 * as ZooKeeper prints them, since JSON numbers cannot hold them exactly.
 */
export function createLogger(level: LogLevel = 'info', name = 'herd'): Logger {
  if (!LOG_LEVELS.includes(level)) throw new Error(`unknown log level ${String(level)}: use one of ${LOG_LEVELS.join(', ')}`);
  return pino(
    {
      name,
      level,
      base: { pid: process.pid },
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => {
          for (const key of Object.keys(obj)) {
            const v = obj[key];
            if (typeof v === 'bigint') obj[key] = `0x${v.toString(16)}`;
          }
          return obj;
        },
      },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}
