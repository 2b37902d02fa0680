import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../../src/client/index.js';
import { startServer, type ServerHandle, serverInstance } from '../../../src/server/server.js';
import { fourLetterWord, lines, makeTraffic, parseMntr, parseSrvr, rawWord, stmkBytes, MNTR_KEYS } from './support.js';

/**
 * Every four-letter word on Herd's client port answers in ZooKeeper 3.8's
 * text format, read the way zktop and monitoring scripts read it; the
 * whitelist refuses with ZooKeeper's text. (zookeeper-shape.test.ts
 * compares the same answers with a real ZooKeeper.)
 */

const VERSION_LINE = /^Zookeeper version: 3\.8\.\d+-herd, built on herd$/;
const BRIEF_CLIENT = /^ \/127\.0\.0\.1:\d+\[[01]\]\(queued=\d+,recved=\d+,sent=\d+\)$/;
const FULL_CLIENT =
  /^ \/127\.0\.0\.1:\d+\[1\]\(queued=\d+,recved=(\d+),sent=(\d+),sid=0x[0-9a-f]+,lop=[A-Z]+,est=\d+,to=\d+,lcxid=0x[0-9a-f]+,lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+\)$/;

function checkStatsTail(tail: string[]): void {
  assert.match(tail[0]!, /^Latency min\/avg\/max: \d+\/\d+\.\d+\/\d+$/);
  assert.match(tail[1]!, /^Received: \d+$/);
  assert.match(tail[2]!, /^Sent: \d+$/);
  assert.match(tail[3]!, /^Connections: \d+$/);
  assert.match(tail[4]!, /^Outstanding: \d+$/);
  assert.match(tail[5]!, /^Zxid: 0x[0-9a-f]+$/);
  assert.equal(tail[6], 'Mode: standalone');
  assert.match(tail[7]!, /^Node count: \d+$/);
  assert.equal(tail.length, 8);
}

