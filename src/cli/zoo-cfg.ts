/**
 * ZooKeeper's zoo.cfg for `herd server --config`: the file format (a Java
 * .properties file, as QuorumPeerConfig loads it) and its keys, mapped onto
 * the server's settings.
 *
 * A key ZooKeeper sets as a system property from zoo.cfg is written without
 * its `zookeeper.` prefix (`4lw.commands.whitelist`,
 * `DigestAuthenticationProvider.superDigest`, `ssl.keyStore.location`), as in
 * ZooKeeper. Keys that only configure an ensemble are collected into one
 * warning (Herd is standalone); every other key Herd has no setting for gets
 * a warning of its own saying why; a value that does not parse is an error
 * naming the file, the line and the key. docs/server-admin.md lists every key.
 */
import { readFileSync } from 'node:fs';
import type { ClientAuthMode } from '../server/options.js';
import { superDigestProblem, type ServerSettings, type SettingOrigins } from './server-settings.js';

/** One `key=value` of a properties file, with the line it starts on (1-based). */
export interface PropertyEntry {
  key: string;
  value: string;
  line: number;
}

/** Something in the config Herd does not apply; `line` is absent for a warning about several lines. */
export interface ZooCfgWarning {
  line?: number;
  key?: string;
  message: string;
}

/** A zoo.cfg read and mapped: the settings it gives, where each came from, and what was ignored. */
export interface ZooCfg {
  settings: ServerSettings;
  origins: SettingOrigins;
  warnings: ZooCfgWarning[];
}

/**
 * Splits a Java .properties text into entries, as java.util.Properties.load:
 * `#` and `!` comment lines, `key=value`, `key: value` or `key value`, a
 * trailing backslash continues the line, and the escapes `\t \n \r \f \uXXXX`
 * (any other escaped character stands for itself). Values are trimmed, as
 * QuorumPeerConfig trims them. Later duplicates are kept: the caller decides.
 */
export function parseProperties(text: string): PropertyEntry[] {
  const lines = text.split(/\r\n|\r|\n/);
  const entries: PropertyEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let logical = lines[i]!.replace(/^[ \t\f]+/, '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    // An odd number of trailing backslashes joins the next line, without its leading blanks.
    while (/(^|[^\\])(\\\\)*\\$/.test(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, '');
    }
    if (/(^|[^\\])(\\\\)*\\$/.test(logical)) logical = logical.slice(0, -1);
    const keyEnd = /(?:^|[^\\])(?:\\\\)*([=: \t\f])/.exec(logical);
    let key = logical;
    let rest = '';
    if (keyEnd !== null) {
      const sep = keyEnd.index + keyEnd[0].length - 1;
      key = logical.slice(0, sep);
      rest = logical.slice(sep).replace(/^[ \t\f]*[=:]?[ \t\f]*/, '');
    }
    entries.push({ key: unescape(key).trim(), value: unescape(rest).trim(), line: start + 1 });
  }
  return entries;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[c] ?? c;
  });
}

/** A value that does not parse: the message names the key; the caller adds file and line. */
class BadValue extends Error {}

const JAVA_INT_MAX = 2 ** 31 - 1;

/** An integer as Java's Integer.parseInt reads it, within [min, max]. */
function int(min: number, max = JAVA_INT_MAX): (value: string) => number {
  return (value) => {
    const n = /^[+-]?\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new BadValue(`must be an integer from ${min} to ${max}, got '${value}'`);
    return n;
  };
}

