/**
 * `npm run bench`: Herd against Apache ZooKeeper 3.8 on this machine, in one
 * run, and Herd's client against node-zookeeper-client. Not a test: it
 * prints figures and ratios (issue 3's and issue 4's benchmark sections).
 *
 *   node build/bench/run.js [--znodes 200000] [--duration 4000] [--warmup 1000] [--rounds 2]
 *                           [--only server,scale,clients,recipes,cluster,log,rpc,tables,pyro4] [--profile DIR]
 *                           [--baseline DIR]
 *
 * With --baseline DIR (another commit built by bench/baseline.sh), the
 * server, scale and clients suites also measure that build ("Herd
 * (baseline)": its server, its client) in the same interleaved rounds, and
 * print each row as new / baseline, so a change is measured before and after
 * in one run on this machine.
 *
 * Every server runs in its own process with a fresh temp data directory and
 * fsync on; the load generator (bench/load-generator.ts) runs here. Only the
 * server being measured is busy (the other one idles), and measurements of the
 * two alternate in rounds, so noise from other work on the machine falls on
 * both alike. The load average is printed with the machine line.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { zookeeperAvailable } from '../test/support/zookeeper.js';
import { clientComparison } from './clients.js';
import { clusterSection, DEFAULT_CLUSTER_BENCH, measureFailover, type FailoverTarget } from './cluster.js';
import { DEFAULT_LOG_BENCH, logBenchSections, SMOKE_LOG_BENCH } from './log.js';
import { logStorageSections } from './log-storage.js';
import { DEFAULT_LOAD, prepareNodes, type LoadOptions, type LoadResult } from './load-generator.js';
import { compareRecipes, DEFAULT_RECIPE_BENCH, recipesSection } from './recipes.js';
import { benchRpc, DEFAULT_RPC_BENCH, rpcSections } from './rpc.js';
import { DEFAULT_PYRO4_BENCH, pyro4BenchSections, SMOKE_PYRO4_BENCH } from './pyro4.js';
import { DEFAULT_TABLES_BENCH, SMOKE_TABLES_BENCH, tablesBenchSections } from './tables.js';
import { compareServers, measureScale, type ScaleFigures, type ServerFigures } from './server-suites.js';
import { BASELINE_NAME, baselineBuild, startBaseline, startCeiling, startHerd, startZk, versusBaseline, type BenchServer } from './servers.js';
import { loadLine, log, machineLine, renderSection, type Row, type Section } from './stats.js';

const SUITES = ['server', 'scale', 'clients', 'recipes', 'cluster', 'log', 'rpc', 'tables', 'pyro4'] as const;
type Suite = (typeof SUITES)[number];

interface Config {
  suites: Set<Suite>;
  znodes: number;
  load: LoadOptions;
  clientOutstanding: number;
  rounds: number;
  profileDir: string | undefined;
  /** The log and tables suites' few-second runs (every row, tiny counts). */
  smoke: boolean;
  /** The build (tsc output root, holding bench/ and src/) of the commit to compare against, if any. */
  baseline: string | undefined;
}

