/**
 * The settings of `herd server`, wherever they come from (flags, a
 * zoo.cfg), before they become the server's options: typed and checked, with
 * file paths not yet read, and for each one where it was set, so an error
 * can name the flag or the config line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Buffer } from 'node:buffer';
import type { LogLevel } from '../server/logger.js';
import type { ClientAuthMode, ServerOptions, TlsOptions } from '../server/options.js';

/** Everything `herd server` can be told, by a flag or a config key. Absent means herd's default. */
export interface ServerSettings {
  port?: number;
  host?: string;
  dataDir?: string;
  tickTime?: number;
  minSessionTimeout?: number;
  maxSessionTimeout?: number;
  maxClientConnections?: number;
  maxOutstandingRequests?: number;
  maxFrameSize?: number;
  maxSendBuffer?: number;
  snapCount?: number;
  snapRetainCount?: number;
  preallocateBytes?: number;
  forceSync?: boolean;
  fourLetterWords?: string;
  adminPort?: number;
  adminHost?: string;
  securePort?: number;
  /** PEM file holding the private key (a ZooKeeper PEM key store holds key and chain in one file). */
  tlsKeyFile?: string;
  /** PEM file holding the certificate chain. */
  tlsCertFile?: string;
  /** PEM file of CA certificates that client certificates must chain to. */
  tlsCaFile?: string;
  tlsClientAuth?: ClientAuthMode;
  tlsSuperUser?: string;
  extendedTypes?: boolean;
  superDigest?: string;
  logLevel?: LogLevel;
}

/** For each setting, where it was set: `--tls-key`, or `zoo.cfg:12 (ssl.keyStore.location)`. */
export type SettingOrigins = Partial<Record<keyof ServerSettings, string>>;

/** The data directory when none is given. */
export const DEFAULT_DATA_DIR = './herd-data';

/**
 * Why `text` is not a super digest (`user:base64 of a 20-byte SHA-1`, as
 * ZooKeeper's DigestAuthenticationProvider.generateDigest prints it), or
 * undefined when it is one.
 */
export function superDigestProblem(text: string): string | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return `must be user:base64-sha1 (as "java org.apache.zookeeper.server.auth.DigestAuthenticationProvider user:password" prints it), got '${text}'`;
  const hash = text.slice(colon + 1);
  if (!/^[A-Za-z0-9+/]{27}=$/.test(hash) || Buffer.from(hash, 'base64').length !== 20) {
    return `must end in the base64 of a 20-byte SHA-1 (28 characters), got '${hash}'`;
  }
  return undefined;
}

/**
 * Settings of `over` win over those of `base`, one setting at a time (flags
 * over the config file), and so do their origins.
 */
export function mergeSettings(
  base: { settings: ServerSettings; origins: SettingOrigins },
  over: { settings: ServerSettings; origins: SettingOrigins },
): { settings: ServerSettings; origins: SettingOrigins } {
  return { settings: { ...base.settings, ...over.settings }, origins: { ...base.origins, ...over.origins } };
}

/**
 * The server's options: herd's defaults where a setting is absent, TLS files
 * read now so a missing one fails before the server starts.
 *
 * @throws Error naming the setting's origin when the data directory is
 *   ZooKeeper's, the secure port lacks a key or certificate, or a TLS file
 *   cannot be read
 */
export function toServerOptions(settings: ServerSettings, origins: SettingOrigins): ServerOptions {
  const { tlsKeyFile, tlsCertFile, tlsCaFile, tlsClientAuth, tlsSuperUser, securePort, port, host, dataDir, ...rest } = settings;
  const dir = dataDir ?? DEFAULT_DATA_DIR;
  refuseZooKeeperDataDir(dir, origins.dataDir);
  const options: ServerOptions = { ...rest, port: port ?? 2181, host: host ?? '0.0.0.0', dataDir: dir };
  if (securePort === undefined) {
    const stray = tlsKeyFile !== undefined ? 'tlsKeyFile' : tlsCertFile !== undefined ? 'tlsCertFile' : undefined;
    if (stray !== undefined) throw new Error(`${origins[stray]} needs a secure port (--secure-port or secureClientPort)`);
    return options;
  }
  if (tlsKeyFile === undefined || tlsCertFile === undefined) {
    throw new Error(`${origins.securePort ?? '--secure-port'} needs a key and certificate: --tls-key and --tls-cert, or ssl.keyStore.location (PEM) in the config`);
  }
  const read = (key: 'tlsKeyFile' | 'tlsCertFile' | 'tlsCaFile', path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${origins[key] ?? key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  };
  const tls: TlsOptions = {
    key: read('tlsKeyFile', tlsKeyFile),
    cert: read('tlsCertFile', tlsCertFile),
    ...(tlsCaFile !== undefined ? { ca: read('tlsCaFile', tlsCaFile) } : {}),
    clientAuth: tlsClientAuth ?? 'need',
    ...(tlsSuperUser !== undefined ? { superUser: tlsSuperUser } : {}),
  };
  return { ...options, securePort, tls };
}

/**
 * A zoo.cfg brought over as it is points dataDir at ZooKeeper's data
 * (`version-2/` holds its logs and snapshots). Herd keeps its own files at
 * the top of its data directory, so it would start an empty tree there and
 * leave the operator's data unseen: refuse, before anything is written.
 */
function refuseZooKeeperDataDir(dir: string, origin: string | undefined): void {
  if (!existsSync(join(dir, 'version-2'))) return;
  throw new Error(
    `${origin ?? 'the data directory'}: ${resolve(dir)} is a ZooKeeper data directory (it has version-2/). ` +
      "Herd cannot serve ZooKeeper's files and would start an empty tree beside them: give Herd a directory of its own (--data-dir)",
  );
}