/** An integer as Java's Integer.decode reads it (jute.maxbuffer is read that way): decimal, 0x hex or 0 octal. */
function decodedInt(min: number): (value: string) => number {
  return (value) => {
    const m = /^(0[xX]|#)([0-9a-fA-F]+)$|^(0[0-7]+)$|^(\d+)$/.exec(value);
    const n = m === null ? NaN : m[2] !== undefined ? parseInt(m[2], 16) : m[3] !== undefined ? parseInt(m[3], 8) : Number(m[4]);
    if (!Number.isSafeInteger(n) || n < min || n > JAVA_INT_MAX) throw new BadValue(`must be an integer from ${min} to ${JAVA_INT_MAX} (decimal or 0x hex), got '${value}'`);
    return n;
  };
}

const port = int(1, 65535);

function bool(value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true' || v === 'false') return v === 'true';
  throw new BadValue(`must be true or false, got '${value}'`);
}

function nonEmpty(value: string): string {
  if (value === '') throw new BadValue('must not be empty');
  return value;
}

/** ZooKeeper's PEM key and trust stores are the only kind Herd reads (it has no JVM to open JKS or PKCS12). */
function pemStoreType(value: string): string {
  if (value.toUpperCase() !== 'PEM') throw new BadValue(`must be PEM: Herd reads PEM files only (convert a ${value} store with openssl or keytool), got '${value}'`);
  return value;
}

function pemStoreFile(value: string): string {
  if (/\.(jks|p12|pfx|bcfks)$/i.test(value)) throw new BadValue(`must be a PEM file: Herd cannot read a JKS or PKCS12 store (convert it with openssl), got '${value}'`);
  return nonEmpty(value);
}

function clientAuth(value: string): ClientAuthMode {
  const v = value.toLowerCase();
  if (v === 'none' || v === 'want' || v === 'need') return v;
  throw new BadValue(`must be none, want or need, got '${value}'`);
}

/** A zoo.cfg key Herd applies: the settings it sets from its parsed value. */
type Mapping = (value: string) => ServerSettings;

/** The keys with a Herd setting. */
const MAPPED: Record<string, Mapping> = {
  clientPort: (v) => ({ port: port(v) }),
  clientPortAddress: (v) => ({ host: nonEmpty(v) }),
  secureClientPort: (v) => ({ securePort: port(v) }),
  dataDir: (v) => ({ dataDir: nonEmpty(v) }),
  tickTime: (v) => ({ tickTime: int(1)(v) }),
  // -1 is ZooKeeper's "derive from tickTime", which is also herd's default.
  minSessionTimeout: (v) => (int(-1)(v) === -1 ? {} : { minSessionTimeout: int(0)(v) }),
  maxSessionTimeout: (v) => (int(-1)(v) === -1 ? {} : { maxSessionTimeout: int(0)(v) }),
  maxClientCnxns: (v) => ({ maxClientConnections: int(0)(v) }),
  globalOutstandingLimit: (v) => ({ maxOutstandingRequests: int(1)(v) }),
  snapCount: (v) => ({ snapCount: int(2)(v) }),
  'autopurge.snapRetainCount': (v) => ({ snapRetainCount: int(-JAVA_INT_MAX)(v) }),
  // ZooKeeper's preAllocSize is in KiB.
  preAllocSize: (v) => ({ preallocateBytes: int(1, Math.floor(JAVA_INT_MAX / 1024))(v) * 1024 }),
  forceSync: (v) => {
    if (v !== 'yes' && v !== 'no') throw new BadValue(`must be yes or no, got '${v}'`);
    return { forceSync: v === 'yes' };
  },
  '4lw.commands.whitelist': (v) => ({ fourLetterWords: v }),
  'admin.serverAddress': (v) => ({ adminHost: nonEmpty(v) }),
  'ssl.keyStore.location': (v) => ({ tlsKeyFile: pemStoreFile(v), tlsCertFile: pemStoreFile(v) }),
  'ssl.trustStore.location': (v) => ({ tlsCaFile: pemStoreFile(v) }),
  'ssl.clientAuth': (v) => ({ tlsClientAuth: clientAuth(v) }),
  'X509AuthenticationProvider.superUser': (v) => ({ tlsSuperUser: nonEmpty(v) }),
  'DigestAuthenticationProvider.superDigest': (v) => {
    const problem = superDigestProblem(v);
    if (problem !== undefined) throw new BadValue(problem);
    return { superDigest: v };
  },
  extendedTypesEnabled: (v) => ({ extendedTypes: bool(v) }),
  'jute.maxbuffer': (v) => ({ maxFrameSize: decodedInt(1)(v) }),
};

/** Keys read together with others (admin.*), or checked but not applied: their value must parse; {@link readZooCfg} handles them. */
const CHECKED: Record<string, (value: string) => unknown> = {
  'admin.enableServer': bool,
  'admin.serverPort': port,
  'autopurge.purgeInterval': int(0),
  dataLogDir: nonEmpty,
  secureClientPortAddress: nonEmpty,
  'ssl.keyStore.type': pemStoreType,
  'ssl.trustStore.type': pemStoreType,
};

/** Keys of an ensemble (QuorumPeerConfig and the quorum's system properties): one warning for all of them. */
const ENSEMBLE_KEYS = new Set([
  'initLimit', 'syncLimit', 'connectToLearnerMasterLimit', 'electionAlg', 'electionPortBindRetry', 'quorumListenOnAllIPs',
  'peerType', 'syncEnabled', 'dynamicConfigFile', 'standaloneEnabled', 'reconfigEnabled', 'sslQuorum', 'sslQuorumReloadCertFiles',
  'portUnification', 'observerMasterPort', 'localSessionsEnabled', 'localSessionsUpgradingEnabled', 'oraclePath', 'leaderServes',
  'cnxTimeout', 'quorumCnxnTimeoutMs', 'tcpKeepAlive', 'observer.reconnectDelayMs', 'observer.election.DelayMs',
]);
const ENSEMBLE_PREFIXES = ['server.', 'group.', 'weight.', 'quorum.', 'ssl.quorum.', 'multiAddress.', 'learner.', 'leader.', 'follower.'];

/** Keys ZooKeeper knows that Herd does not apply, and why. */
const IGNORED: Record<string, string> = {
  clientPortListenBacklog: 'Herd uses the system default listen backlog',
  maxCnxns: 'Herd limits connections per client IP (maxClientCnxns), not in total',
  serverCnxnFactory: 'a Java class; Herd has one connection layer, TLS included',
  skipACL: 'Herd always checks ACLs (a super digest recovers a locked-out tree)',
  'admin.commandURL': 'the admin server serves /commands',
  'admin.idleTimeout': 'no setting for it',
  'admin.portUnification': 'the admin server speaks plain HTTP only',
  'admin.forceHttps': 'the admin server speaks plain HTTP only',
  'ssl.keyStore.password': 'the PEM key must be unencrypted (no setting for a passphrase)',
  'ssl.trustStore.password': 'a PEM trust store needs no password',
  'ssl.protocol': "Node's TLS defaults apply (TLS 1.2 and 1.3)",
  'ssl.enabledProtocols': "Node's TLS defaults apply (TLS 1.2 and 1.3)",
  'ssl.ciphersuites': "Node's default cipher list applies",
  'ssl.hostnameVerification': 'the server does not verify client host names',
  'ssl.crl': 'no revocation checking',
  'ssl.ocsp': 'no revocation checking',
  'ssl.handshakeDetectionTimeoutMillis': 'no setting for it',
  'ssl.authProvider': 'a verified client certificate always authenticates as x509',
  'ssl.context.supplier.class': 'a Java class',
  'client.portUnification': 'plain and TLS clients use separate ports',
  'fsync.warningthresholdms': 'no setting for it',
  snapSizeLimitInKb: 'Herd snapshots by snapCount only',
  txnLogSizeLimitInKb: 'no setting for it',
  'snapshot.trust.empty': 'Herd recovers from its own data directory format',
  'snapshot.compression.method': 'Herd writes its own snapshot format',
  'digest.enabled': 'Herd does not compute tree digests',
  'audit.enable': 'Herd has no audit log',
  'jvm.pause.info-threshold.ms': 'there is no JVM',
  'jvm.pause.warn-threshold.ms': 'there is no JVM',
  'jvm.pause.sleep.time.ms': 'there is no JVM',
  'jvm.pause.monitor': 'there is no JVM',
  'metricsProvider.className': 'Herd serves Prometheus metrics at the admin server /metrics',
};
const IGNORED_PREFIXES: [string, string][] = [
  ['metricsProvider.', 'Herd serves Prometheus metrics at the admin server /metrics'],
  ['authProvider.', 'digest, ip and x509 are built in; no other provider can be loaded'],
];

/**
 * Reads a zoo.cfg file and maps it onto herd server's settings.
 *
 * @throws Error `cannot read config file <path>: <code>` when it cannot be read
 * @throws Error `<path>:<line>: <key> <problem>` for a value that does not parse
 */
export function readZooCfg(path: string): ZooCfg {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read config file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`);
  }
  return mapZooCfg(parseProperties(text), path);
}

/**
 * Maps the entries of a zoo.cfg (see {@link parseProperties}) onto herd
 * server's settings. `file` names the file in origins, warnings and errors.
 *
 * @throws Error `<file>:<line>: <key> <problem>` for a value that does not parse
 */
export function mapZooCfg(all: readonly PropertyEntry[], file: string): ZooCfg {
  const warnings: ZooCfgWarning[] = [];
  const last = new Map<string, PropertyEntry>();
  for (const entry of all) {
    const earlier = last.get(entry.key);
    if (earlier !== undefined) warnings.push({ line: entry.line, key: entry.key, message: `${entry.key} is set again (first on line ${earlier.line}); the last value wins, as in ZooKeeper` });
    last.set(entry.key, entry);
  }
  const entries = [...last.values()].sort((a, b) => a.line - b.line);
  const settings: ServerSettings = {};
  const origins: SettingOrigins = {};
  const ensemble: PropertyEntry[] = [];
  const checked = new Map<string, unknown>();
  const parse = <T>(entry: PropertyEntry, fn: (value: string) => T): T => {
    try {
      return fn(entry.value);
    } catch (err) {
      if (err instanceof BadValue) throw new Error(`${file}:${entry.line}: ${entry.key} ${err.message}`);
      throw err;
    }
  };
  const apply = (entry: PropertyEntry, values: ServerSettings): void => {
    Object.assign(settings, values);
    for (const name of Object.keys(values) as (keyof ServerSettings)[]) origins[name] = `${file}:${entry.line} (${entry.key})`;
  };
  for (const entry of entries) {
    const { key } = entry;
    const mapping = MAPPED[key];
    if (mapping !== undefined) apply(entry, parse(entry, mapping));
    else if (CHECKED[key] !== undefined) checked.set(key, parse(entry, CHECKED[key]));
    else if (ENSEMBLE_KEYS.has(key) || ENSEMBLE_PREFIXES.some((p) => key.startsWith(p))) ensemble.push(entry);
    else warnings.push({ line: entry.line, key, message: ignoredMessage(key) });
  }
  adminServer(last, checked, settings, origins, warnings, file);
  const purge = last.get('autopurge.purgeInterval');
  if (purge !== undefined) {
    warnings.push({ line: purge.line, key: purge.key, message: `${purge.key} has no Herd setting: Herd has no purge timer; it purges after every snapshot, keeping autopurge.snapRetainCount snapshots (${settings.snapRetainCount ?? 3})` });
  }
  const retain = last.get('autopurge.snapRetainCount');
  if (retain !== undefined && settings.snapRetainCount! < 3) {
    warnings.push({ line: retain.line, key: retain.key, message: `${retain.key} ${settings.snapRetainCount} is below 3; using 3, as ZooKeeper does` });
    settings.snapRetainCount = 3;
  }
  const sameAs = (key: string, value: string | undefined, what: string): void => {
    const entry = last.get(key);
    if (entry !== undefined && entry.value !== value) warnings.push({ line: entry.line, key, message: `${key} has no Herd setting: ${what}; ignored` });
  };
  sameAs('dataLogDir', settings.dataDir, `Herd keeps its transaction log and snapshots together in dataDir (${settings.dataDir ?? 'unset'})`);
  sameAs('secureClientPortAddress', settings.host, `the secure port listens on clientPortAddress (${settings.host ?? '0.0.0.0'})`);
  if (settings.minSessionTimeout !== undefined && settings.maxSessionTimeout !== undefined && settings.minSessionTimeout > settings.maxSessionTimeout) {
    const min = last.get('minSessionTimeout')!;
    throw new Error(`${file}:${min.line}: minSessionTimeout ${settings.minSessionTimeout} must not be larger than maxSessionTimeout ${settings.maxSessionTimeout} (line ${last.get('maxSessionTimeout')!.line})`);
  }
  if (ensemble.length > 0) {
    warnings.push({
      message: `${ensemble.map((e) => `${e.key} (line ${e.line})`).join(', ')} only configure${ensemble.length === 1 ? 's' : ''} a ZooKeeper ensemble: Herd runs one standalone server (an ensemble is ZooKeeper's job), so ${ensemble.length === 1 ? 'it is' : 'they are'} ignored`,
    });
  }
  return { settings, origins, warnings: warnings.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity)) };
}

