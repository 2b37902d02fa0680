/**
 * A serving process for the singleton and retry tests: serves a Probe as
 * the given name (optionally as a singleton, with idempotent methods), and
 * prints one JSON line per role change: {event: 'serving' | 'standby', pid,
 * address}. Runs until killed.
 *   node singleton-child.js '{"connectionString": "...", "name": "svc", "label": "a", "singleton": true, "idempotent": ["slowWhoAmI"]}'
 */
import { createClient } from '../../src/client/index.js';
import { serve } from '../../src/rpc/index.js';
import { PROBE_METHODS, Probe } from './probe.js';

interface ChildOptions {
  connectionString: string;
  name: string;
  label: string;
  singleton?: boolean;
  idempotent?: string[];
}

const options = JSON.parse(process.argv[2]) as ChildOptions;
const client = createClient(options.connectionString, { sessionTimeout: 2000 });
await client.connect();
const served = await serve(client, options.name, new Probe(options.label), {
  expose: PROBE_METHODS,
  singleton: options.singleton ?? false,
  idempotent: options.idempotent ?? [],
});
const report = (event: string): void => void process.stdout.write(`${JSON.stringify({ event, pid: process.pid, address: served.address })}\n`);
report(served.state);
served.on('serving', () => report('serving'));
served.on('standby', () => report('standby'));
