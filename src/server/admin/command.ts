import type { ServerView } from '../server-view.js';
import type { JsonValue } from './json.js';

/**
 * What an admin command is (see commands.ts for the table of them): the
 * names it answers to, the structured object it returns and, for a
 * four-letter word, the text rendered from that object. The commands are
 * grouped by what they read: stat-commands.ts (counters, connections),
 * info-commands.ts (configuration, environment, watches, sessions, trace
 * mask); command-format.ts holds the figures and formats they share.
 */

export const HERD_VERSION = '3.8.4-herd';
/** ZooTrace's initial mask: client requests, server packets, sessions and warnings (2 | 16 | 32 | 256). */
export const DEFAULT_TRACE_MASK = 306n;

/** The version line of srvr/stat/mntr/envi. */
export const FULL_VERSION = `${HERD_VERSION}, built on herd`;

/** A command's structured answer (ZooKeeper's AdminServer JSON object). */
export type JsonObject = { [key: string]: JsonValue };

/** Arguments of a command by name (ZooKeeper's kwargs). */
export type CommandArgs = Readonly<Record<string, string>>;

/** One admin command. */
export interface AdminCommand {
  /** Primary name (AdminServer) first, then aliases. */
  readonly names: readonly string[];
  /** The four-letter word, when it has one. */
  readonly word?: string;
  /** `args`: the query parameters of the HTTP request, or what a four-letter word carries after the word (stmk's mask). */
  run(server: ServerView, args: CommandArgs): JsonObject | Promise<JsonObject>;
  /** The four-letter word's answer, rendered from {@link run}'s object. */
  text?(data: JsonObject, server: ServerView): string;
}

