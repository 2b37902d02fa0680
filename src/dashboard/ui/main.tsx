/**
 * The dashboard's browser UI (Preact): tabs for the tree, the cluster, the
 * recipes (locks, election, queue, barrier), the layers (log, tables, rpc),
 * the server's sessions and watches, and metrics. Everything shown
 * is rendered as text by Preact (no innerHTML anywhere), so znode names and
 * data cannot inject markup.
 */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChangeEvent, DashboardInfo, ServerStateEvent } from '../protocol.js';
import { info as readInfo, parentPath, subscribe } from './api.js';
import { MetricsView } from './metrics.js';
import { NodeView } from './node-view.js';
import { ChildList } from './tree.js';
import { LogView, RpcView, TablesView } from './layers.js';
import { BarrierView, ClusterView, ElectionView, LocksView, QueueView, ServerView } from './views.js';
import './style.css';

type Tab = 'tree' | 'cluster' | 'locks' | 'election' | 'queue' | 'barrier' | 'log' | 'tables' | 'rpc' | 'server' | 'metrics';

/** How long changes are gathered before the views read again, in ms: a burst of 10,000 creates costs one re-read. */
const SETTLE = 250;

function App() {
  const [info, setInfo] = useState<DashboardInfo | undefined>();
  const [tab, setTab] = useState<Tab>('tree');
  const [path, setPath] = useState(decodeURIComponent(location.hash.slice(1)) || '/');
  const [live, setLive] = useState(false);
  const [server, setServer] = useState<ServerStateEvent['state']>('connected');
  // Bumped when a change touches what is shown: the views read again.
  const [childRevision, setChildRevision] = useState(0);
  const [nodeRevision, setNodeRevision] = useState(0);
  const [anyRevision, setAnyRevision] = useState(0);
  const pathRef = useRef(path);
  pathRef.current = path;
  useEffect(() => void readInfo().then(setInfo), []);
  // The path is in the URL's hash, so a view can be bookmarked and the back button walks the tree.
  useEffect(() => {
    const follow = (): void => setPath(decodeURIComponent(location.hash.slice(1)) || '/');
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  useEffect(() => {
    let pending: ChangeEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
      timer = undefined;
      const p = pathRef.current;
      const batch = pending;
      pending = [];
      if (batch.some((e) => e.type === 'resync' || e.path === p)) setNodeRevision((r) => r + 1);
      if (batch.some((e) => e.type === 'resync' || (e.type !== 'nodeDataChanged' && parentPath(e.path) === p))) setChildRevision((r) => r + 1);
      setAnyRevision((r) => r + 1);
    };
    return subscribe((e) => {
      pending.push(e);
      timer ??= setTimeout(flush, SETTLE);
    }, setLive, setServer);
  }, []);
  const open = (p: string): void => {
    location.hash = encodeURIComponent(p);
  };
  const tabs: Tab[] = ['tree', 'cluster', 'locks', 'election', 'queue', 'barrier', 'log', 'tables', 'rpc', ...(info?.admin === true ? (['server', 'metrics'] as const) : [])];
  return (
    <div class="app">
      <header>
        <h1>Herd</h1>
        <span data-testid="connection">{info?.connectionString ?? ''}</span>
        <span data-testid="live" class={live ? 'live on' : 'live'}>
          {live ? 'live' : 'not live'}
        </span>
        <span data-testid="server-state" class={server === 'connected' ? 'live on' : 'live'}>
          {server === 'connected' ? 'server connected' : server === 'disconnected' ? 'server unreachable: reconnecting' : 'session expired'}
        </span>
        <span data-testid="mode">{info === undefined ? '' : info.allowWrites ? 'writes allowed' : 'read-only'}</span>
        <nav class="tabs">
          {tabs.map((t) => (
            <button data-testid={`tab-${t}`} class={t === tab ? 'on' : ''} onClick={() => setTab(t)}>
              {t}
            </button>
          ))}
        </nav>
      </header>
      <main>
        {tab === 'tree' && (
          <div class="tree">
            <ChildList path={path} revision={childRevision} onOpen={open} />
            <NodeView path={path} revision={nodeRevision} allowWrites={info?.allowWrites === true} />
          </div>
        )}
        {tab === 'cluster' && <ClusterView revision={anyRevision} />}
        {tab === 'locks' && <LocksView revision={anyRevision} />}
        {tab === 'election' && <ElectionView revision={anyRevision} />}
        {tab === 'queue' && <QueueView revision={anyRevision} />}
        {tab === 'barrier' && <BarrierView revision={anyRevision} />}
        {tab === 'log' && <LogView revision={anyRevision} />}
        {tab === 'tables' && <TablesView revision={anyRevision} />}
        {tab === 'rpc' && <RpcView revision={anyRevision} />}
        {tab === 'server' && <ServerView revision={anyRevision} />}
        {tab === 'metrics' && <MetricsView />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
