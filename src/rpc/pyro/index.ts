/**
 * Pyro4 (Python Remote Objects 4.82) for Herd: a name server backed by the
 * registry, Node objects served to Python proxies, and Python objects
 * called from Node. Guide: docs/pyro4.md.
 */
export { startPyroNameServer, NAMESERVER_OBJECT_ID, DEFAULT_PYRO4_NS_PORT, type PyroNameServer, type PyroNameServerOptions } from './nameserver.js';
export { PythonError } from './daemon.js';
export { PyComplex, pyTuple, isPyTuple } from './values.js';
export { servePyro4, type ServePyro4Options, type PyroServed, type ServeOverPyro4Options } from './serve.js';
export type { PyroDaemonOptions } from './daemon.js';
export { lookupPyro4, batchPyro4, pyKwargs, PyKwargs, type LookupPyro4Options, type Pyro4Remote, type Pyro4BatchCall } from './lookup.js';
export type { PyroSerializerName } from './serializers.js';
