// Issue 5's stress test of the lock-like recipes (lock-stress.ts) on Herd's server.
import { lockStressSuite } from './lock-stress.js';

lockStressSuite('herd');
