/** The data viewer (text, pretty JSON, hex) with the Stat and ACL panes, and the write forms when writes are allowed. */
import { useEffect, useState } from 'preact/hooks';
import type { ActionResults } from '../protocol.js';
import { errorText, run } from './api.js';
import { cut, decode, defaultMode, hexDump, HEX_LIMIT, prettyJson, TEXT_LIMIT, type DataMode } from './data.js';

type NodeResult = ActionResults['node'];

function DataPane({ node }: { node: NodeResult }) {
  const data = node.data === null ? undefined : decode(node.data);
  const [mode, setMode] = useState<DataMode>(data === undefined ? 'text' : defaultMode(data));
  useEffect(() => setMode(data === undefined ? 'text' : defaultMode(data)), [node.path]);
  if (data === undefined) return <pre data-testid="data" class="data">(null)</pre>;
  const notes: string[] = [];
  let shown: string;
  if (mode === 'hex' || data.text === undefined) {
    if (data.text === undefined) notes.push(`binary: not valid UTF-8 (${data.bytes.length} bytes)`);
    if (data.bytes.length > HEX_LIMIT) notes.push(`showing the first ${HEX_LIMIT} of ${data.bytes.length} bytes`);
    shown = hexDump(data.bytes);
  } else {
    let text = data.text;
    if (mode === 'json') {
      const pretty = prettyJson(text);
      if (pretty.ok) text = pretty.text;
      else notes.push(pretty.reason);
    }
    const c = cut(text, TEXT_LIMIT);
    if (c.cut > 0) notes.push(`showing the first ${TEXT_LIMIT} of ${text.length} characters`);
    shown = c.text;
  }
  return (
    <div>
      <div class="modes">
        {(['text', 'json', 'hex'] as const).map((m) => (
          <button data-testid={`mode-${m}`} class={m === mode ? 'on' : ''} disabled={m !== 'hex' && data.text === undefined} onClick={() => setMode(m)}>
            {m}
          </button>
        ))}
        <span class="size">{data.bytes.length} bytes</span>
      </div>
      {notes.map((n) => (
        <div class="note" data-testid="data-note">
          {n}
        </div>
      ))}
      <pre data-testid="data" class="data">
        {shown}
      </pre>
    </div>
  );
}

function WriteForms({ node, onDone }: { node: NodeResult; onDone: (message: string) => void }) {
  const [auth, setAuth] = useState('');
  const [data, setData] = useState(node.data === null ? '' : (decode(node.data).text ?? ''));
  const [child, setChild] = useState('');
  const [acl, setAcl] = useState(node.acl.map((a) => `${a.scheme}:${a.id}:${a.perms}`).join(','));
  const act = (p: Promise<unknown>, what: string): void => {
    p.then(() => onDone(`${what}: done`)).catch((err: unknown) => onDone(`${what}: ${errorText(err)}`));
  };
  const version = Number(node.stat['version']);
  return (
    <div class="writes" data-testid="writes">
      <label>
        digest user:password <input data-testid="auth" type="password" value={auth} onInput={(e) => setAuth(e.currentTarget.value)} />
      </label>
      <textarea data-testid="edit-data" value={data} onInput={(e) => setData(e.currentTarget.value)} />
      <button data-testid="set" onClick={() => act(run('set', { path: node.path, data, version }, auth), 'set')}>
        set data
      </button>
      <div>
        <input data-testid="child-name" placeholder="child name" value={child} onInput={(e) => setChild(e.currentTarget.value)} />
        <button data-testid="create" onClick={() => act(run('create', { path: node.path === '/' ? `/${child}` : `${node.path}/${child}`, data: '' }, auth), 'create')}>
          create child
        </button>
      </div>
      <div>
        <input data-testid="acl" value={acl} onInput={(e) => setAcl(e.currentTarget.value)} />
        <button data-testid="set-acl" onClick={() => act(run('setAcl', { path: node.path, acl }, auth), 'setAcl')}>
          set ACL
        </button>
      </div>
      <button data-testid="delete" class="danger" onClick={() => act(run('delete', { path: node.path, version }, auth), 'delete')}>
        delete {node.path}
      </button>
    </div>
  );
}

/** The selected znode: reloads when `revision` changes (a live change to it). */
export function NodeView({ path, revision, allowWrites }: { path: string; revision: number; allowWrites: boolean }) {
  const [node, setNode] = useState<NodeResult | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    run('node', { path })
      .then((n) => live && (setNode(n), setError(undefined)))
      .catch((err: unknown) => live && (setNode(undefined), setError(errorText(err))));
    return () => {
      live = false;
    };
  }, [path, revision]);
  if (error !== undefined) return <div class="error" data-testid="node-error">{error}</div>;
  if (node === undefined || node.path !== path) return <div class="loading">loading {path}</div>;
  return (
    <div class="node" data-testid="node">
      <h2 data-testid="node-path">{node.path}</h2>
      <DataPane node={node} />
      <div class="panes">
        <table data-testid="stat">
          <caption>Stat</caption>
          {Object.entries(node.stat).map(([k, v]) => (
            <tr>
              <th>{k}</th>
              <td data-testid={`stat-${k}`}>{k.endsWith('time') && typeof v === 'number' ? new Date(v).toISOString() : String(v)}</td>
            </tr>
          ))}
        </table>
        <table data-testid="acl-table">
          <caption>ACL</caption>
          {node.acl.map((a) => (
            <tr>
              <th>{a.scheme}</th>
              <td>{a.id}</td>
              <td>{a.perms}</td>
            </tr>
          ))}
        </table>
      </div>
      {message !== undefined && <div class="message" data-testid="write-message">{message}</div>}
      {allowWrites ? <WriteForms node={node} onDone={setMessage} /> : <div class="note" data-testid="read-only">read-only dashboard (herd dashboard --allow-writes enables editing)</div>}
    </div>
  );
}
