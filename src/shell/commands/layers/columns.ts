/** Aligned columns for the layer views, as the `herd log|tables|rpc` commands print theirs. */
import { CommandUsageError } from '../../errors.js';

/** Rows padded to their widest cell, two spaces apart, the first row being the header. */
export function columns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/** `n word(s)`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** An epoch-ms time in ISO 8601, `-` when unknown. */
export function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

/**
 * The subcommand a layer view was given (`log status orders`): its name and
 * arguments, checked against `arities` (subcommand → arguments it needs).
 *
 * @throws CommandUsageError with `usage` for an unknown subcommand or a missing argument
 */
export function subcommand<S extends string>(args: readonly string[], arities: Readonly<Record<S, number>>, usage: string): [S, readonly string[]] {
  const [name, ...rest] = args;
  if (name === undefined || !Object.hasOwn(arities, name) || rest.length < arities[name as S]) throw new CommandUsageError(usage);
  return [name as S, rest];
}
