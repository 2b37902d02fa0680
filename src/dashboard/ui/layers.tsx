/**
 * The layer views (the shell's `rpc ls`, `log ls|status` and `tables ls`):
 * rpc services with their instances, tags and methods; logs with their
 * segments, copies and under-replicated count; tables clusters with their
 * members, weights, quorum, applied positions and checksums. Each re-reads
 * at `revision`, i.e. when a change under the ensemble's root was seen.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ActionResults, SegmentJson, StorageNodeJson } from '../protocol.js';
import { errorText, run } from './api.js';
import { iso, LookupForm, useLookup } from './views.js';

/** What `load` answers, read again at each `revision`. */
function useLoad<T>(load: () => Promise<T>, revision: number): [T | undefined, string | undefined] {
  const [value, setValue] = useState<T | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    load()
      .then((v) => live && (setValue(v), setError(undefined)))
      .catch((err: unknown) => live && setError(errorText(err)));
    return () => {
      live = false;
    };
  }, [revision]);
  return [value, error];
}

const tags = (t: Readonly<Record<string, string>>): string => Object.entries(t).map(([k, v]) => `${k}=${v}`).join(', ') || '-';

export function RpcView({ revision }: { revision: number }) {
  const [services, error] = useLoad(() => run('rpc', {}), revision);
  return (
    <section data-testid="rpc-view">
      {error !== undefined && <div class="error">{error}</div>}
      {services?.length === 0 && <p>no services</p>}
      {services?.map((s) => (
        <table data-testid="service">
          <caption>{`${s.name}: ${s.instances.length === 0 ? 'no live instance' : `${s.instances.length} instance${s.instances.length === 1 ? '' : 's'}`}`}</caption>
          <tr>
            <th>address</th>
            <th>identifier</th>
            <th>pid</th>
            <th>protocol</th>
            <th>tags</th>
            <th>methods</th>
          </tr>
          {s.instances.map((i) => (
            <tr data-testid="instance">
              <td>{i.address}</td>
              <td>{i.identifier || '-'}</td>
              <td>{String(i.pid)}</td>
              <td>{`${i.protocol}/${i.version}${i.tls ? ' tls' : ''}${i.secret ? ' secret' : ''}`}</td>
              <td>{tags(i.tags)}</td>
              <td>{i.methods.join(', ') || '-'}</td>
            </tr>
          ))}
        </table>
      ))}
    </section>
  );
}

function Segments({ status }: { status: ActionResults['log'] }) {
  const ensembles = (s: SegmentJson): string => s.ensembles.map((e) => `${e.firstEntry}: ${e.nodes.map((n) => (n.live ? n.id : `${n.id} (not live)`)).join(', ')}`).join('; ');
  return (
    <table data-testid="segments">
      <caption data-testid="log-summary">{`log ${status.name}: ${status.segments.length} segments, ${status.underReplicated} under-replicated`}</caption>
      <tr>
        <th>segment</th>
        <th>state</th>
        <th>writer</th>
        <th>entries</th>
        <th>last entry</th>
        <th>under-replicated entries</th>
        <th>from</th>
        <th>to</th>
        <th>ensembles (first entry: nodes)</th>
      </tr>
      {status.segments.map((s) => (
        <tr data-testid="segment" class={s.underReplicated ? 'danger' : ''}>
          <td>{String(s.id)}</td>
          <td>{s.state}</td>
          <td>{s.writer}</td>
          <td>{s.state === 'CLOSED' ? String(s.entries) : `${s.entries} so far`}</td>
          <td>{s.entries === 0 ? '-' : String(s.entries - 1)}</td>
          <td>{String(s.underReplicatedEntries)}</td>
          <td>{iso(s.minTimestamp)}</td>
          <td>{iso(s.maxTimestamp)}</td>
          <td>{ensembles(s)}</td>
        </tr>
      ))}
    </table>
  );
}

