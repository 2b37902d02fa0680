/** The recipe views: what the znodes of Herd's recipes and cluster mean. */
import type { ShellCommand } from '../../command.js';
import { barrier } from './barrier.js';
import { election } from './election.js';
import { locks } from './locks.js';
import { members } from './members.js';
import { queue } from './queue.js';

export const views: readonly ShellCommand[] = [locks, election, members, queue, barrier];
