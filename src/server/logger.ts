import { pino } from 'pino';
import pretty from 'pino-pretty';

/** Log levels in increasing severity; `silent` turns logging off. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * How log lines are written: `json`, one pino JSON object a line, for
 * collectors; `pretty`, one human-readable line each (time, level, message,
 * then the fields), formatted by pino-pretty, for a terminal.
 */
export type LogFormat = 'json' | 'pretty';

export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

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
 * The default logger: pino on stderr, written synchronously so nothing is
 * lost when the process dies. As JSON (the default), levels are written as
 * their names ("level":"warn"); as `pretty`, through pino-pretty, one line
 * per entry, coloured when stderr is a terminal and NO_COLOR is unset.
 * Either way bigint fields (session ids, zxids) are 0x-prefixed hex, as
 * ZooKeeper prints them, since JSON numbers cannot hold them exactly.
 *
 * @param level lowest level written. Default 'info'.
 * @param name the `name` field of every line. Default 'herd'.
 * @param format see {@link LogFormat}. Default 'json'.
 * @throws Error for a level or format not in {@link LOG_LEVELS} / {@link LOG_FORMATS}
 */
export function createLogger(level: LogLevel = 'info', name = 'herd', format: LogFormat = 'json'): Logger {
  if (!LOG_LEVELS.includes(level)) throw new Error(`unknown log level ${String(level)}: use one of ${LOG_LEVELS.join(', ')}`);
  if (!LOG_FORMATS.includes(format)) throw new Error(`unknown log format ${String(format)}: use one of ${LOG_FORMATS.join(', ')}`);
  const destination =
    format === 'json'
      ? pino.destination({ dest: 2, sync: true })
      : pretty({
          destination: 2,
          sync: true,
          colorize: process.stderr.isTTY === true && process.env.NO_COLOR === undefined,
          translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
          ignore: 'pid,hostname,name',
          singleLine: true,
        });
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
    destination,
  );
}
