/**
 * The dashboard's HTTP protocol: the closed list of typed actions the
 * browser may ask for, and the change events it is pushed. Types only, so
 * the browser bundle (src/dashboard/ui) and the Node backend share one
 * definition without the UI pulling any Node code.
 *
 * `POST /api/action` with an {@link ActionRequest} answers 200 with
 * `{ result }` or an error status with {@link ActionFailure}.
 * `GET /api/events` is a Server-Sent Events stream of {@link ChangeEvent}s.
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
  locks: { path: string; holders: ContenderJson[]; waiters: ContenderJson[] };
  members: {
    cluster: string;
    members: { identifier: string; address: string; version: string; joinedAt: number }[];
    primary: { identifier: string; epoch: number; since: number } | null;
  };
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

/** `GET /api/info`: what the UI may offer. */
export interface DashboardInfo {
  readonly allowWrites: boolean;
  /** True when admin commands (sessions, watches, metrics) can be read. */
  readonly admin: boolean;
  readonly connectionString: string;
}
