/**
 * serve(): checks what is to be served and how (serve-options.ts), then
 * starts it (served.ts: the listener and the registry entry).
 */
import { checkServerTls } from '../base/tls.js';
import type { Client } from '../client/index.js';
import { BadArgumentsError } from '../errors.js';
import { Exposure } from './expose.js';
import { checkPyro4Options } from './pyro/serve.js';
import { checkServiceName } from './registry.js';
import { Schemas } from './schemas.js';
import { checkSecret } from './security.js';
import type { ServeOptions } from './serve-options.js';
import { ServedObject, type Served } from './served.js';

export type { InstanceMode, ServeOptions } from './serve-options.js';
export type { Served, ServedEvents, ServedState } from './served.js';

/**
 * Serves `object` as `name`: listens for callers and registers an instance
 * under `/herd/rpc/<name>/`, re-registered after every session loss.
 * Resolves once the entry exists (waiting up to `timeout` ms, default for
 * ever; `signal` cancels). Only the methods in `expose` are callable.
 *
 * With `singleton: true`, resolves once this process knows its role: it
 * leads (registered, `state` is `serving`) or stands by behind another
 * instance (`standby`, not registered); `serving` / `standby` events follow
 * the changes.
 *
 * Rejects with BadArgumentsError for an invalid name or `expose` (a name
 * that is not a method, `constructor`, `_`-prefixed, or Object.prototype's)
 * or an `idempotent` name that is not exposed, a `schemas` entry for a
 * method not exposed or that is not a Standard Schema, an empty `secret`,
 * `tls` without key and cert,
 * TimeoutError / CancelledError when the entry was not created in time,
 * and the socket's error when it cannot listen.
 */
export async function serve(client: Client, name: string, object: object | (() => object), options: ServeOptions): Promise<Served> {
  checkServiceName(name, 'serve');
  const mode = options?.instanceMode ?? 'single';
  if (mode !== 'single' && mode !== 'session' && mode !== 'call') throw new BadArgumentsError(`serve ${name}: unknown instanceMode ${String(mode)}`);
  if (mode !== 'single' && typeof object !== 'function') throw new BadArgumentsError(`serve ${name}: instanceMode '${mode}' needs a factory (() => object)`);
  const single = mode === 'single' ? (typeof object === 'function' ? object() : object) : undefined;
  if (mode === 'single' && (typeof single !== 'object' || single === null)) throw new BadArgumentsError(`serve ${name}: the served value must be an object`);
  const exposure = new Exposure(options.expose, single, `serve ${name}`);
  const idempotent = [...new Set(options.idempotent ?? [])].sort();
  for (const method of idempotent) {
    if (!exposure.methods.includes(method)) throw new BadArgumentsError(`serve ${name}: idempotent method '${method}' is not exposed`);
  }
  if (options.pyro4 !== undefined) checkPyro4Options(name, exposure.methods, options.pyro4);
  const secret = checkSecret(options.secret, `serve ${name}`);
  const schemas = options.schemas === undefined ? undefined : new Schemas(options.schemas, exposure.methods, `serve ${name}`);
  checkServerTls(options.tls, `serve ${name}`);
  const host = options.host ?? '127.0.0.1';
  const advertisedHost = options.advertisedHost ?? host;
  if (advertisedHost === '0.0.0.0' || advertisedHost === '::') {
    throw new BadArgumentsError(`serve ${name}: host ${host} is a wildcard: give advertisedHost, the host callers connect to`);
  }
  const served = new ServedObject(client, name, exposure, options, single ?? (object as () => object), mode, idempotent, { secret, schemas });
  await served.start(host, options.port ?? 0, advertisedHost, options);
  return served;
}
