/**
 * The recipe views (the shell's `members`, `locks`, `election`, `queue` and
 * `barrier`) and the server's sessions and watches (admin commands).
 */
import { useEffect, useState } from 'preact/hooks';
import type { ActionResults, ContenderJson, ParticipantJson } from '../protocol.js';
import { errorText, run } from './api.js';

/** An epoch-ms time in ISO 8601; `-` for none (0 or null). */
export const iso = (ms: number | null): string => (ms !== null && ms > 0 ? new Date(ms).toISOString() : '-');

/** Asks for a path or name, then shows what `load` returns for it, again at each `revision`. */
export function useLookup<T>(load: (key: string) => Promise<T>, revision: number): [string, (k: string) => void, T | undefined, string | undefined, (k: string) => void] {
  const [key, setKey] = useState('');
  const [shown, setShown] = useState('');
  const [value, setValue] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    if (shown === '') return;
    let live = true;
    load(shown)
      .then((v) => live && (setValue(v), setError(undefined)))
      .catch((err: unknown) => live && (setValue(undefined), setError(errorText(err))));
    return () => {
      live = false;
    };
  }, [shown, revision]);
  return [key, setKey, value, error, setShown];
}

export function LookupForm({ label, value, setValue, onSubmit, id }: { label: string; value: string; setValue: (v: string) => void; onSubmit: (v: string) => void; id: string }) {
  return (
    <form onSubmit={(e) => (e.preventDefault(), onSubmit(value))}>
      <input data-testid={`${id}-input`} placeholder={label} value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      <button data-testid={`${id}-show`} type="submit">
        show
      </button>
    </form>
  );
}

export function ClusterView({ revision }: { revision: number }) {
  const [key, setKey, view, error, show] = useLookup((cluster) => run('members', { cluster }), revision);
  return (
    <section data-testid="cluster-view">
      <LookupForm label="cluster name" value={key} setValue={setKey} onSubmit={show} id="cluster" />
      {error !== undefined && <div class="error">{error}</div>}
      {view !== undefined && <Members view={view} />}
    </section>
  );
}

function Members({ view }: { view: ActionResults['members'] }) {
  const p = view.primary;
  return (
    <div>
      <p data-testid="primary">{p === null ? 'no primary' : `primary ${p.identifier}, epoch ${p.epoch}, since ${iso(p.since)}`}</p>
      <table data-testid="members">
        <tr>
          <th />
          <th>identifier</th>
          <th>address</th>
          <th>version</th>
          <th>joined</th>
        </tr>
        {view.members.map((m) => (
          <tr>
            <td>{p?.identifier === m.identifier ? '★' : ''}</td>
            <td>{m.identifier}</td>
            <td>{m.address || '-'}</td>
            <td>{m.version}</td>
            <td>{iso(m.joinedAt)}</td>
          </tr>
        ))}
      </table>
    </div>
  );
}

/** A session id of an admin server's JSON (an exact decimal string) as `0x...`. */
function sessionHex(id: unknown): string {
  try {
    return typeof id === 'string' || typeof id === 'number' ? `0x${BigInt(id).toString(16)}` : '-';
  } catch {
    return String(id);
  }
}

function Contenders({ rows, role }: { rows: ContenderJson[]; role: string }) {
  return (
    <>
      {rows.map((c) => (
        <tr data-testid={role}>
          <td>{role}</td>
          <td>{c.identifier || '-'}</td>
          <td>{c.kind}</td>
          <td>{c.session}</td>
          <td data-testid="host">{c.host ?? 'unknown'}</td>
          <td>{c.node}</td>
        </tr>
      ))}
    </>
  );
}

export function LocksView({ revision }: { revision: number }) {
  const [key, setKey, view, error, show] = useLookup((path) => run('locks', { path }), revision);
  return (
    <section data-testid="locks-view">
      <LookupForm label="lock path" value={key} setValue={setKey} onSubmit={show} id="lock" />
      {error !== undefined && <div class="error">{error}</div>}
      {view !== undefined && (
        <table data-testid="contenders">
          <caption>
            {view.holders.length === 0 ? `${view.path}: free` : `${view.path}: held, ${view.waiters.length} waiting`}
            {view.holders.length > 0 && view.hostsFrom === 'unknown' && (
              <span data-testid="hosts-unknown"> (hosts unknown: the server refuses the cons four-letter word and the dashboard knows no admin server, --admin-url)</span>
            )}
          </caption>
          <Contenders rows={view.holders} role="holder" />
          <Contenders rows={view.waiters} role="waiter" />
        </table>
      )}
    </section>
  );
}