/**
 * ZooKeeper's admin server is on (port 8080) unless admin.enableServer=false;
 * Herd's is off unless asked for, so it is on here when the file enables it or
 * names its port (an admin server nobody configured would open a port without
 * auth on every Herd the file reaches).
 */
function adminServer(
  last: ReadonlyMap<string, PropertyEntry>,
  checked: ReadonlyMap<string, unknown>,
  settings: ServerSettings,
  origins: SettingOrigins,
  warnings: ZooCfgWarning[],
  file: string,
): void {
  const enable = last.get('admin.enableServer');
  const port = last.get('admin.serverPort');
  if (enable !== undefined && checked.get('admin.enableServer') === false) {
    if (port !== undefined) warnings.push({ line: port.line, key: port.key, message: `${port.key} is ignored: admin.enableServer is false (line ${enable.line})` });
    delete settings.adminHost;
    delete origins.adminHost;
    return;
  }
  if (enable === undefined && port === undefined) return;
  settings.adminPort = port !== undefined ? (checked.get('admin.serverPort') as number) : 8080;
  const from = port ?? enable!;
  origins.adminPort = `${file}:${from.line} (${from.key})`;
}

function ignoredMessage(key: string): string {
  const reason = IGNORED[key] ?? IGNORED_PREFIXES.find(([p]) => key.startsWith(p))?.[1];
  if (reason !== undefined) return `${key} has no Herd setting (${reason}); ignored`;
  if (key.startsWith('zookeeper.')) {
    return `unknown key ${key}: ignored (in zoo.cfg, system properties are written without "zookeeper.": try ${key.slice('zookeeper.'.length)})`;
  }
  return `unknown key ${key}: ignored`;
}
