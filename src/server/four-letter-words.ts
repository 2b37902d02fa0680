import { commandByWord, runFourLetterWord } from './admin/commands.js';
import type { ServerConnection } from './connection.js';
import type { HerdServer } from './server.js';

/**
 * Four-letter words on the client port, in ZooKeeper 3.8's text formats so
 * monitoring scripts that parse them keep working (formats in
 * admin/commands.ts). Detected on the first four bytes of a connection;
 * answered, then the connection is closed.
 *
 * Whitelist (the `fourLetterWords` option, as 4lw.commands.whitelist): a
 * word that is not on it is answered "<word> is not executed because it is
 * not in the whitelist." as ZooKeeper does, and `srvr` is always on
 * (ZooKeeper's own scripts depend on it). Words ZooKeeper knows but Herd
 * does not implement (gtmk, stmk, hash) are not recognised: like any other
 * bytes that are not a valid frame, they close the connection.
 */

export { HERD_VERSION } from './admin/commands.js';

export class FourLetterWords {
  constructor(private readonly server: HerdServer) {}

  /** The answer to a four-letter word, or null when the bytes are not one. */
  answer(conn: ServerConnection, word: string): string | Promise<string> | null {
    const command = commandByWord(word);
    if (!command) return null;
    // ZooKeeper counts the word as a packet received, on the server and on the connection.
    conn.received++;
    this.server.metrics.packetsReceived++;
    const allowed = this.server.options.fourLetterWords;
    if (allowed !== 'all' && !allowed.has(word) && word !== 'srvr') {
      return `${word} is not executed because it is not in the whitelist.\n`;
    }
    this.server.log.debug({ client: conn.describe(), word }, 'four-letter word');
    return runFourLetterWord(this.server, command);
  }
}
