/**
 * The dashboard's HTTP protocol: the closed list of typed actions the
 * browser may ask for, and the change events it is pushed. Types only, so
 * the browser bundle (src/dashboard/ui) and the Node backend share one
 * definition without the UI pulling any Node code.
 *
 * `POST /api/action` with an {@link ActionRequest} answers 200 with
 * `{ result }` or an error status with {@link ActionFailure}.
 * `GET /api/events` is a Server-Sent Events stream of {@link DashboardEvent}s:
 * {@link ChangeEvent}s and the session's {@link ServerStateEvent}s.
 * `GET /api/children?path=` streams every child name as NDJSON (one JSON
 * string a line), for lists too big to page through.
 */

/** A Stat as JSON: zxids and the ephemeral owner as hex strings, times as epoch ms (the shell's `--json` form). */
export type StatJson = Record<string, string | number>;

/** One ACL entry: `perms` in zkCli's letters (`cdrwa`). */
export interface AclJson {
  readonly scheme: string;
  readonly id: string;
  readonly perms: string;
}

/** A lock contender as the shell's `locks` view reads it. */
export interface ContenderJson {
  readonly node: string;
  readonly identifier: string;
  readonly session: string;
  readonly kind: string;
  /** The client address of the session (`127.0.0.1:51442`), or null when the server did not tell it. */
  readonly host: string | null;
}

/** A contender of an election or a member of a barrier, as the shell's views read it. */
export interface ParticipantJson {
  readonly node: string;
  readonly identifier: string;
  /** The owning session, `0x...`. */
  readonly session: string;
}

/** One live instance of an rpc service (herd-zk/rpc's InstanceInfo). */
export interface RpcInstanceJson {
  readonly node: string;
  readonly protocol: string;
  readonly version: number;
  readonly address: string;
  readonly identifier: string;
  readonly pid: number;
  readonly methods: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  readonly tls: boolean;
  readonly secret: boolean;
}

/** A log as the shell's `log ls` reads it; times are epoch ms. */
export interface LogSummaryJson {
  readonly name: string;
  readonly ensembleSize: number;
  readonly writeQuorum: number;
  readonly ackQuorum: number;
  readonly segments: number;
  readonly lastSegmentState: string | null;
  readonly firstTimestamp: number | null;
  readonly lastTimestamp: number | null;
}

/** A log segment as the shell's `log status` reads it; `entries` of an OPEN segment are those confirmed so far. */
export interface SegmentJson {
  readonly id: number;
  readonly state: string;
  readonly writer: string;
  readonly entries: number;
  readonly minTimestamp: number | null;
  readonly maxTimestamp: number | null;
  readonly ensembles: readonly { readonly firstEntry: number; readonly nodes: readonly { readonly id: string; readonly live: boolean }[] }[];
  readonly underReplicated: boolean;
  readonly underReplicatedEntries: number;
}

/** A tables cluster as the shell's `tables ls` reads it (herd-zk/tables' TablesStatus). */
export interface TablesJson {
  readonly name: string;
  readonly members: readonly {
    readonly identifier: string;
    readonly weight: number;
    readonly connected: boolean;
    readonly primary: boolean;
    readonly position: { readonly segmentId: number; readonly entryId: number } | null;
    readonly checksum: string | null;
    readonly address: string | null;
  }[];
  readonly connectedWeight: number;
  readonly totalWeight: number;
  readonly quorum: boolean;
  /** The log's truncation mark: the last position removed from the log; null when it was never truncated. */
  readonly truncated: { readonly segmentId: number; readonly entryId: number } | null;
  /** The headline `herd tables status` prints (weights, quorum, truncation mark), from herd-zk/tables' one formatter. */
  readonly headline: string;
}

/** A storage node as the shell's `log nodes` view reads it. */
export interface StorageNodeJson {
  readonly instanceId: string;
  /** `host:port`. */
  readonly address: string;
  /** Its ephemeral registration exists. */
  readonly registered: boolean;
  /** It accepted a TCP connection when read; null when not registered. */
  readonly reachable: boolean | null;
  readonly state: 'up' | 'unreachable' | 'down';
  readonly version: number | null;
  /** Epoch ms; null when down. */
  readonly startedAt: number | null;
}

