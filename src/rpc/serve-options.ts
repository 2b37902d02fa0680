/** The options of serve() (serve.ts): what is served, how, and to whom. */
import type { WaitOptions } from '../base/wait.js';
import type { FrameLimits } from './protocol.js';
import type { ServeOverPyro4Options } from './pyro/serve.js';
import type { MethodSchemas } from './schemas.js';
import type { ServeTlsOptions } from './security.js';

/**
 * Which object a call runs on, as Pyro's instance modes: `single`, one for
 * every caller; `session`, one per caller connection (a caller process),
 * made at its first call; `call`, a fresh one for each call.
 */
export type InstanceMode = 'single' | 'session' | 'call';

/** Options of {@link serve}. */
export interface ServeOptions extends FrameLimits, WaitOptions {
  /**
   * Which object each call runs on. Default `'single'`. With `'session'` or
   * `'call'`, serve's third argument is a factory (`() => object`) called for
   * each caller connection or each call; with `'single'` it may be either
   * (a factory is called once, at serve).
   */
  instanceMode?: InstanceMode;
  /** The methods callers may call (deny by default: nothing else is callable). Required, non-empty. */
  expose: readonly string[];
  /** Tags callers can select instances by (`lookup(..., { tags })`). Default none. */
  tags?: Readonly<Record<string, string>>;
  /** This process's identifier in the registry. Default `<hostname>-<pid>`. */
  identifier?: string;
  /** Interface to listen on. Default `'127.0.0.1'` (loopback only): set it to serve other machines. */
  host?: string;
  /** Port to listen on. Default 0 (any free port). */
  port?: number;
  /** The host callers connect to, written in the registry. Default `host` (required when `host` is a wildcard such as `0.0.0.0`). */
  advertisedHost?: string;
  /**
   * Serve as a singleton: of all the processes serving `name` with
   * `singleton: true`, one (elected) is registered and serves; the others
   * stand by, unregistered, and one takes over when it goes (its process
   * dies, its session ends, it closes). Callers need no change: their
   * proxies rebind to the new one. Default false. See {@link Served.state}.
   */
  singleton?: boolean;
  /**
   * The methods that are safe to run twice (a subset of `expose`). A call
   * to one of them whose connection is lost before its reply is sent again
   * to another instance (within its deadline), instead of failing with
   * RpcConnectionError. Written in the registry entry, which is where
   * callers learn it. Default none.
   */
  idempotent?: readonly string[];
  /**
   * Serve over TLS (node:tls) with this key and certificate; with
   * `requestCert`, only callers presenting a certificate signed by `ca` get
   * in (mutual TLS), and methods see its subject in
   * `callContext().caller.certificate`. The registry entry says the
   * instance wants TLS, so callers without lookup's `tls` get
   * AuthenticationError instead of a garbled connection. Default plain TCP.
   */
  tls?: ServeTlsOptions;
  /**
   * A shared secret (a non-empty string or bytes) every caller must prove it
   * knows, by HMAC-SHA256 challenge-response both ways at connection start:
   * a caller without it runs nothing here. Authenticates the connection's
   * start only: without `tls`, the traffic is neither encrypted nor
   * protected from tampering (docs/rpc.md). Default none.
   */
  secret?: string | Uint8Array;
  /**
   * Standard Schema (zod, valibot, ...) checks per exposed method:
   * `{ add: { args: z.tuple([z.number(), z.number()]), result: z.number() } }`.
   * Arguments failing `args` reject the call with ValidationError (the
   * method does not run); a result failing `result` too. Default none.
   */
  schemas?: Readonly<Record<string, MethodSchemas>>;
  /**
   * Where the server reports what an operator should know: a caller
   * refused for want of trust (a client certificate refused, a TLS handshake
   * the caller aborted, a wrong or missing secret). Default `console.warn`.
   */
  logger?: (message: string) => void;
  /**
   * Also serve the object to Python Pyro4 proxies (docs/pyro4.md): a Pyro4
   * daemon on `pyro4.port` (default any free port) runs the same exposed
   * methods (same instance mode and schemas), and the one registry entry
   * carries its URI, so Herd's Pyro4 name servers resolve
   * `PYRONAME:<name>` to it and list it. Default off.
   */
  pyro4?: ServeOverPyro4Options;
}
