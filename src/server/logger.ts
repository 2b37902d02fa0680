/** Log levels in increasing severity; `silent` turns logging off. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** The structured logger the server writes to (pino's shape, so a pino instance fits). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** A JSON-lines logger to stderr, used when no logger is given. */
export function createLogger(level: LogLevel = 'info', name = 'herd'): Logger {
  const at = (lvl: Exclude<LogLevel, 'silent'>) => (obj: object, msg?: string) => {
    if (RANK[lvl] < RANK[level]) return;
    const line = { level: lvl, time: Date.now(), name, ...obj, ...(msg ? { msg } : {}) };
    process.stderr.write(JSON.stringify(line, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)) + '\n');
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
