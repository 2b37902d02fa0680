/**
 * `herd dashboard --connect <conn> --port <p>`: the web dashboard of
 * src/dashboard against any ZooKeeper-compatible ensemble, until SIGINT or
 * SIGTERM. See docs/dashboard.md.
 */
import { Command } from 'commander';
import { configureCommand, intOption, portOption } from './command.js';

interface DashboardFlags {
  connect: string;
  port?: string;
  host?: string;
  allowWrites?: boolean;
  adminUrl?: string;
  timeout?: string;
}

/** `herd dashboard`. */
export function dashboardCommand(): Command {
  return configureCommand(new Command('dashboard'), 'herd dashboard')
    .description('a web dashboard for any ZooKeeper-compatible ensemble: tree, data, ACLs, live changes, locks, cluster members')
    .requiredOption('--connect <connString>', 'host:port[,host:port...][/chroot] of the ensemble')
    .option('--port <n>', 'HTTP port (default 8081; 0 picks a free one)')
    .option('--host <addr>', 'listen address (default 127.0.0.1)')
    .option('--allow-writes', 'allow create, set, delete and setAcl, each with digest credentials (default read-only)')
    .option('--admin-url <url>', "the ensemble's admin server (e.g. http://127.0.0.1:8080), for the sessions, watches and metrics views")
    .option('--timeout <ms>', 'how long to wait for the ensemble at start and for each request', '15000')
    .action(async (flags: DashboardFlags) => {
      const timeout = intOption('timeout', flags.timeout, 1)!;
      // Loaded when the command runs, so `herd --help` and the other commands do not load the dashboard.
      const { adminFetcher, serveDashboard } = await import('../dashboard/index.js');
      const server = await serveDashboard({
        connectionString: flags.connect,
        port: portOption('port', flags.port) ?? 8081,
        ...(flags.host === undefined ? {} : { host: flags.host }),
        allowWrites: flags.allowWrites === true,
        ...(flags.adminUrl === undefined ? {} : { admin: adminFetcher(flags.adminUrl) }),
        clientOptions: { connectTimeout: timeout, requestTimeout: timeout },
      });
      const host = flags.host ?? '127.0.0.1';
      process.stdout.write(`herd dashboard: http://${host.includes(':') ? `[${host}]` : host}:${server.port}/ (${flags.allowWrites === true ? 'writes allowed' : 'read-only'}) for ${flags.connect}\n`);
      const stop = (): void => {
        void server.close().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