function parseConfig(argv: string[]): Config {
  const { values } = parseArgs({
    args: argv,
    options: {
      znodes: { type: 'string', default: '200000' },
      duration: { type: 'string', default: String(DEFAULT_LOAD.durationMs) },
      warmup: { type: 'string', default: String(DEFAULT_LOAD.warmupMs) },
      connections: { type: 'string', default: String(DEFAULT_LOAD.connections) },
      outstanding: { type: 'string', default: String(DEFAULT_LOAD.outstanding) },
      'client-outstanding': { type: 'string', default: '16' },
      rounds: { type: 'string', default: '2' },
      only: { type: 'string', default: SUITES.join(',') },
      profile: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      baseline: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'node build/bench/run.js [--znodes N] [--duration MS] [--warmup MS] [--rounds N] [--connections N] [--outstanding K]\n' +
        '                        [--client-outstanding K] [--only server,scale,clients,recipes,cluster,log,rpc,tables,pyro4] [--profile DIR]\n' +
        '  --profile DIR  run Herd\'s server and the client drivers with --cpu-prof, writing .cpuprofile files to DIR\n' +
        '  --smoke        the log, tables and pyro4 suites only: a run of a few seconds with tiny counts (every row printed, figures meaningless)\n' +
        '  --baseline DIR another commit built by bench/baseline.sh (DIR or DIR/build): the server, scale and clients suites measure\n' +
        '                 it as "Herd (baseline)" in the same rounds and print new / baseline per row\n',
    );
    process.exit(0);
  }
  const suites = new Set<Suite>();
  for (const s of values.only.split(',').map((x) => x.trim())) {
    if (!(SUITES as readonly string[]).includes(s)) throw new Error(`unknown suite ${s}; pick from ${SUITES.join(', ')}`);
    suites.add(s as Suite);
  }
  const int = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${text}`);
    return n;
  };
  return {
    suites,
    znodes: int('znodes', values.znodes),
    load: {
      ...DEFAULT_LOAD,
      durationMs: int('duration', values.duration),
      warmupMs: int('warmup', values.warmup),
      connections: int('connections', values.connections),
      outstanding: int('outstanding', values.outstanding),
    },
    clientOutstanding: int('client-outstanding', values['client-outstanding']),
    rounds: int('rounds', values.rounds),
    profileDir: values.profile === undefined ? undefined : resolve(values.profile),
    smoke: values.smoke,
    baseline: values.baseline === undefined ? undefined : baselineBuild(values.baseline),
  };
}

function herdOptions(config: Config): { nodeArgs: string[] } {
  if (!config.profileDir) return { nodeArgs: [] };
  mkdirSync(config.profileDir, { recursive: true });
  return { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${config.profileDir}`] };
}

async function withServer<T>(start: () => Promise<BenchServer>, body: (s: BenchServer) => Promise<T>): Promise<T> {
  const server = await start();
  try {
    return await body(server);
  } finally {
    await server.destroy();
  }
}

function loadRows(label: string, h: LoadResult, z: LoadResult, target?: number): Row[] {
  const rows: Row[] = [
    { metric: `${label}: ops/s`, candidate: h.opsPerSec, baseline: z.opsPerSec, unit: 'ops/s', better: 'higher', ...(target ? { target } : {}) },
    { metric: `${label}: p50`, candidate: h.p50, baseline: z.p50, unit: 'ms', better: 'lower' },
    { metric: `${label}: p99`, candidate: h.p99, baseline: z.p99, unit: 'ms', better: 'lower' },
  ];
  if (Number.isFinite(h.serverCpuPer100k) && Number.isFinite(z.serverCpuPer100k)) {
    rows.push({ metric: `${label}: server CPU / 100k ops`, candidate: h.serverCpuPer100k, baseline: z.serverCpuPer100k, unit: 'ms', better: 'lower' });
  }
  return rows;
}

function serverSection(h: ServerFigures, z: ServerFigures, config: Config): Section {
  const load = config.load;
  const shape = `${load.connections}x${load.outstanding}`;
  const errors = [h.reads, h.writes, h.mix, h.seqRead, h.seqWrite, z.reads, z.writes, z.mix, z.seqRead, z.seqWrite].reduce((n, r) => n + r.errors, 0);
  return {
    title: 'Servers: Herd vs ZooKeeper 3.8 standalone (same load generator, fsync on for both)',
    candidateName: 'Herd',
    baselineName: 'ZooKeeper',
    rows: [
      ...loadRows(`reads pipelined ${shape}`, h.reads, z.reads, 1),
      ...loadRows(`writes pipelined ${shape}`, h.writes, z.writes, 1),
      ...loadRows(`90/10 mix pipelined ${shape}`, h.mix, z.mix, 1),
      ...loadRows('reads sequential 1x1', h.seqRead, z.seqRead),
      ...loadRows('writes sequential 1x1', h.seqWrite, z.seqWrite),
    ],
    notes: [
      `${load.valueSize}-byte values over ${load.nodeCount} znodes; ${load.warmupMs} ms warm-up, ${load.durationMs} ms measured; best of ${config.rounds} interleaved rounds per row`,
      `error replies during the windows: ${errors}`,
    ],
  };
}

