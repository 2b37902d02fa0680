import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '../../../src/client/index.js';
import { startServer, type ServerHandle } from '../../../src/server/server.js';
import { requireTool } from '../../support/interop.js';
import { freePort } from '../../support/ports.js';
import { JAVA_LIB_DIR, startZooKeeper, zookeeperAvailable, type ZooKeeperServer } from '../../support/zookeeper.js';
import { fourLetterWord, lines, makeTraffic, parseMntr, rawWord, stmkBytes, MNTR_KEYS } from './support.js';

/**
 * Herd's four-letter words and AdminServer JSON have the same shape as real
 * ZooKeeper 3.8's after the same traffic: the same lines with the same
 * structure once values are masked (numbers, hex ids, addresses, dates,
 * paths, the version), the same mntr keys and value kinds, the same JSON
 * keys and value types. Values themselves differ and are not compared.
 */

/** Masks the values of a 4lw line, keeping its structure. */
function shape(line: string): string {
  return line
    .replace(/^(Zookeeper version: |zk_version\t|zookeeper\.version=).*/, '$1VERSION')
    .replace(/^(dataDir|dataLogDir)=.*/, '$1=PATH')
    .replace(/\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} \w+ \d{4}/g, 'DATE')
    .replace(/\/?\d+\.\d+\.\d+\.\d+:\d+/g, 'ADDR')
    .replace(/0x[0-9a-f]+/g, 'HEX')
    .replace(/-?\d+\.\d+(E-?\d+)?/g, 'D')
    .replace(/-?\d+/g, 'N');
}

function shapes(text: string): string[] {
  return lines(text).map(shape);
}

/** int, double (as Java prints it) or text: what a monitoring script must parse. */
function kind(value: string): string {
  if (/^-?\d+$/.test(value)) return 'int';
  if (/^-?\d+\.\d+(E-?\d+)?$/.test(value)) return 'double';
  return 'text';
}

function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Keys of `expected` missing from `actual`, and common keys whose value types differ, one level down into objects and first array items. */
function jsonDifferences(expected: Record<string, unknown>, actual: Record<string, unknown>, path = ''): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(expected)) {
    const where = `${path}${key}`;
    if (!(key in actual)) {
      out.push(`${where} missing`);
      continue;
    }
    const other = actual[key];
    if (jsonType(value) !== jsonType(other)) {
      out.push(`${where}: ${jsonType(value)} in ZooKeeper, ${jsonType(other)} in Herd`);
      continue;
    }
    if (path === '' && jsonType(value) === 'object' && !/^(session_id_to|path_to|expiry_time_to)/.test(key)) {
      out.push(...jsonDifferences(value as Record<string, unknown>, other as Record<string, unknown>, `${where}.`));
    }
    if (path === '' && Array.isArray(value) && Array.isArray(other) && jsonType(value[0]) === 'object' && jsonType(other[0]) === 'object') {
      out.push(...jsonDifferences(value[0] as Record<string, unknown>, other[0] as Record<string, unknown>, `${where}[0].`));
    }
  }
  return out;
}

/** ZooKeeper's AdminServer needs javax.servlet, which the Debian jar's manifest leaves out. */
const SERVLET_JAR = join(JAVA_LIB_DIR, 'servlet-api.jar');

const WORDS = ['ruok', 'isro', 'srvr', 'stat', 'mntr', 'cons', 'conf', 'envi', 'dirs', 'wchs', 'wchc', 'wchp', 'dump'];


