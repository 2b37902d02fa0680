import { commandByWord, runFourLetterWord, type CommandArgs } from './admin/commands.js';
import { NEED_MORE_BYTES, type ServerConnection } from './connection.js';
import type { ServerView } from './server-view.js';

/**
 * Four-letter words on the client port, in ZooKeeper 3.8's text formats so
 * monitoring scripts that parse them keep working (formats in
 * admin/commands.ts). Detected on the first four bytes of a connection;
 * answered, then the connection is closed. Every word of ZooKeeper 3.8's
 * FourLetterCommands is known; `stmk` carries an 8-byte big-endian mask after
 * the word, as in ZooKeeper.
 *
 * Whitelist (the `fourLetterWords` option, as 4lw.commands.whitelist): a
 * word that is not on it is answered "<word> is not executed because it is
 * not in the whitelist." as ZooKeeper does, and `srvr` is always on
 * (ZooKeeper's own scripts depend on it). Any other four bytes are read as
 * the length of a ConnectRequest.
 */

export { HERD_VERSION } from './admin/commands.js';

/**
 * What telnet sends when it closes (IAC DO TIMING-MARK, read as a word):
 * ZooKeeper lists it among its words, as "telnet close", to keep its logs clean.
 */
const TELNET_CLOSE = '\xff\xf4\xff\xfd';

/** Bytes `stmk` reads after the word: a Java long. */
const TRACE_MASK_BYTES = 8;

export class FourLetterWords {
  constructor(private readonly server: ServerView) {}

  /**
   * The answer to a four-letter word (or its promise), null when the bytes are
   * not one, or {@link NEED_MORE_BYTES} when the word's argument is incomplete
   * (call again with more). `after`: the bytes received after the word.
   */
  answer(conn: ServerConnection, word: string, after: Buffer): string | Promise<string> | null | typeof NEED_MORE_BYTES {
    const allowed = this.server.options.fourLetterWords;
    if (word === TELNET_CLOSE) {
      // Known to ZooKeeper (so it is counted and refused by name) but no command: with '*' it is a bad length.
      if (allowed === 'all') return null;
      conn.received++;
      this.server.metrics.packetsReceived++;
      return this.sent(conn, 'telnet close is not executed because it is not in the whitelist.\n');
    }
    const command = commandByWord(word);
    if (!command) return null;
    const enabled = allowed === 'all' || allowed.has(word) || word === 'srvr';
    // ZooKeeper reads stmk's mask only once the word passed the whitelist.
    if (enabled && word === 'stmk' && after.length < TRACE_MASK_BYTES) return NEED_MORE_BYTES;
    // ZooKeeper counts the word as a packet received and its answer as one sent, on the server and on the connection.
    conn.received++;
    this.server.metrics.packetsReceived++;
    if (!enabled) return this.sent(conn, `${word} is not executed because it is not in the whitelist.\n`);
    this.server.log.debug({ client: conn.describe(), word }, 'four-letter word');
    const args: CommandArgs = word === 'stmk' ? { traceMask: after.readBigInt64BE(0).toString() } : {};
    // Counted once the answer exists, as ZooKeeper counts it when written: srst's own answer counts after the reset.
    return runFourLetterWord(this.server, command, args).then((text) => this.sent(conn, text));
  }

  private sent(conn: ServerConnection, text: string): string {
    conn.sent++;
    this.server.metrics.packetsSent++;
    return text;
  }
}
