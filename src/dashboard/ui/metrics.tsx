/**
 * Metrics charts (uPlot): requests/s, average latency, outstanding
 * requests, znode count and connections, sampled from the admin server's
 * `mntr` JSON every two seconds while the view is open.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { errorText, run } from './api.js';

const SAMPLE_INTERVAL = 2000;
/** Samples kept per chart: ten minutes. */
const KEEP = 300;

interface Series {
  readonly key: string;
  readonly title: string;
  /** The value of one sample, given the previous `mntr` and the seconds between them. */
  readonly value: (now: Record<string, unknown>, before: Record<string, unknown> | undefined, seconds: number) => number | null;
}

const num = (m: Record<string, unknown> | undefined, k: string): number | null => (m !== undefined && typeof m[k] === 'number' ? (m[k] as number) : null);

const SERIES: readonly Series[] = [
  {
    key: 'requests',
    title: 'requests/s',
    value: (now, before, s) => {
      const a = num(now, 'packets_received');
      const b = num(before, 'packets_received');
      return a === null || b === null || s <= 0 ? null : Math.max(0, (a - b) / s);
    },
  },
  { key: 'latency', title: 'average latency (ms)', value: (now) => num(now, 'avg_latency') },
  { key: 'outstanding', title: 'outstanding requests', value: (now) => num(now, 'outstanding_requests') },
  { key: 'znodes', title: 'znodes', value: (now) => num(now, 'znode_count') },
  { key: 'connections', title: 'connections', value: (now) => num(now, 'num_alive_connections') },
];

function Chart({ title, id, times, values }: { title: string; id: string; times: number[]; values: (number | null)[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    plot.current = new uPlot({ title, width: 420, height: 180, series: [{}, { label: title, stroke: '#2a6fdb', width: 2 }] }, [[], []], box.current!);
    return () => plot.current?.destroy();
  }, []);
  useEffect(() => plot.current?.setData([times, values]), [times.length, times[times.length - 1]]);
  return <div class="chart" data-testid={`chart-${id}`} ref={box} />;
}

export function MetricsView() {
  const [samples, setSamples] = useState<{ at: number; values: (number | null)[] }[]>([]);
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let before: { at: number; m: Record<string, unknown> } | undefined;
    const sample = (): void => {
      run('admin', { command: 'mntr' })
        .then((m) => {
          const at = Date.now() / 1000;
          const values = SERIES.map((s) => s.value(m, before?.m, before === undefined ? 0 : at - before.at));
          before = { at, m };
          setSamples((old) => [...old.slice(-(KEEP - 1)), { at, values }]);
          setError(undefined);
        })
        .catch((err: unknown) => setError(errorText(err)));
    };
    sample();
    const timer = setInterval(sample, SAMPLE_INTERVAL);
    return () => clearInterval(timer);
  }, []);
  const times = samples.map((s) => s.at);
  return (
    <section data-testid="metrics-view" data-samples={samples.length}>
      {error !== undefined && <div class="error">{error}</div>}
      <div class="charts">
        {SERIES.map((s, i) => (
          <Chart title={s.title} id={s.key} times={times} values={samples.map((x) => x.values[i] ?? null)} />
        ))}
      </div>
    </section>
  );
}
