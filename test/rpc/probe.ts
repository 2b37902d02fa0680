/** The object the singleton and retry tests serve (in child processes, singleton-child.ts, and in the test process). */
import { setTimeout as delay } from 'node:timers/promises';
import { callContext } from '../../src/rpc/index.js';

export const PROBE_METHODS = ['whoAmI', 'slowWhoAmI', 'slowAppend'] as const;

/** The served object: who answers, slowly when asked (for a kill mid-call). */
export class Probe {
  readonly appended: string[] = [];
  constructor(readonly label: string) {}
  whoAmI(): { pid: number; label: string } {
    return { pid: process.pid, label: this.label };
  }
  async slowWhoAmI(ms: number): Promise<{ pid: number; label: string }> {
    await delay(ms, undefined, { signal: callContext()?.signal });
    return this.whoAmI();
  }
  async slowAppend(ms: number, value: string): Promise<number> {
    await delay(ms, undefined, { signal: callContext()?.signal });
    return this.appended.push(value);
  }
}
