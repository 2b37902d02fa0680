/** The browser side of the dashboard's protocol (../protocol.ts): one function per route. */
import type { ActionArgs, ActionFailure, ActionName, ActionResults, ChangeEvent, DashboardEvent, DashboardInfo, ServerStateEvent } from '../protocol.js';

/** An action the backend refused: `code` is the HerdError code (NONODE, READ_ONLY, ...). */
export class ActionError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Runs one action; rejects with ActionError. */
export async function run<K extends ActionName>(action: K, args: ActionArgs[K], auth?: string): Promise<ActionResults[K]> {
  const res = await fetch('/api/action', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action, args, ...(auth === undefined ? {} : { auth }) }),
  });
  const body = (await res.json()) as { result: ActionResults[K] } | ActionFailure;
  if ('error' in body) throw new ActionError(body.error.code, body.error.message);
  return body.result;
}

export async function info(): Promise<DashboardInfo> {
  return (await fetch('/api/info')).json() as Promise<DashboardInfo>;
}

/**
 * Calls `onChange` for each change the backend's watch sees, `onServer` with
 * the backend session's state, and `onState` with whether the stream is up;
 * returns the unsubscribe.
 */
export function subscribe(onChange: (e: ChangeEvent) => void, onState: (live: boolean) => void, onServer: (state: ServerStateEvent['state']) => void): () => void {
  const source = new EventSource('/api/events');
  source.onmessage = (m: MessageEvent<string>) => {
    const event = JSON.parse(m.data) as DashboardEvent;
    if (event.type === 'server') onServer(event.state);
    else onChange(event);
  };
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  return () => source.close();
}

export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

export function errorText(err: unknown): string {
  return err instanceof ActionError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
}