function Participants({ rows, role }: { rows: readonly ParticipantJson[]; role: (i: number) => string }) {
  return (
    <>
      {rows.map((c, i) => (
        <tr data-testid={role(i)}>
          <td>{role(i)}</td>
          <td>{c.identifier || '-'}</td>
          <td>{c.session}</td>
          <td>{c.node}</td>
        </tr>
      ))}
    </>
  );
}

/** A lookup by path whose answer `show` renders. */
function PathView<T>({ id, label, load, show, revision }: { id: string; label: string; load: (path: string) => Promise<T>; show: (v: T) => preact.JSX.Element; revision: number }) {
  const [key, setKey, value, error, submit] = useLookup(load, revision);
  return (
    <section data-testid={`${id}-view`}>
      <LookupForm label={label} value={key} setValue={setKey} onSubmit={submit} id={id} />
      {error !== undefined && <div class="error">{error}</div>}
      {value !== undefined && show(value)}
    </section>
  );
}

export function ElectionView({ revision }: { revision: number }) {
  return (
    <PathView id="election" label="election path" revision={revision} load={(path) => run('election', { path })} show={(v) => (
      <table data-testid="election">
        <caption>{v.leader === null ? `${v.path}: no leader` : `${v.path}: leader ${v.leader.identifier || '-'}, ${v.candidates.length} candidates`}</caption>
        <Participants rows={v.leader === null ? [] : [v.leader, ...v.candidates]} role={(i) => (i === 0 ? 'leader' : 'candidate')} />
      </table>
    )} />
  );
}

const dataText = (d: ActionResults['queue']['items'][number]['data']): string => (d === null ? 'null' : 'text' in d ? d.text : `base64 ${d.base64}`);

export function QueueView({ revision }: { revision: number }) {
  return (
    <PathView id="queue" label="queue path" revision={revision} load={(path) => run('queue', { path })} show={(v) => (
      <table data-testid="queue">
        <caption>{`${v.locking ? 'locking queue' : 'queue'} ${v.path}: ${v.items.length} items`}</caption>
        {v.items.map((i) => (
          <tr data-testid="item">
            <td>{i.name}</td>
            <td class="cut">{dataText(i.data).slice(0, 200)}</td>
            <td>{i.takenBy === null ? '' : `taken by ${i.takenBy}`}</td>
          </tr>
        ))}
      </table>
    )} />
  );
}

export function BarrierView({ revision }: { revision: number }) {
  return (
    <PathView id="barrier" label="barrier path" revision={revision} load={(path) => run('barrier', { path })} show={(v) => (
      <table data-testid="barrier">
        <caption>{v.up ? `${v.path}: up, ${v.members.length} members${v.ready ? ', ready' : ''}` : `${v.path}: down (no node)`}</caption>
        <Participants rows={v.members} role={() => 'member'} />
      </table>
    )} />
  );
}

/** Sessions (`cons`) and watches (`wchc`) from the admin server. */
export function ServerView({ revision }: { revision: number }) {
  const [cons, setCons] = useState<Record<string, unknown> | undefined>();
  const [wchc, setWchc] = useState<Record<string, unknown> | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    Promise.all([run('admin', { command: 'cons' }), run('admin', { command: 'wchc' })])
      .then(([c, w]) => (setCons(c), setWchc(w), setError(undefined)))
      .catch((err: unknown) => setError(errorText(err)));
  }, [revision]);
  const connections = (cons?.['connections'] as Record<string, unknown>[] | undefined) ?? [];
  const watches = (wchc?.['session_id_to_watched_paths'] as Record<string, string[]> | undefined) ?? {};
  return (
    <section data-testid="server-view">
      {error !== undefined && <div class="error">{error}</div>}
      <h3>Sessions</h3>
      <table data-testid="sessions">
        <tr>
          <th>session</th>
          <th>remote</th>
          <th>timeout (ms)</th>
          <th>queued</th>
          <th>received</th>
          <th>sent</th>
        </tr>
        {connections.map((c) => (
          <tr data-testid="session">
            <td>{sessionHex(c['session_id'])}</td>
            <td>{String(c['remote_socket_address'] ?? '-')}</td>
            <td>{String(c['session_timeout'] ?? '-')}</td>
            <td>{String(c['outstanding_requests'] ?? '-')}</td>
            <td>{String(c['packets_received'] ?? '-')}</td>
            <td>{String(c['packets_sent'] ?? '-')}</td>
          </tr>
        ))}
      </table>
      <h3>Watches</h3>
      <table data-testid="watches">
        {Object.entries(watches).map(([sid, paths]) => (
          <tr data-testid="watch">
            <td>0x{BigInt(sid).toString(16)}</td>
            <td>{paths.join(', ')}</td>
          </tr>
        ))}
      </table>
    </section>
  );
}
