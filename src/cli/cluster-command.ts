/**
 * `herd cluster status`: the members and the primary of a cluster, read
 * without joining it (nothing is created on the backend).
 */
import { Command } from 'commander';
import { BadArgumentsError } from '../errors.js';
import type { ClusterView } from '../cluster/backend.js';
import { configureCommand, formatTable } from './command.js';

interface StatusOptions {
  cluster?: string;
  backend?: string;
  sharedFs?: string;
  json?: boolean;
}

/** `herd cluster`, with its one subcommand `status`. */
export function clusterCommand(): Command {
  const cluster = configureCommand(new Command('cluster'), 'herd cluster').description('read the state of a Herd cluster (herd-zk/cluster)');
  const status = configureCommand(new Command('status'), 'herd cluster status')
    .description('show the members and the primary of a cluster, without joining it (nothing is written)')
    .option('--cluster <name>', "the cluster's name (required)")
    .option('--backend <conn>', 'coordination service: host:port[,host:port...][/chroot]')
    .option('--shared-fs <dir>', 'or the shared directory of a sharedFs cluster')
    .option('--json', 'print the view as JSON instead of a table')
    .action((options: StatusOptions) => runClusterStatus(options));
  cluster.addCommand(status);
  return cluster;
}

async function runClusterStatus(values: StatusOptions): Promise<void> {
  const cluster = values.cluster;
  if (cluster === undefined || cluster === '') throw new BadArgumentsError('--cluster <name> is required');
  const backend = values.backend;
  const dir = values.sharedFs;
  if ((backend === undefined) === (dir === undefined)) throw new BadArgumentsError('give one of --backend <connection string> or --shared-fs <dir>');
  const view = backend !== undefined ? await coordinationView(backend, cluster) : await (await import('../cluster/shared-fs/view.js')).readSharedFsView(dir!, cluster);
  process.stdout.write(values.json ? `${JSON.stringify(view, null, 2)}\n` : formatStatus(cluster, view));
}

async function coordinationView(connectionString: string, cluster: string): Promise<ClusterView> {
  const [{ createClient }, { readCoordinationView }] = await Promise.all([import('../client/index.js'), import('../cluster/coordination/layout.js')]);
  const client = createClient(connectionString, { connectTimeout: 10_000, requestTimeout: 10_000 });
  try {
    await client.connect();
    return await readCoordinationView(client, cluster);
  } finally {
    await client.close().catch(() => {});
  }
}

/** The status table: one row per member (by identifier), the primary marked with `*` and its epoch. */
export function formatStatus(cluster: string, view: ClusterView): string {
  const p = view.primary;
  const head = `cluster ${cluster}: ${view.members.length} member${view.members.length === 1 ? '' : 's'}, ${
    p === null ? 'no primary' : `primary ${p.identifier} (epoch ${p.epoch}) since ${iso(p.since)}`
  }\n`;
  const rows = [['IDENTIFIER', 'ADDRESS', 'VERSION', 'PRIMARY', 'SINCE']];
  for (const m of view.members) {
    const primary = p !== null && p.identifier === m.identifier;
    rows.push([m.identifier, m.address || '-', m.version, primary ? `* (epoch ${p.epoch})` : '', iso(primary ? p.since : m.joinedAt)]);
  }
  return head + formatTable(rows);
}

function iso(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString() : '-';
}