describe('four-letter words', () => {
  let dir: string;
  let zk: ServerHandle;
  let client: Client;
  /**
   * Sends a word once the connections of earlier words are gone (the client
   * sees its socket close a moment before the server does), so the answer
   * lists just the session's connection and the asking one.
   */
  const word = async (w: string) => {
    for (let i = 0; i < 200 && serverInstance(zk).connectionCount > 1; i++) await new Promise((r) => setTimeout(r, 10));
    return fourLetterWord('127.0.0.1', zk.port, w);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herd-4lw-'));
    zk = await startServer({ host: '127.0.0.1', port: 0, dataDir: dir, logLevel: 'silent', fourLetterWords: '*' });
    client = await makeTraffic(zk.connectionString);
  });

  after(async () => {
    await client?.close();
    await zk?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ruok answers imok and isro rw, with no newline', async () => {
    assert.equal(await word('ruok'), 'imok');
    assert.equal(await word('isro'), 'rw');
  });

  it('srvr has the version, latency, counters, zxid, mode and node count lines', async () => {
    const text = await word('srvr');
    const l = lines(text);
    assert.match(l[0]!, VERSION_LINE);
    checkStatsTail(l.slice(1));
    const s = parseSrvr(text);
    assert.equal(s.get('Zxid'), `0x${serverInstance(zk).tree.lastZxid.toString(16)}`);
    assert.equal(Number(s.get('Node count')), serverInstance(zk).tree.nodeCount);
    assert.ok(Number(s.get('Received')) > 5, 'requests counted');
    assert.ok(Number(s.get('Sent')) > 5, 'replies counted');
    // The session's connection, and the one asking.
    assert.equal(s.get('Connections'), '2');
    const [min, avg, max] = s.get('Latency min/avg/max')!.split('/').map(Number);
    assert.ok(min! <= avg! && avg! <= max! + 1, `${min}/${avg}/${max}`);
  });

  it('stat lists the clients, then the srvr figures', async () => {
    const l = lines(await word('stat'));
    assert.match(l[0]!, VERSION_LINE);
    assert.equal(l[1], 'Clients:');
    const blank = l.indexOf('');
    assert.ok(blank > 2, 'a blank line ends the client list');
    const clients = l.slice(2, blank);
    assert.equal(clients.length, 2);
    for (const c of clients) assert.match(c, BRIEF_CLIENT);
    // The connection asking is listed too, with interest ops 0 and one packet (the word) received.
    assert.ok(clients.some((c) => /\[0\]\(queued=0,recved=1,sent=0\)$/.test(c)), clients.join('\n'));
    checkStatsTail(l.slice(blank + 1));
  });

  it('mntr has one zk_<key>\\t<value> line per figure, with non-zero values after traffic', async () => {
    const m = parseMntr(await word('mntr'));
    for (const key of [
      ...MNTR_KEYS,
      'global_sessions',
      'uptime',
      'avg_fsynctime',
      'cnt_readlatency',
      'p99_updatelatency',
    ]) {
      assert.ok(m.has(key), `zk_${key} missing`);
    }
    assert.match(m.get('version')!, /^3\.8\.\d+-herd/);
    assert.equal(m.get('server_state'), 'standalone');
    assert.match(m.get('avg_latency')!, /^\d+\.\d+$/, 'a double, as Java prints it');
    for (const key of ['packets_received', 'packets_sent', 'num_alive_connections', 'znode_count', 'ephemerals_count', 'global_sessions']) {
      assert.ok(Number(m.get(key)) > 0, `zk_${key} = ${m.get(key)}`);
    }
    // getData + exists are data watches, getChildren a child watch: 3 as ZooKeeper's getWatchCount counts.
    assert.equal(m.get('watch_count'), '3');
    assert.equal(m.get('ephemerals_count'), '1');
    assert.equal(Number(m.get('znode_count')), serverInstance(zk).tree.nodeCount);
    assert.ok(Number(m.get('approximate_data_size')) > 0);
    assert.ok(Number(m.get('cnt_fsynctime')) > 0, 'fsyncs measured');
    assert.ok(Number(m.get('cnt_updatelatency')) >= 3, 'writes measured');
    assert.ok(Number(m.get('cnt_readlatency')) >= 3, 'reads measured');
    for (const [key, value] of m) {
      if (key === 'version' || key === 'server_state') continue;
      assert.match(value, /^-?\d+(\.\d+)?$/, `zk_${key} is a number`);
    }
  });

  it('cons gives each connection in full, then a blank line', async () => {
    const text = await word('cons');
    assert.ok(text.endsWith(')\n\n'), JSON.stringify(text));
    const l = lines(text);
    assert.equal(l.pop(), '');
    const full = l.filter((c) => FULL_CLIENT.test(c));
    assert.equal(full.length, 1, l.join('\n'));
    assert.match(full[0]!, new RegExp(`sid=0x${client.sessionId.toString(16)},`));
    assert.match(full[0]!, /lop=GETC,/, 'the last op was getChildren');
    assert.match(full[0]!, /to=30000,/);
    // The asking connection has no session: brief form.
    assert.equal(l.filter((c) => BRIEF_CLIENT.test(c)).length, 1);
  });

  it('conf lists the settings as key=value', async () => {
    const l = lines(await word('conf'));
    assert.deepEqual(
      l.map((x) => x.slice(0, x.indexOf('='))),
      [
        'clientPort',
        'secureClientPort',
        'dataDir',
        'dataDirSize',
        'dataLogDir',
        'dataLogSize',
        'tickTime',
        'maxClientCnxns',
        'minSessionTimeout',
        'maxSessionTimeout',
        'clientPortListenBacklog',
        'serverId',
      ],
    );
    assert.ok(l.includes(`clientPort=${zk.port}`));
    assert.ok(l.includes(`dataDir=${dir}`));
    assert.ok(l.includes('tickTime=2000'));
    assert.ok(l.includes('minSessionTimeout=4000'));
    assert.ok(l.includes('maxSessionTimeout=40000'));
  });

  it('envi starts with Environment: and lists key=value', async () => {
    const l = lines(await word('envi'));
    assert.equal(l[0], 'Environment:');
    const keys = l.slice(1).map((x) => {
      assert.match(x, /^[a-z0-9.]+=/);
      return x.slice(0, x.indexOf('='));
    });
    for (const k of ['zookeeper.version', 'host.name', 'os.name', 'os.arch', 'os.version', 'user.name', 'user.home', 'user.dir', 'os.memory.free', 'os.memory.max', 'os.memory.total']) {
      assert.ok(keys.includes(k), `${k} missing`);
    }
    assert.ok(l.includes(`node.version=${process.version}`));
  });

  it('dirs gives the data and log directory sizes', async () => {
    const l = lines(await word('dirs'));
    assert.equal(l.length, 2);
    assert.match(l[0]!, /^datadir_size: [1-9]\d*$/);
    assert.match(l[1]!, /^logdir_size: [1-9]\d*$/);
  });

  it('wchs, wchc and wchp describe the data watches', async () => {
    const sid = `0x${client.sessionId.toString(16)}`;
    assert.equal(await word('wchs'), '1 connections watching 2 paths\nTotal watches:2\n');
    const wchc = await word('wchc');
    assert.ok(wchc.endsWith('\n\n'));
    const c = lines(wchc);
    assert.equal(c[0], sid);
    assert.deepEqual(c.slice(1, 3).sort(), ['\t/admin-a', '\t/admin-missing']);
    const wchp = lines(await word('wchp'));
    assert.equal(wchp.pop(), '');
    const byPath = new Map<string, string[]>();
    let current = '';
    for (const line of wchp) {
      if (line.startsWith('\t')) byPath.get(current)!.push(line.slice(1));
      else byPath.set((current = line), []);
    }
    assert.deepEqual(Object.fromEntries(byPath), { '/admin-a': [sid], '/admin-missing': [sid] });
  });

  it('dump shows sessions by expiry, ephemerals by session, and connections', async () => {
    const sid = `0x${client.sessionId.toString(16)}`;
    const l = lines(await word('dump'));
    assert.equal(l[0], 'SessionTracker dump:');
    assert.match(l[1]!, /^Session Sets \(\d+\)\/\(\d+\):$/);
    const date = String.raw`\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}`;
    assert.match(l[2]!, new RegExp(`^\\d+ expire at ${date}:$`));
    assert.ok(l.includes(`\t${sid}`));
    const eph = l.indexOf('ephemeral nodes dump:');
    assert.ok(eph > 0);
    assert.equal(l[eph + 1], 'Sessions with Ephemerals (1):');
    assert.equal(l[eph + 2], `${sid}:`);
    assert.equal(l[eph + 3], '\t/admin-e');
    const cons = l.indexOf('Connections dump:');
    assert.ok(cons > eph);
    assert.match(l[cons + 1]!, /^Connections Sets \(\d+\)\/\(2\):$/);
    assert.ok(l.some((x) => x === `\tip: /127.0.0.1:${x.split(':')[2]?.split(' ')[0]} sessionId: ${sid}`));
    assert.ok(l.some((x) => /^\tip: \/127\.0\.0\.1:\d+ sessionId: 0x0$/.test(x)), 'the asking connection');
  });

  it('crst resets connection counters and srst server counters', async () => {
    assert.equal(await word('crst'), 'Connection stats reset.\n');
    const full = lines(await word('cons')).find((c) => c.includes(',sid='))!;
    assert.match(full, /recved=0,sent=0,/);
    // As ZooKeeper: no last op, and no lcxid until the next request.
    assert.match(full, /lop=NA,est=\d+,to=30000,lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0\)$/);
    assert.equal(await word('srst'), 'Server stats reset.\n');
    const s = parseSrvr(await word('srvr'));
    // Since the reset, as in ZooKeeper: this srvr received, srst's answer sent (and perhaps one heartbeat of the session).
    const pinged = s.get('Received') !== '1';
    assert.equal(s.get('Received'), pinged ? '2' : '1');
    assert.equal(s.get('Sent'), pinged ? '2' : '1');
    if (!pinged) assert.equal(s.get('Latency min/avg/max'), '0/0.0/0');
    await client.exists('/admin-a');
    const after = parseSrvr(await word('srvr'));
    assert.ok(Number(after.get('Sent')) > Number(s.get('Sent')));
  });

  it('closes without an answer on words it does not know', async () => {
    assert.equal(await word('xyzw'), '');
    assert.equal(await word('abcd'), '');
  });

  it("gtmk prints ZooTrace's mask; stmk sets it from the 8-byte long after the word, even when that comes later", async () => {
    assert.equal(await word('gtmk'), '306', "ZooTrace's initial mask, no newline");
    assert.equal(await rawWord(zk.port, [stmkBytes(0x1ffn)]), '511');
    assert.equal(await word('gtmk'), '511');
    // The word first, the mask in two later writes: the server waits for all 8 bytes.
    const b = stmkBytes(-2n);
    assert.equal(await rawWord(zk.port, [b.subarray(0, 4), b.subarray(4, 9), b.subarray(9)]), '-2', 'a Java long prints signed');
    assert.equal(serverInstance(zk).traceMask, -2n);
    assert.equal(await rawWord(zk.port, [stmkBytes(306n)]), '306');
    assert.equal(await word('gtmk'), '306');
  });

  it('stmk without its whole mask is closed with no answer when the client closes', async () => {
    const socket = connect(zk.port, '127.0.0.1');
    const text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      socket.on('connect', () => socket.end(Buffer.from('stmk\0\0', 'latin1')));
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
    });
    assert.equal(text, '');
    assert.equal(await word('gtmk'), '306', 'mask unchanged');
  });

  it('hash prints the digest log: empty, since Herd computes no tree digests (ZooKeeper with digests disabled)', async () => {
    assert.equal(await word('hash'), '');
  });

  it('answers a client that keeps its side open (no half-close)', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(zk.port, '127.0.0.1', () => socket.write('mntr'));
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
    });
    assert.match(text, /^zk_version\t/);
  });

  it('closes a connection whose peer never closes its side, after a grace period', async () => {
    // allowHalfOpen: this client does not answer the server's FIN with its own.
    const socket = connect({ port: zk.port, host: '127.0.0.1', allowHalfOpen: true }, () => socket.write('ruok'));
    try {
      const text = await new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('error', reject);
        socket.on('end', () => resolve(Buffer.concat(chunks).toString()));
      });
      assert.equal(text, 'imok');
      assert.equal(serverInstance(zk).connectionCount, 2, 'half-open for now');
      for (let i = 0; i < 800 && serverInstance(zk).connectionCount > 1; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(serverInstance(zk).connectionCount, 1, 'only the session left');
    } finally {
      socket.destroy();
    }
  });
});

