/**
 * `herd import-zk`: turns a ZooKeeper data directory (3.5–3.9 snapshots and
 * transaction logs) into a Herd data directory that `herd server
 * --data-dir` starts from, with every znode, ACL, Stat and live session.
 */
import { Command } from 'commander';
import { configureCommand } from './command.js';

interface ImportFlags {
  from?: string;
  logDir?: string;
  dataDir?: string;
  allowTornLog?: boolean;
  trustEmptySnapshot?: boolean;
}

/** `herd import-zk --from <dir> --data-dir <dir>`. */
export function importZkCommand(): Command {
  return configureCommand(new Command('import-zk'), 'herd import-zk')
    .description("import a ZooKeeper data directory (its latest valid snapshot and later transaction logs) into a new Herd data directory; the source is only read")
    .requiredOption('--from <dir>', "ZooKeeper's dataDir (the directory holding version-2, or version-2 itself)")
    .option('--log-dir <dir>', "ZooKeeper's dataLogDir, when the transaction logs are not under --from")
    .requiredOption('--data-dir <dir>', 'the Herd data directory to create (must be absent or empty)')
    .option('--allow-torn-log', 'treat a torn (cut short) log record as the end of its file, as ZooKeeper does, instead of failing')
    .option('--trust-empty-snapshot', 'with no snapshot at all (data from ZooKeeper before 3.5.3), replay the logs from an empty tree, as zookeeper.snapshot.trust.empty does')
    .action((flags: ImportFlags) => runImport(flags));
}

async function runImport(flags: ImportFlags): Promise<void> {
  const { importZooKeeper } = await import('../server/storage/zk-format/convert.js');
  const result = await importZooKeeper({
    from: flags.from!,
    ...(flags.logDir !== undefined ? { logDir: flags.logDir } : {}),
    dataDir: flags.dataDir!,
    allowTornLog: flags.allowTornLog === true,
    trustEmptySnapshot: flags.trustEmptySnapshot === true,
    warn: (message) => process.stderr.write(`herd: warning: ${message}\n`),
  });
  const hex = (z: bigint): string => `0x${z.toString(16)}`;
  process.stdout.write(
    [
      `imported ${result.nodes} znodes and ${result.sessions} sessions up to zxid ${hex(result.lastZxid)}`,
      `  snapshot  ${result.snapshot ?? '(none: replayed the logs from an empty tree)'} (zxid ${hex(result.snapshotZxid)})`,
      `  replayed  ${result.txnsReplayed} transactions`,
      `  wrote     ${result.written}`,
      '',
    ].join('\n'),
  );
}