describe('admin output shape matches ZooKeeper 3.8', { skip: !zookeeperAvailable() && !process.env.CI }, () => {
  let dir: string;
  let herd: ServerHandle;
  let zk: ZooKeeperServer;
  let zkAdminPort = 0;
  let herdClient: Client;
  let zkClient: Client;
  const answers = { herd: new Map<string, string>(), zk: new Map<string, string>() };
  const json = { herd: new Map<string, Record<string, unknown>>(), zk: new Map<string, Record<string, unknown>>() };
  const adminOnZk = existsSync(SERVLET_JAR);

  before(async () => {
    if (!requireTool(undefined, zookeeperAvailable(), 'ZooKeeper 3.8 (Debian zookeeper package) and Java')) return;
    dir = await mkdtemp(join(tmpdir(), 'herd-shape-'));
    zkAdminPort = await freePort();
    [herd, zk] = await Promise.all([
      startServer({ host: '127.0.0.1', port: 0, adminPort: 0, dataDir: dir, logLevel: 'silent', fourLetterWords: '*' }),
      startZooKeeper({
        fourLetterWords: '*',
        ...(adminOnZk
          ? {
              jvmArgs: [`-Xbootclasspath/a:${SERVLET_JAR}`],
              extraConfig: { 'admin.enableServer': true, 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': zkAdminPort },
            }
          : {}),
      }),
    ]);
    [herdClient, zkClient] = await Promise.all([makeTraffic(herd.connectionString), makeTraffic(zk.connectionString)]);
    for (const word of WORDS) {
      answers.herd.set(word, await fourLetterWord('127.0.0.1', herd.port, word));
      answers.zk.set(word, await fourLetterWord(zk.host, zk.port, word));
    }
    const names = ['ruok', 'server_stats', 'stats', 'monitor', 'connections', 'configuration', 'environment', 'dirs', 'watch_summary', 'watches', 'watches_by_path', 'dump', 'is_read_only', 'get_trace_mask', 'hash', 'nosuch'];
    for (const name of names) {
      json.herd.set(name, (await (await fetch(`http://127.0.0.1:${herd.adminPort!}/commands/${name}`)).json()) as Record<string, unknown>);
      if (adminOnZk) json.zk.set(name, (await (await fetch(`http://127.0.0.1:${zkAdminPort}/commands/${name}`)).json()) as Record<string, unknown>);
    }
    // Trace mask round trip, and the digest log (empty on both: Herd computes no digests, and ZooKeeper logs one every 128 zxids).
    for (const [name, port] of [['herd', herd.port], ['zk', zk.port]] as const) {
      answers[name].set('gtmk', await fourLetterWord('127.0.0.1', port, 'gtmk'));
      answers[name].set('stmk', await rawWord(port, [stmkBytes(0x3ffn)]));
      answers[name].set('gtmk after stmk', await fourLetterWord('127.0.0.1', port, 'gtmk'));
      answers[name].set('stmk back', await rawWord(port, [stmkBytes(306n)]));
      answers[name].set('hash', await fourLetterWord('127.0.0.1', port, 'hash'));
      // telnet's close sequence: known, no command; with '*' the connection is just closed.
      answers[name].set('telnet close', await rawWord(port, [Buffer.from([0xff, 0xf4, 0xff, 0xfd])]));
    }
    // The resets last: they change the counters above.
    for (const word of ['crst', 'srst']) {
      answers.herd.set(word, await fourLetterWord('127.0.0.1', herd.port, word));
      answers.zk.set(word, await fourLetterWord(zk.host, zk.port, word));
    }
  });

  after(async () => {
    await herdClient?.close();
    await zkClient?.close();
    await herd?.close();
    await zk?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const word of ['ruok', 'isro', 'crst', 'srst', 'gtmk', 'stmk', 'gtmk after stmk', 'stmk back', 'hash', 'telnet close']) {
    it(`${word}: the same text`, (t) => {
      if (!zk) return t.skip('ZooKeeper not available');
      assert.equal(answers.herd.get(word), answers.zk.get(word));
    });
  }

  for (const word of ['srvr', 'conf', 'dirs', 'wchs']) {
    it(`${word}: the same lines once values are masked`, (t) => {
      if (!zk) return t.skip('ZooKeeper not available');
      assert.deepEqual(shapes(answers.herd.get(word)!), shapes(answers.zk.get(word)!));
      assert.equal(answers.herd.get(word)!.endsWith('\n'), answers.zk.get(word)!.endsWith('\n'));
    });
  }

  // A connection that asked an earlier word may still be closing on either server: compare distinct lines.
  for (const word of ['stat', 'cons']) {
    it(`${word}: the same kinds of lines once values are masked`, (t) => {
      if (!zk) return t.skip('ZooKeeper not available');
      const distinct = (text: string) => [...new Set(shapes(text))].sort();
      assert.deepEqual(distinct(answers.herd.get(word)!), distinct(answers.zk.get(word)!));
      assert.equal(lines(answers.herd.get(word)!).at(-1) === '', lines(answers.zk.get(word)!).at(-1) === '', 'ends with a blank line in both or neither');
    });
  }

  for (const word of ['wchc', 'wchp']) {
    it(`${word}: the same lines once values are masked (in any order)`, (t) => {
      if (!zk) return t.skip('ZooKeeper not available');
      const h = answers.herd.get(word)!;
      const z = answers.zk.get(word)!;
      assert.deepEqual(shapes(h).sort(), shapes(z).sort());
      assert.deepEqual(lines(h).filter((l) => l.startsWith('\t/') || l.startsWith('/')).sort(), lines(z).filter((l) => l.startsWith('\t/') || l.startsWith('/')).sort(), 'same paths');
    });
  }

  it('dump: the same sections, every line shaped as one of ZooKeeper’s', (t) => {
    if (!zk) return t.skip('ZooKeeper not available');
    const h = shapes(answers.herd.get('dump')!);
    const z = shapes(answers.zk.get('dump')!);
    const headers = (l: string[]) => l.filter((x) => /dump:$|^Sessions with Ephemerals/.test(x));
    assert.deepEqual(headers(h), headers(z));
    const known = new Set(z);
    for (const line of h) assert.ok(known.has(line), `${JSON.stringify(line)} not among ZooKeeper's:\n${z.join('\n')}`);
    assert.ok(h.includes('\t/admin-e') && z.includes('\t/admin-e'));
  });

  it('mntr: every Herd key is a ZooKeeper key with the same kind of value; the monitored keys are in both', (t) => {
    if (!zk) return t.skip('ZooKeeper not available');
    const h = parseMntr(answers.herd.get('mntr')!);
    const z = parseMntr(answers.zk.get('mntr')!);
    for (const key of MNTR_KEYS) {
      assert.ok(h.has(key), `Herd lacks zk_${key}`);
      assert.ok(z.has(key), `ZooKeeper lacks zk_${key}`);
    }
    for (const [key, value] of h) {
      assert.ok(z.has(key), `zk_${key} is not a ZooKeeper 3.8 key`);
      assert.equal(kind(value), kind(z.get(key)!), `zk_${key}: Herd ${value}, ZooKeeper ${z.get(key)}`);
    }
    // Same traffic, same counts where the two servers count the same things.
    for (const key of ['znode_count', 'ephemerals_count', 'watch_count', 'server_state', 'global_sessions']) {
      assert.equal(h.get(key), z.get(key), `zk_${key}`);
    }
  });

  it('envi: "Environment:" then key=value lines, with ZooKeeper’s non-JVM keys', (t) => {
    if (!zk) return t.skip('ZooKeeper not available');
    const h = lines(answers.herd.get('envi')!);
    const z = lines(answers.zk.get('envi')!);
    assert.equal(h[0], z[0]);
    const keys = (l: string[]) => l.slice(1).map((x) => x.slice(0, x.indexOf('=')));
    const herdKeys = new Set(keys(h));
    for (const key of keys(z).filter((k) => !k.startsWith('java.'))) assert.ok(herdKeys.has(key), `${key} missing`);
  });

  it('AdminServer JSON: ZooKeeper’s keys and value types, "command" and "error" last', (t) => {
    if (!zk) return t.skip('ZooKeeper not available');
    if (!adminOnZk) return t.skip(`${SERVLET_JAR} not installed: ZooKeeper's AdminServer cannot start`);
    for (const [name, z] of json.zk) {
      const h = json.herd.get(name)!;
      assert.equal(h.command, z.command, name);
      assert.deepEqual(Object.keys(h).slice(-2), Object.keys(z).slice(-2), name);
      if (name === 'environment') {
        const missing = Object.keys(z).filter((k) => !k.startsWith('java.') && !(k in h));
        assert.deepEqual(missing, [], name);
      } else if (name === 'monitor') {
        // Herd reports a subset of ZooKeeper's metrics (no quorum, throttling or JVM figures).
        assert.deepEqual(jsonDifferences(h, z), [], name);
        for (const key of MNTR_KEYS) assert.ok(key in h && key in z, key);
      } else {
        assert.deepEqual(jsonDifferences(z, h), [], name);
      }
    }
  });
});