describe('four-letter word whitelist', () => {
  async function withServer(fourLetterWords: string | undefined, fn: (word: (w: string) => Promise<string>, zk: ServerHandle) => Promise<void>) {
    const zk = await startServer({ host: '127.0.0.1', port: 0, logLevel: 'silent', ...(fourLetterWords !== undefined ? { fourLetterWords } : {}) });
    try {
      await fn((w) => fourLetterWord('127.0.0.1', zk.port, w), zk);
    } finally {
      await zk.close();
    }
  }

  it("refuses words off the list with ZooKeeper's text; the default allows srvr, ruok, isro, stat and mntr", async () => {
    await withServer(undefined, async (word, zk) => {
      assert.equal(await word('ruok'), 'imok');
      assert.equal(await word('isro'), 'rw');
      assert.match(await word('srvr'), /^Zookeeper version: /);
      assert.match(await word('stat'), /^Zookeeper version: /);
      assert.match(await word('mntr'), /^zk_version\t/);
      for (const w of ['cons', 'crst', 'srst', 'conf', 'envi', 'dirs', 'wchs', 'wchc', 'wchp', 'dump', 'gtmk', 'hash']) {
        assert.equal(await word(w), `${w} is not executed because it is not in the whitelist.\n`);
      }
      // telnet's close sequence is a word ZooKeeper knows by the name "telnet close".
      assert.equal(await rawWord(zk.port, [Buffer.from([0xff, 0xf4, 0xff, 0xfd])]), 'telnet close is not executed because it is not in the whitelist.\n');
      // Refused at once, without waiting for the mask (ZooKeeper checks the list before reading it).
      assert.equal(await rawWord(zk.port, [Buffer.from('stmk')], 0, 3_000), 'stmk is not executed because it is not in the whitelist.\n');
    });
  });

  it('always allows srvr, as ZooKeeper does', async () => {
    await withServer('ruok', async (word) => {
      assert.equal(await word('ruok'), 'imok');
      assert.match(await word('srvr'), /^Zookeeper version: /);
      assert.equal(await word('mntr'), 'mntr is not executed because it is not in the whitelist.\n');
    });
  });

  it("enables everything with '*', also inside a list", async () => {
    await withServer('ruok, *', async (word, zk) => {
      // Enabled but no command: read as a (negative) frame length, and the connection is closed.
      assert.equal(await rawWord(zk.port, [Buffer.from([0xff, 0xf4, 0xff, 0xfd])]), '');
      assert.match(await word('dump'), /^SessionTracker dump:\n/);
      assert.match(await word('envi'), /^Environment:\n/);
    });
  });
});