/** Herd's server against the ceiling (bench/ceiling-server.ts): the targets are reads 70%, writes 60%. */
function ceilingSection(h: ServerFigures, c: ServerFigures, config: Config): Section {
  const shape = `${config.load.connections}x${config.load.outstanding}`;
  const ops = (label: string, hr: LoadResult, cr: LoadResult, target?: number): Row => ({
    metric: `${label}: ops/s`,
    candidate: hr.opsPerSec,
    baseline: cr.opsPerSec,
    unit: 'ops/s',
    better: 'higher',
    ...(target ? { target } : {}),
  });
  const cpu = (label: string, hr: LoadResult, cr: LoadResult): Row => ({
    metric: `${label}: server CPU / 100k ops`,
    candidate: hr.serverCpuPer100k,
    baseline: cr.serverCpuPer100k,
    unit: 'ms',
    better: 'lower',
  });
  return {
    title: 'Servers: Herd vs the ceiling (a plain Node TCP server answering pre-encoded frames; same rounds as above)',
    candidateName: 'Herd',
    baselineName: 'ceiling',
    rows: [
      ops(`reads pipelined ${shape}`, h.reads, c.reads, 0.7),
      ops(`writes pipelined ${shape}`, h.writes, c.writes, 0.6),
      ops(`90/10 mix pipelined ${shape}`, h.mix, c.mix),
      ops('reads sequential 1x1', h.seqRead, c.seqRead),
      ops('writes sequential 1x1', h.seqWrite, c.seqWrite),
      cpu(`reads pipelined ${shape}`, h.reads, c.reads),
      cpu(`writes pipelined ${shape}`, h.writes, c.writes),
      cpu(`90/10 mix pipelined ${shape}`, h.mix, c.mix),
    ],
    notes: [
      'ceiling: no decoding, no tree, the same fsync policy for writes; the ratio is Herd\'s share of the limit a Node server reaches here',
      // The load generator shares the machine: when it, not the server, is the limit, the ops/s ratio flatters Herd.
      'the CPU rows are the fairer figure when the load generator, not the server, limits the ceiling\'s ops/s (see bench/ceiling.ts)',
    ],
  };
}

/** Each figure's best over several scale runs of one server (the fastest create rate and restart, the least memory). */
function bestScale(runs: readonly ScaleFigures[]): ScaleFigures {
  const least = <T>(pick: (f: ScaleFigures) => T, key: (v: T) => number): T => runs.map(pick).reduce((a, b) => (key(b) < key(a) ? b : a));
  const creates = least((f) => f.creates, (c) => -c.createsPerSec);
  const memory = least((f) => f, (f) => f.after.heapUsed - f.before.heapUsed);
  return { znodes: runs[0]!.znodes, creates, before: memory.before, after: memory.after, restartMs: Math.min(...runs.map((f) => f.restartMs)) };
}

function scaleSection(h: ScaleFigures, z: ScaleFigures): Section {
  const per = (s: ScaleFigures, k: 'rss' | 'heapUsed'): number => (s.after[k] - s.before[k]) / s.znodes;
  const n = h.znodes.toLocaleString('en-US');
  return {
    title: `Scale: ${n} znodes of 100 bytes (fresh servers, fsync on)`,
    candidateName: 'Herd',
    baselineName: 'ZooKeeper',
    rows: [
      { metric: 'create rate, pipelined 8x64', candidate: h.creates.createsPerSec, baseline: z.creates.createsPerSec, unit: 'creates/s', better: 'higher' },
      { metric: 'create latency p50', candidate: h.creates.p50, baseline: z.creates.p50, unit: 'ms', better: 'lower' },
      { metric: 'create latency p99', candidate: h.creates.p99, baseline: z.creates.p99, unit: 'ms', better: 'lower' },
      { metric: 'memory per znode: live heap after GC', candidate: per(h, 'heapUsed'), baseline: per(z, 'heapUsed'), unit: 'B', better: 'lower' },
      { metric: 'memory per znode: RSS growth', candidate: per(h, 'rss'), baseline: per(z, 'rss'), unit: 'B', better: 'lower' },
      { metric: `RSS with ${n} znodes`, candidate: h.after.rss / 2 ** 20, baseline: z.after.rss / 2 ** 20, unit: 'MiB', better: 'lower' },
      { metric: `restart to serving (kill -9, ${n} znodes)`, candidate: h.restartMs, baseline: z.restartMs, unit: 'ms', better: 'lower' },
    ],
    notes: [
      'live heap: Herd = V8 heap + external buffers after global.gc(); ZooKeeper = Java heap used after jcmd GC.run (G1, -Xmx1000m)',
      'restart: from spawning the process (JVM start included) to the first successful getData of the last znode on a new session',
    ],
  };
}

