/**
 * A serving process for the call-semantics tests: serves a Calls object
 * as the given name and prints one JSON line {address, pid} once
 * registered; runs until killed.
 *   node calls-child.js '{"connectionString": "...", "name": "svc"}'
 */
import { createClient } from '../../src/client/index.js';
import { serve } from '../../src/rpc/index.js';
import { CALLS_METHODS, Calls } from './calls-demo.js';

const options = JSON.parse(process.argv[2]!) as { connectionString: string; name: string };
const client = createClient(options.connectionString, { sessionTimeout: 4000 });
await client.connect();
const calls = new Calls();
calls.served = await serve(client, options.name, calls, { expose: CALLS_METHODS });
process.stdout.write(`${JSON.stringify({ address: calls.served.address, pid: process.pid })}\n`);
