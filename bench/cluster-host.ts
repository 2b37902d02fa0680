/**
 * Hosts cluster members for bench/cluster.ts in one child process: argv[2]
 * is JSON { cluster, names, version, backend }; every member has its own
 * backend (its own client and session, or its own heartbeat socket). Prints
 * one JSON line per event: {"event":"joined"|"primary","node":...,"at":ms}.
 * Leaves gracefully when stdin closes.
 */
import { joinCluster, type BackendSpec, type ClusterNode } from '../src/cluster/index.js';

interface HostArgs {
  cluster: string;
  names: string[];
  version: string;
  backend: BackendSpec;
}

const args = JSON.parse(process.argv[2] ?? '{}') as HostArgs;
const print = (event: string, fields: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ event, at: Date.now(), ...fields })}\n`);
};

const nodes: ClusterNode[] = [];
for (const name of args.names) {
  nodes.push(
    await joinCluster({
      cluster: args.cluster,
      identifier: name,
      version: args.version,
      backend: args.backend,
      onPrimary: ({ epoch }) => print('primary', { node: name, epoch }),
    }),
  );
  print('joined', { node: name });
}

process.stdin.on('end', () => {
  void Promise.all(nodes.map((n) => n.close({ timeout: 5000 }))).then(() => process.exit(0));
});
process.stdin.resume();