async function main(): Promise<void> {
  const config = parseConfig(process.argv.slice(2));
  const started = Date.now();
  const machine = machineLine();
  const loadAtStart = loadLine();
  process.stdout.write(`${machine}\n${loadAtStart}\n`);
  // Every suite but the log's, the rpc's and the tables' compares against ZooKeeper.
  const needsZooKeeper = [...config.suites].some((s) => s !== 'log' && s !== 'rpc' && s !== 'tables' && s !== 'pyro4');
  if (needsZooKeeper && !zookeeperAvailable()) throw new Error('ZooKeeper 3.8 is not installed (apt-get install zookeeper): nothing to compare against');
  const sections: Section[] = [];
  const herdOpts = herdOptions(config);

  if (config.suites.has('server')) {
    const herd = await startHerd(herdOpts);
    const baseline = config.baseline === undefined ? undefined : await startBaseline(config.baseline!, herdOpts);
    try {
      await withServer(startZk, (zk) =>
        // The ceiling (and the baseline) run in the same interleaved rounds, so every figure shows its distance to them.
        withServer(startCeiling, async (ceiling) => {
          const [h, z, c, b] = await compareServers([herd, zk, ceiling, ...(baseline ? [baseline] : [])], config.load, config.rounds);
          sections.push(serverSection(h!, z!, config), ceilingSection(h!, c!, config));
          if (b !== undefined) sections.push(versusBaseline(serverSection(h!, b, config), `Servers: Herd vs ${BASELINE_NAME} (${config.baseline}; same rounds as above)`));
        }),
      );
    } finally {
      await herd.destroy();
      await baseline?.destroy();
    }
  }

  if (config.suites.has('clients')) {
    // ZooKeeper is the issue's target; Herd's faster server shows more of the clients' own ceiling.
    for (const start of [startZk, () => startHerd(herdOpts)]) {
      await withServer(start, async (server) => {
        await prepareNodes(server, config.load.nodeCount, config.load.valueSize);
        sections.push(
          ...(await clientComparison(server, {
            clients: config.load.connections,
            outstanding: config.clientOutstanding,
            warmupMs: config.load.warmupMs,
            durationMs: config.load.durationMs,
            nodeCount: config.load.nodeCount,
            valueSize: config.load.valueSize,
            rounds: config.rounds,
            profileDir: config.profileDir,
            ...(config.baseline === undefined ? {} : { baselineClient: join(config.baseline, 'src', 'client', 'index.js') }),
          })),
        );
      });
    }
  }

  if (config.suites.has('scale')) {
    const scale = (start: () => Promise<BenchServer>): Promise<ScaleFigures> => withServer(start, (s) => measureScale(s, config.znodes, config.load.valueSize));
    if (config.baseline === undefined) {
      const h = await scale(() => startHerd(herdOpts));
      const z = await scale(startZk);
      sections.push(scaleSection(h, z));
    } else {
      // Herd and the baseline alternate, each round on fresh servers; ZooKeeper once, after them.
      const hs: ScaleFigures[] = [];
      const bs: ScaleFigures[] = [];
      for (let round = 0; round < config.rounds; round++) {
        const pair = [() => scale(() => startHerd(herdOpts)).then((f) => hs.push(f)), () => scale(() => startBaseline(config.baseline!, herdOpts)).then((f) => bs.push(f))];
        for (const run of round % 2 === 0 ? pair : pair.reverse()) await run();
      }
      const z = await scale(startZk);
      sections.push(
        scaleSection(bestScale(hs), z),
        versusBaseline(
          { ...scaleSection(bestScale(hs), bestScale(bs)), notes: [] },
          `Scale: Herd vs ${BASELINE_NAME}, ${config.znodes.toLocaleString('en-US')} znodes of 100 bytes (fresh servers, fsync on; best of ${config.rounds} alternating rounds per row)`,
        ),
      );
    }
  }

  if (config.suites.has('recipes')) {
    const herd = await startHerd(herdOpts);
    try {
      await withServer(startZk, async (zk) => {
        const o = { ...DEFAULT_RECIPE_BENCH, rounds: config.rounds };
        const [h, z] = await compareRecipes([herd, zk], o);
        sections.push(recipesSection(h, z, o));
      });
    } finally {
      await herd.destroy();
    }
  }

  if (config.suites.has('cluster')) {
    // The coordination backend on each server; a sharedFs target can be measured with the same code.
    const coordination = (s: BenchServer): FailoverTarget => ({ name: s.name, backend: () => ({ coordination: `${s.host}:${s.port}/herd-bench` }) });
    const o = DEFAULT_CLUSTER_BENCH;
    const h = await withServer(() => startHerd(herdOpts), (s) => measureFailover(coordination(s), o));
    const z = await withServer(startZk, (s) => measureFailover(coordination(s), o));
    sections.push(clusterSection(h, z, 'Herd', 'ZooKeeper', o));
    // The sharedFs backend on a local directory, against the coordination backend on Herd's server.
    const dir = mkdtempSync(join(tmpdir(), 'herd-bench-shared-fs-'));
    try {
      const sharedFs: FailoverTarget = {
        name: 'sharedFs',
        backend: () => ({ sharedFs: dir, heartbeatPort: 0, heartbeatHost: '127.0.0.1', heartbeatBindHost: '127.0.0.1' }),
      };
      const f = await measureFailover(sharedFs, o);
      sections.push({
        ...clusterSection(f, h, 'sharedFs', 'coordination on Herd', o),
        title: "Cluster failover, sharedFs backend (defaults: lease 3 s, margin 0.5 s) vs coordination on Herd's server (session 10 s): SIGKILL of the primary to the successor's onPrimary",
        notes: [
          `${o.trials} trials per size, each a fresh cluster in a local temp directory; members hosted as for the coordination backend, one heartbeat socket each`,
          'anchor: the rest of the dead primary\'s lease (2 to 3 s) + the 0.5 s margin + up to one 250 ms check',
        ],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  if (config.suites.has('log')) {
    if (!config.smoke) sections.push(...(await logStorageSections()));
    sections.push(...(await logBenchSections({ ...(config.smoke ? SMOKE_LOG_BENCH : DEFAULT_LOG_BENCH), profileDir: config.profileDir })));
  }

  if (config.suites.has('rpc')) {
    // Herd's rpc against Moleculer, grpc-js and a raw TCP ping-pong; the servers run in their own processes.
    const o = { ...DEFAULT_RPC_BENCH, rounds: config.rounds, nodeArgs: herdOpts.nodeArgs };
    sections.push(...rpcSections(await benchRpc(o), o));
  }

  if (config.suites.has('tables')) {
    // Herd tables against a Map (reads) and SQLite (transactions), all in this process.
    sections.push(...(await tablesBenchSections(config.smoke ? SMOKE_TABLES_BENCH : DEFAULT_TABLES_BENCH)));
  }

  if (config.suites.has('pyro4')) {
    // A Python Pyro4 caller against Pyro4's own daemon and name server, and against Herd's.
    sections.push(...(await pyro4BenchSections(config.smoke ? SMOKE_PYRO4_BENCH : DEFAULT_PYRO4_BENCH)));
  }

  const out = [machine, `at start: ${loadAtStart}; at end: ${loadLine()}`, ''];
  for (const s of sections) out.push(renderSection(s), '');
  out.push(`bench finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.stdout.write(`\n${out.join('\n')}\n`);
  if (config.profileDir) process.stdout.write(`Herd server CPU profiles: ${config.profileDir}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
