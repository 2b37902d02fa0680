/**
 * `herd export-zk`: writes a Herd data directory's tree and sessions as a
 * ZooKeeper snapshot, in a new directory ZooKeeper can use as its dataDir.
 */
import { Command } from 'commander';
import { configureCommand } from './command.js';

interface ExportFlags {
  dataDir?: string;
  to?: string;
}

/** `herd export-zk --data-dir <dir> --to <dir>`. */
export function exportZkCommand(): Command {
  return configureCommand(new Command('export-zk'), 'herd export-zk')
    .description('export a Herd data directory (its server stopped) as a ZooKeeper dataDir: version-2/snapshot.<zxid>, which ZooKeeper 3.5–3.9 starts from')
    .requiredOption('--data-dir <dir>', 'the Herd data directory to read (it is not modified)')
    .requiredOption('--to <dir>', "the ZooKeeper dataDir to create (must be absent or empty)")
    .action((flags: ExportFlags) => runExport(flags));
}

async function runExport(flags: ExportFlags): Promise<void> {
  const { exportZooKeeper } = await import('../server/storage/zk-format/convert.js');
  const result = await exportZooKeeper({ dataDir: flags.dataDir!, to: flags.to! });
  process.stdout.write(
    `exported ${result.nodes} znodes and ${result.sessions} sessions at zxid 0x${result.zxid.toString(16)}\n  wrote  ${result.snapshot}\n`,
  );
}
