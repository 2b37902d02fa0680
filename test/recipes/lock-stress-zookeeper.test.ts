// Issue 5's stress test of the lock-like recipes (lock-stress.ts) on real ZooKeeper 3.8.
import { lockStressSuite } from './lock-stress.js';

lockStressSuite('zookeeper');
