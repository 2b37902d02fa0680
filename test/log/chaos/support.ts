/**
 * Setup shared by the chaos suites: a fresh chroot on the target with
 * three storage node processes registered in it, writers started with
 * their own ack files, and the checker run against all of their records.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Client } from '../../../src/client/index.js';
import { logPath, segmentPath } from '../../../src/log/metadata/layout.js';
import { connect, sleep, uniquePath, type Target } from '../../support/targets.js';
import { tempDir } from '../node/support.js';
import { checkLog, replicaCounts, type CheckReport, type LogSnapshot, type ReplicaCount } from './checker.js';
import { readAckFile, type AckedEntry } from './payload.js';
import { NodeProcess, WriterProcess } from './processes.js';
import type { WriterConfig } from './writer-worker.js';

/** Three node processes under a fresh chroot, and the writers started on it. */
export class ChaosCluster implements AsyncDisposable {
  readonly writers: WriterProcess[] = [];
  private constructor(
    readonly coordination: string,
    readonly client: Client,
    readonly nodes: NodeProcess[],
    private readonly dir: string,
  ) {}

  static async start(target: Target, count = 3): Promise<ChaosCluster> {
    const root = uniquePath('log-chaos');
    const plain = await connect(target);
    await plain.mkdirp(root);
    const coordination = `${target.connectionString}${root}`;
    const nodes = await Promise.all(Array.from({ length: count }, () => NodeProcess.start(coordination)));
    return new ChaosCluster(coordination, await connect(target, {}, coordination), nodes, await tempDir('log-chaos-acks'));
  }

  /** A node of the last ensemble of log `log`'s last segment (the `i`th, mod E): one the writer is writing to. */
  async ensembleNode(log: string, i: number): Promise<NodeProcess> {
    const read = async (path: string): Promise<unknown> => JSON.parse((await this.client.getData(path)).data!.toString('utf8'));
    const { segments } = (await read(logPath(log))) as { segments: number[] };
    const { ensembles } = (await read(segmentPath(segments[segments.length - 1]!))) as { ensembles: { nodes: string[] }[] };
    const nodes = ensembles[ensembles.length - 1]!.nodes;
    const id = nodes[i % nodes.length]!;
    return this.nodes.find((n) => n.instanceId === id)!;
  }

  /** Starts writer `tag` on log `log`; its ack record is its own file. */
  async writer(log: string, tag: string, options: Partial<WriterConfig> = {}): Promise<WriterProcess> {
    const w = await WriterProcess.start({ coordination: this.coordination, log, ackFile: join(this.dir, `${tag}.acks`), writer: tag, ...options });
    this.writers.push(w);
    return w;
  }

  /** Every writer's ack record. */
  async acks(): Promise<AckedEntry[]> {
    return (await Promise.all(this.writers.map((w) => readAckFile(w.config.ackFile)))).flat();
  }

  /** The checker's report on log `log` against every writer's record. */
  async check(log: string): Promise<CheckReport & { snapshot: LogSnapshot; acks: AckedEntry[] }> {
    const acks = await this.acks();
    return { ...(await checkLog(this.client, log, { acks, writers: this.writers.map((w) => w.config.writer) })), acks };
  }

  /**
   * Waits (at most `timeout` ms) until every entry of log `log` has W valid
   * copies, as the nodes' auditors repair; asserts it, naming the first
   * entries short of W.
   */
  async assertFullyReplicated(log: string, writeQuorum: number, timeout: number): Promise<void> {
    const deadline = Date.now() + timeout;
    let short: ReplicaCount[] = [];
    for (;;) {
      short = replicaCounts((await this.check(log)).snapshot).filter((r) => r.valid < writeQuorum);
      if (short.length === 0 || Date.now() >= deadline) break;
      await sleep(1000);
    }
    assert.deepEqual(short.slice(0, 10).map((r) => `${r.segmentId}:${r.entryId} ${r.valid}`), [], `${short.length} entries with fewer than W = ${writeQuorum} valid copies after ${timeout} ms of repair`);
  }

  /** Asserts the checker finds nothing wrong, and every entry has at least A valid copies; returns the report. */
  async assertIntact(log: string): Promise<CheckReport & { snapshot: LogSnapshot; acks: AckedEntry[] }> {
    const report = await this.check(log);
    assert.deepEqual(report.problems.slice(0, 20), [], `${report.problems.length} problems found by the checker`);
    assert.ok(report.acks.length > 0, 'the writers acknowledged entries');
    // At least A now; W once the auditors repaired what a killed node missed (assertFullyReplicated).
    const thin = replicaCounts(report.snapshot).filter((r) => r.valid < 2);
    assert.deepEqual(thin.slice(0, 10), [], 'entries with fewer than A = 2 valid copies');
    return report;
  }

  async close(): Promise<void> {
    await Promise.all([...this.writers.map((w) => w.kill()), ...this.nodes.map((n) => n.kill())]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Rounds of faults of the chaos suites: HERD_CHAOS_ROUNDS, default 3, at least 2 (round 1 kills the writer). */
export const CHAOS_ROUNDS = Math.max(2, Number(process.env.HERD_CHAOS_ROUNDS ?? 3));
/**
 * How long the nodes' auditors may take to bring every entry back to W
 * copies once the writer closed the log, ms (liveness). What they repair:
 * entries acknowledged by A nodes but never stored on a killed node that
 * came back live (the ensemble change starts at the last-add-confirmed +
 * 1, so those stay in the old ensemble's span): the replicas check
 * (src/log/repair/replicas-check.ts) finds them.
 */
export const REPAIR_TIMEOUT = 60_000;

/** Acknowledgements awaited between faults. */
const STRIDE = 100;

/**
 * The chaos rounds on `count` node processes: round 1 SIGKILLs the writer
 * and starts a new one, every other round SIGKILLs a node of the writer's
 * ensemble and restarts it (same data directory, same port); after each,
 * the writer must acknowledge STRIDE more entries within `liveness` ms.
 * Then the writer closes the log and the checker must find it intact;
 * with `repairTimeout`, every entry must then reach W = 3 valid copies
 * within that many ms (the nodes' auditors repair).
 */
export async function chaosRounds(target: Target, count: number, liveness: number, options: { repairTimeout?: number } = {}): Promise<void> {
  await using cluster = await ChaosCluster.start(target, count);
  let writer = await cluster.writer('chaos', 'w0');
  await writer.progress(STRIDE, liveness, 'a start');
  for (let round = 0; round < CHAOS_ROUNDS; round++) {
    if (round === 1) {
      // The writer dies with appends in flight; the next one recovers its segment and goes on.
      await writer.kill();
      writer = await cluster.writer('chaos', `w${round}`);
    } else {
      const node = await cluster.ensembleNode('chaos', round);
      await node.kill();
      await sleep(300);
      await node.restart();
    }
    await writer.progress(STRIDE, liveness, `after round ${round}`);
  }
  await writer.stop(liveness);
  const report = await cluster.assertIntact('chaos');
  assert.ok(report.entries.length >= report.acks.length);
  assert.ok(report.snapshot.segments.length >= 2, "the killed writer's segment and its successor's");
  if (options.repairTimeout !== undefined) await cluster.assertFullyReplicated('chaos', 3, options.repairTimeout);
}
