/**
 * The tree browser: the path as breadcrumbs, and the children of the
 * current znode one page at a time (the backend sorts and filters, so
 * 100,000 children cost the page one request and 200 rows), loaded when a
 * znode is opened. The search box filters the names on the backend.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ActionResults } from '../protocol.js';
import { childPath, errorText, run } from './api.js';

const PAGE = 200;

function Breadcrumbs({ path, onOpen }: { path: string; onOpen: (p: string) => void }) {
  const parts = path === '/' ? [] : path.slice(1).split('/');
  return (
    <nav class="crumbs" data-testid="crumbs">
      <a href="#" onClick={(e) => (e.preventDefault(), onOpen('/'))}>
        /
      </a>
      {parts.map((part, i) => (
        <a href="#" onClick={(e) => (e.preventDefault(), onOpen(`/${parts.slice(0, i + 1).join('/')}`))}>
          {part}/
        </a>
      ))}
    </nav>
  );
}

/** The children of `path`; reloads when `revision` changes (a child came or went). */
export function ChildList({ path, revision, onOpen }: { path: string; revision: number; onOpen: (p: string) => void }) {
  const [filter, setFilter] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<ActionResults['children'] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setOffset(0);
    setFilter('');
  }, [path]);
  useEffect(() => {
    let live = true;
    run('children', { path, offset, limit: PAGE, filter })
      .then((p) => live && (setPage(p), setError(undefined)))
      .catch((err: unknown) => live && setError(errorText(err)));
    return () => {
      live = false;
    };
  }, [path, offset, filter, revision]);
  return (
    <div class="children">
      <Breadcrumbs path={path} onOpen={onOpen} />
      <input data-testid="search" placeholder="filter children" value={filter} onInput={(e) => (setFilter(e.currentTarget.value), setOffset(0))} />
      {error !== undefined && <div class="error" data-testid="children-error">{error}</div>}
      {page !== undefined && page.path === path && (
        <div>
          <div class="count" data-testid="children-count">
            {page.total === 0 ? 'no children' : `${page.offset + 1}-${page.offset + page.names.length} of ${page.total}`}
          </div>
          <ul data-testid="children">
            {page.names.map((name) => (
              <li>
                <a href="#" data-testid="child" onClick={(e) => (e.preventDefault(), onOpen(childPath(path, name)))}>
                  {name}
                </a>
              </li>
            ))}
          </ul>
          <div class="pager">
            <button data-testid="prev" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              previous
            </button>
            <button data-testid="next" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
              next
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
