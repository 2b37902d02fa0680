/** Herd's tools beyond zkCli, in the order `help` lists them. */
import type { ShellCommand } from '../../command.js';
import { du, find, grep, tree } from './browse.js';
import { cp, diff, mirror } from './copy.js';
import { jsonGet, jsonSet } from './json.js';

export const tools: readonly ShellCommand[] = [tree, find, grep, du, cp, mirror, diff, jsonGet, jsonSet];