function StorageNodes({ nodes }: { nodes: readonly StorageNodeJson[] }) {
  return (
    <table data-testid="storage-nodes">
      <caption>{`${nodes.length} storage nodes, ${nodes.filter((n) => n.state === 'up').length} up`}</caption>
      <tr>
        <th>node</th>
        <th>address</th>
        <th>state</th>
        <th>registered</th>
        <th>version</th>
        <th>started</th>
      </tr>
      {nodes.map((n) => (
        <tr data-testid="storage-node" class={n.state === 'up' ? '' : 'danger'}>
          <td>{n.instanceId}</td>
          <td>{n.address}</td>
          <td>{n.state}</td>
          <td>{n.registered ? 'yes' : 'no'}</td>
          <td>{n.version === null ? '-' : String(n.version)}</td>
          <td>{iso(n.startedAt)}</td>
        </tr>
      ))}
    </table>
  );
}

export function LogView({ revision }: { revision: number }) {
  const [logs, listError] = useLoad(() => run('logs', {}), revision);
  const [nodes, nodesError] = useLoad(() => run('logNodes', {}), revision);
  const [key, setKey, status, error, show] = useLookup((name) => run('log', { name }), revision);
  return (
    <section data-testid="log-view">
      {listError !== undefined && <div class="error">{listError}</div>}
      {logs !== undefined && (
        <table data-testid="logs">
          <caption>{`${logs.logs.length} logs, ${logs.nodes.length} live storage nodes`}</caption>
          <tr>
            <th>log</th>
            <th>E/W/A</th>
            <th>segments</th>
            <th>last segment</th>
            <th>first</th>
            <th>last</th>
          </tr>
          {logs.logs.map((l) => (
            <tr data-testid="log">
              <td>
                <a href="#" onClick={(e) => (e.preventDefault(), setKey(l.name), show(l.name))}>
                  {l.name}
                </a>
              </td>
              <td>{`${l.ensembleSize}/${l.writeQuorum}/${l.ackQuorum}`}</td>
              <td>{String(l.segments)}</td>
              <td>{l.lastSegmentState ?? '-'}</td>
              <td>{iso(l.firstTimestamp)}</td>
              <td>{iso(l.lastTimestamp)}</td>
            </tr>
          ))}
        </table>
      )}
      {nodesError !== undefined && <div class="error">{nodesError}</div>}
      {nodes !== undefined && <StorageNodes nodes={nodes.nodes} />}
      <LookupForm label="log name" value={key} setValue={setKey} onSubmit={show} id="log" />
      {error !== undefined && <div class="error">{error}</div>}
      {status !== undefined && <Segments status={status} />}
    </section>
  );
}

const position = (p: { segmentId: number; entryId: number } | null): string => (p === null ? '-' : `${p.segmentId}:${p.entryId}`);

export function TablesView({ revision }: { revision: number }) {
  const [all, error] = useLoad(() => run('tables', {}), revision);
  return (
    <section data-testid="tables-view">
      {error !== undefined && <div class="error">{error}</div>}
      {all?.tables.length === 0 && <p>no tables</p>}
      {all?.tables.map((t) => (
        <table data-testid="tables-cluster">
          <caption>{t.headline}</caption>
          <tr>
            <th />
            <th>identifier</th>
            <th>weight</th>
            <th>state</th>
            <th>applied</th>
            <th>checksum</th>
            <th>address</th>
          </tr>
          {t.members.map((m) => (
            <tr data-testid="tables-member">
              <td>{m.primary ? '★' : ''}</td>
              <td>{m.identifier}</td>
              <td>{String(m.weight)}</td>
              <td>{m.connected ? 'connected' : 'disconnected'}</td>
              <td>{position(m.position)}</td>
              <td title={m.checksum ?? ''}>{m.checksum === null ? '-' : m.checksum.slice(0, 16)}</td>
              <td>{m.address ?? '-'}</td>
            </tr>
          ))}
        </table>
      ))}
    </section>
  );
}
