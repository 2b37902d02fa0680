/**
 * Semantic versions (semver 2.0.0) as the cluster's version policy needs
 * them: parse, and compare by precedence. Build metadata (`+...`) is parsed
 * and ignored for precedence, as the specification says; a prerelease
 * (`-rc.1`) ranks below its release, and prerelease identifiers compare
 * numerically when both are numeric, as text otherwise, numeric below text,
 * and a shorter list below a longer one with the same start.
 */
import { InvalidVersionError } from './errors.js';

/** A parsed semantic version. */
export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Prerelease identifiers (`1.0.0-rc.1` → ['rc', '1']); empty for a release. */
  readonly prerelease: readonly string[];
  /** Build metadata identifiers; never affect precedence. */
  readonly build: readonly string[];
}

// The specification's grammar: no leading zeros in numeric parts, identifiers of [0-9A-Za-z-].
const NUM = '0|[1-9]\\d*';
const PRE_ID = `(?:${NUM}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
const BUILD_ID = '[0-9A-Za-z-]+';
const SEMVER = new RegExp(`^(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+(${BUILD_ID}(?:\\.${BUILD_ID})*))?$`);

/** Parses `text` as a semantic version; throws {@link InvalidVersionError} when it is not one. */
export function parseVersion(text: string): SemVer {
  const m = typeof text === 'string' ? SEMVER.exec(text) : null;
  if (m === null) throw new InvalidVersionError(`not a semantic version: ${JSON.stringify(text)}`);
  const part = (s: string): number => {
    const n = Number(s);
    if (!Number.isSafeInteger(n)) throw new InvalidVersionError(`version part too large: ${JSON.stringify(text)}`);
    return n;
  };
  return {
    major: part(m[1]!),
    minor: part(m[2]!),
    patch: part(m[3]!),
    prerelease: m[4] === undefined ? [] : m[4].split('.'),
    build: m[5] === undefined ? [] : m[5].split('.'),
  };
}

/** True when `text` is a semantic version. */
export function isValidVersion(text: string): boolean {
  try {
    parseVersion(text);
    return true;
  } catch {
    return false;
  }
}

const DIGITS = /^\d+$/;

function compareIdentifiers(a: string, b: string): number {
  const an = DIGITS.test(a);
  const bn = DIGITS.test(b);
  if (an && bn) return Math.sign(Number(a) - Number(b));
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compares two versions by semver precedence: negative when `a` ranks
 * below `b`, 0 when equal (build metadata ignored), positive above.
 * Accepts parsed versions or text (throws {@link InvalidVersionError}).
 */
export function compareVersions(a: SemVer | string, b: SemVer | string): number {
  const x = typeof a === 'string' ? parseVersion(a) : a;
  const y = typeof b === 'string' ? parseVersion(b) : b;
  for (const k of ['major', 'minor', 'patch'] as const) {
    if (x[k] !== y[k]) return Math.sign(x[k] - y[k]);
  }
  // A release outranks any prerelease of the same core version.
  if (x.prerelease.length === 0 || y.prerelease.length === 0) return Math.sign(y.prerelease.length - x.prerelease.length);
  const n = Math.min(x.prerelease.length, y.prerelease.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifiers(x.prerelease[i]!, y.prerelease[i]!);
    if (c !== 0) return c;
  }
  return Math.sign(x.prerelease.length - y.prerelease.length);
}
