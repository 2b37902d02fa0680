/**
 * Prometheus helpers shared by every process kind that serves `/metrics`
 * (Herd's server, a log storage node).
 */
import { Gauge, type Registry } from 'prom-client';

/**
 * A gauge registered in `registry` whose value `read` gives at each scrape
 * (prom-client's collect hook), so the state it reports stays where it
 * lives instead of being copied into the metric on every change.
 */
export function scrapedGauge(registry: Registry, name: string, help: string, read: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}
