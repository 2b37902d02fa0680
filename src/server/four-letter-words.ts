import type { ServerConnection } from './connection.js';
import type { HerdServer } from './server.js';

/**
 * Four-letter words on the client port, in ZooKeeper 3.8's text formats so
 * monitoring scripts that parse them keep working. Detected on the first
 * four bytes of a connection; answered, then the connection is closed.
 */

export const HERD_VERSION = '3.8.4-herd';
const KNOWN = new Set(['ruok', 'srvr', 'stat', 'isro', 'conf', 'cons', 'crst', 'dump', 'envi', 'mntr', 'srst', 'wchc', 'wchp', 'wchs', 'dirs']);

export class FourLetterWords {
  constructor(private readonly server: HerdServer) {}

  answer(conn: ServerConnection, word: string): string | null {
    if (!KNOWN.has(word)) return null;
    const allowed = this.server.options.fourLetterWords;
    if (allowed !== 'all' && !allowed.has(word)) return `${word} is not executed because it is not in the whitelist.\n`;
    switch (word) {
      case 'ruok':
        return 'imok';
      case 'isro':
        return 'rw';
      case 'srvr':
        return this.srvr();
      case 'stat':
        return this.stat(conn);
      default:
        return `${word} is not executed because it is not in the whitelist.\n`;
    }
  }

  private srvr(): string {
    const s = this.server;
    const { stats } = s;
    const avg = stats.requests === 0 ? 0 : stats.totalLatency / stats.requests;
    const min = stats.requests === 0 ? 0 : Math.round(stats.minLatency);
    return (
      `Zookeeper version: ${HERD_VERSION}, built on herd\n` +
      `Latency min/avg/max: ${min}/${avg.toFixed(4)}/${Math.round(stats.maxLatency)}\n` +
      `Received: ${stats.received}\n` +
      `Sent: ${stats.sent}\n` +
      `Connections: ${s.connectionCount}\n` +
      `Outstanding: 0\n` +
      `Zxid: 0x${s.tree.lastZxid.toString(16)}\n` +
      `Mode: standalone\n` +
      `Node count: ${s.tree.nodeCount}\n`
    );
  }

  private stat(_conn: ServerConnection): string {
    const lines = [`Zookeeper version: ${HERD_VERSION}, built on herd`, 'Clients:'];
    for (const c of this.server.allConnections()) {
      lines.push(` /${c.remoteAddress}:${c.remotePort}[1](queued=0,recved=${c.received},sent=${c.sent})`);
    }
    lines.push('');
    return lines.join('\n') + '\n' + this.srvr().split('\n').slice(1).join('\n');
  }
}