/** The arguments of each action. */
export interface ActionArgs {
  /** One page of the sorted children of `path` whose names contain `filter`. */
  children: { path: string; offset?: number; limit?: number; filter?: string };
  /** A znode's data, Stat and ACL. */
  node: { path: string };
  /** The holders and waiters of a lock (the shell's `locks` view). */
  locks: { path: string };
  /** A herd-zk/cluster cluster: members, primary, epoch (the shell's `members` view). */
  members: { cluster: string };
  /** The leader and candidates of an Election, LeaderLatch or LeaderSelector (the shell's `election`). */
  election: { path: string };
  /** The items of a Queue or LockingQueue (the shell's `queue`). */
  queue: { path: string };
  /** A Barrier or DoubleBarrier (the shell's `barrier`). */
  barrier: { path: string };
  /** The rpc services and their live instances (the shell's `rpc ls`). */
  rpc: Record<string, never>;
  /** The logs and the live storage nodes (the shell's `log ls`). */
  logs: Record<string, never>;
  /** Every storage node, registered or known by its address's cookie, up or down (the shell's `log nodes`). */
  logNodes: Record<string, never>;
  /** A log's segments (the shell's `log status`). */
  log: { name: string };
  /** The tables clusters with their members (the shell's `tables ls`). */
  tables: Record<string, never>;
  /** One of the admin server's JSON commands, when the dashboard knows one. */
  admin: { command: AdminCommandName };
  create: { path: string; data: string; sequential?: boolean };
  /** `version` -1 (default) matches any version. */
  set: { path: string; data: string; version?: number };
  delete: { path: string; version?: number };
  /** `acl` in zkCli's text form: `world:anyone:cdrwa,digest:bob:hash=:r`. */
  setAcl: { path: string; acl: string; version?: number };
}

/** The admin commands the dashboard reads (sessions, watches, counters). */
export type AdminCommandName = 'mntr' | 'cons' | 'wchc' | 'srvr';

/** What each action answers. */
export interface ActionResults {
  children: { path: string; total: number; offset: number; names: string[]; stat: StatJson };
  /** `data` is base64, or null for a null buffer. */
  node: { path: string; data: string | null; stat: StatJson; acl: AclJson[] };
  /** `hostsFrom`: where the hosts came from: the admin server's `cons`, the `cons` four-letter word, or nowhere (`unknown`). */
  locks: { path: string; holders: ContenderJson[]; waiters: ContenderJson[]; hostsFrom: 'admin' | 'cons' | 'unknown' };
  members: {
    cluster: string;
    members: { identifier: string; address: string; version: string; joinedAt: number }[];
    primary: { identifier: string; epoch: number; since: number } | null;
  };
  election: { path: string; leader: ParticipantJson | null; candidates: ParticipantJson[] };
  queue: {
    path: string;
    locking: boolean;
    /** `data` as the shell's `--json` gives it: `{ text }`, `{ base64 }` or null. */
    items: { name: string; data: { text: string } | { base64: string } | null; takenBy: string | null }[];
  };
  barrier: { path: string; up: boolean; members: ParticipantJson[]; ready: boolean };
  rpc: { name: string; instances: readonly RpcInstanceJson[] }[];
  logs: { logs: LogSummaryJson[]; nodes: { instanceId: string; host: string; port: number; startedAt: number }[] };
  logNodes: { nodes: StorageNodeJson[] };
  log: { name: string; segments: readonly SegmentJson[]; underReplicated: number; liveNodes: readonly string[] };
  tables: { tables: TablesJson[] };
  admin: Record<string, unknown>;
  create: { path: string };
  set: { stat: StatJson };
  delete: Record<string, never>;
  setAcl: { stat: StatJson };
}

/** The name of an action. */
export type ActionName = keyof ActionArgs;

/** The actions that change znodes: refused unless the dashboard allows writes, and run with the caller's digest. */
export type WriteActionName = 'create' | 'set' | 'delete' | 'setAcl';

/** The body of `POST /api/action`. */
export interface ActionRequest<K extends ActionName = ActionName> {
  readonly action: K;
  readonly args: ActionArgs[K];
  /** For a write: the digest credentials `user:password` its session authenticates with. */
  readonly auth?: string;
}

/** An action that failed: `code` is the HerdError code (`NONODE`, `NOAUTH`, ...) or the dashboard's own (`READ_ONLY`, `AUTH_REQUIRED`). */
export interface ActionFailure {
  readonly error: { readonly code: string; readonly message: string };
}

/** A change seen by the dashboard's persistent recursive watch on `/`; `resync` means "read again, events may be lost". */
export interface ChangeEvent {
  readonly type: 'nodeCreated' | 'nodeDeleted' | 'nodeDataChanged' | 'resync';
  readonly path: string;
}

/**
 * The state of the dashboard's own session with the ensemble, pushed on the
 * event stream when it changes (and first when a page subscribes):
 * `disconnected` while the client reconnects (reads fail with
 * CONNECTIONLOSS), `expired` when the session is gone for good.
 */
export interface ServerStateEvent {
  readonly type: 'server';
  readonly state: 'connected' | 'disconnected' | 'expired';
}

/** What `GET /api/events` sends, one per `data:` line. */
export type DashboardEvent = ChangeEvent | ServerStateEvent;

/** `GET /api/info`: what the UI may offer. */
export interface DashboardInfo {
  readonly allowWrites: boolean;
  /** True when admin commands (sessions, watches, metrics) can be read. */
  readonly admin: boolean;
  readonly connectionString: string;
}
