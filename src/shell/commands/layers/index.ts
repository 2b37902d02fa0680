/** The layer views: what herd-zk/rpc, herd-zk/log and herd-zk/tables keep in the coordination service. */
import type { ShellCommand } from '../../command.js';
import { log } from './log.js';
import { rpc } from './rpc.js';
import { tables } from './tables.js';

export const layerViews: readonly ShellCommand[] = [rpc, log, tables];
