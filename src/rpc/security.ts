/**
 * What makes a connection trusted: TLS (node:tls, optionally mutual) and a
 * shared-secret challenge-response at connection start (HMAC-SHA256, both
 * directions, fresh nonces each way). The frames are in protocol.ts (HELLO's
 * nonce and proof, AUTH); handshake.ts runs the exchange.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { TlsClientOptions, TlsServerOptions } from '../base/tls.js';
import { BadArgumentsError } from '../errors.js';
import { AuthenticationError } from './errors.js';

/**
 * TLS of a serving process ({@link ServeOptions.tls}): Herd's server TLS
 * shape. With `requestCert`, every caller must present a certificate
 * signed by `ca` or its connection is refused (with a CLOSE frame naming
 * the reason, and logged); its subject reaches the methods in
 * `callContext().caller`.
 */
export type ServeTlsOptions = TlsServerOptions;

/** TLS of a caller ({@link LookupOptions.tls}): Herd's client TLS shape. */
export type LookupTlsOptions = TlsClientOptions;

/** The certificate a caller presented over mutual TLS, as a method sees it. */
export interface CallerCertificate {
  /** The subject as RFC 2253 writes it, most specific first: `CN=billing,O=Example,C=US`. */
  readonly subject: string;
  /** The issuer, written the same way. */
  readonly issuer: string;
  /** SHA-256 fingerprint, colon-separated hex (as node:tls gives it). */
  readonly fingerprint256: string;
}

/** Who made the call being served ({@link CallContext.caller}). */
export interface CallerInfo {
  /** The caller process's identifier from its handshake (default `<hostname>-<pid>` there): what it says, not proven. */
  readonly identifier: string;
  /** The caller's address as this process sees it, `host:port`. */
  readonly address: string;
  /** The certificate it presented, verified against serve's `tls.ca` (mutual TLS only); undefined otherwise. */
  readonly certificate?: CallerCertificate | undefined;
  /** True when the caller proved it knows serve's `secret`. */
  readonly secretVerified: boolean;
}

/** A shared secret, checked at `serve` / `lookup`: a non-empty string (UTF-8) or bytes. */
export function checkSecret(secret: unknown, what: string): Buffer | undefined {
  if (secret === undefined) return undefined;
  if (typeof secret === 'string' && secret.length > 0) return Buffer.from(secret, 'utf8');
  if (secret instanceof Uint8Array && secret.length > 0) return Buffer.from(secret);
  throw new BadArgumentsError(`${what}: secret must be a non-empty string or Uint8Array`);
}

/** 32 random bytes: one handshake's challenge. */
export function nonce(): Buffer {
  return randomBytes(32);
}

/**
 * What the `role` side proves: the HMAC of its role's label and both
 * nonces, its peer's first. The labels differ so that a proof one side
 * produces can never be replayed as the other side's.
 */
export function proof(secret: Buffer, role: 'server' | 'client', peerNonce: Uint8Array, ownNonce: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`herd-rpc ${role}`).update(peerNonce).update(ownNonce).digest();
}

/** True when `received` is the proof expected (compared in constant time). */
export function proofMatches(expected: Buffer, received: Uint8Array | undefined): boolean {
  return received !== undefined && received.length === expected.length && timingSafeEqual(expected, received);
}

/** A short, stable key for a secret (the connection pool keys by it; the secret itself is not kept there). */
export function secretKey(secret: Buffer | undefined): string {
  return secret ? createHash('sha256').update(secret).digest('hex').slice(0, 16) : '';
}

/** The certificate a TLS peer presented and `ca` verified, or undefined (no TLS, none asked for, or not verified). */
export function callerCertificate(socket: TLSSocket): CallerCertificate | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  return { subject: distinguishedName(cert.subject), issuer: distinguishedName(cert.issuer), fingerprint256: cert.fingerprint256 };
}

/** node:tls's name object (in certificate order, least specific first) as RFC 2253 writes it: reversed, comma-separated, escaped. */
function distinguishedName(name: PeerCertificate['subject'] | undefined): string {
  if (!name) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(name)) {
    for (const v of Array.isArray(value) ? value : [value]) parts.push(`${key}=${escapeRdn(String(v))}`);
  }
  return parts.reverse().join(',');
}

function escapeRdn(value: string): string {
  return value.replace(/[,+"\\<>;]/g, (c) => `\\${c}`).replace(/^[ #]|[ ]$/g, (c) => `\\${c}`);
}

/** What the registry entry of an instance says about its security, as callers read it. */
export interface EntrySecurity {
  readonly tls: boolean;
  readonly secret: boolean;
}

/**
 * Throws AuthenticationError when a caller with these options cannot talk
 * to an instance: TLS or a secret on one side only. Checked before
 * connecting, so a mismatch is a clear error, not a garbled or hung
 * connection, and a caller that asked for TLS never falls back to plain TCP.
 */
export function checkCompatible(entry: EntrySecurity, tls: boolean, secret: boolean, what: string, address: string): void {
  if (entry.tls && !tls) throw new AuthenticationError(`${what}: the instance at ${address} serves over TLS: give lookup's \`tls\` option`);
  if (!entry.tls && tls) throw new AuthenticationError(`${what}: the instance at ${address} does not serve over TLS, and this caller requires it`);
  if (entry.secret && !secret) throw new AuthenticationError(`${what}: the instance at ${address} requires a shared secret: give lookup's \`secret\` option`);
  if (!entry.secret && secret) throw new AuthenticationError(`${what}: the instance at ${address} has no shared secret, and this caller requires one`);
}
