/**
 * A serving process for the rpc tests: connects to the coordination
 * server, serves a Demo as the given name, prints one JSON line
 * {address, pid} once registered, and runs until killed.
 *   node serve-child.js '{"connectionString": "...", "name": "svc", "label": "a"}'
 */
import { createClient } from '../../src/client/index.js';
import { serve } from '../../src/rpc/index.js';
import { DEMO_METHODS, Demo } from './demo.js';

const options = JSON.parse(process.argv[2]!) as { connectionString: string; name: string; label: string; tags?: Record<string, string> };
const client = createClient(options.connectionString, { sessionTimeout: 2000 });
await client.connect();
const served = await serve(client, options.name, new Demo(options.label), { expose: DEMO_METHODS, ...(options.tags ? { tags: options.tags } : {}) });
process.stdout.write(`${JSON.stringify({ address: served.address, pid: process.pid })}\n`);
