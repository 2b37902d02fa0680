/**
 * Serpent, Pyro4's default serializer: a value is written as a Python
 * literal expression (UTF-8, after a `# serpent utf-8 python3.2` comment
 * line) and read back with Python's `ast.literal_eval`. Here it is parsed by
 * a recursive descent parser of that literal subset of Python, never
 * evaluated, with limits on size and nesting.
 *
 * Values, Python to TypeScript (decode) and back (encode):
 *
 * | Python | TypeScript |
 * |---|---|
 * | `None` | `null` (`undefined` encodes as `None`) |
 * | `bool` | `boolean` |
 * | `int` | `number` when a safe integer, else `bigint` (a `bigint` always encodes as an int) |
 * | `float` (also `1e30000` = inf, `{'__class__':'float','value':'nan'}` = NaN) | `number`; a JS number that is a safe integer encodes as an int, any other as a float |
 * | `complex` | {@link PyComplex} |
 * | `str` | `string` |
 * | `bytes` (serpent sends `{'data': <base64>, 'encoding': 'base64'}`; a `b'..'` literal is read too) | `Uint8Array` (a `Buffer` when decoded) |
 * | `list` | array |
 * | `tuple` | array marked as a tuple ({@link isPyTuple}); {@link pyTuple} marks one to encode |
 * | `dict` with only str keys | plain object (`__class__` dicts of custom objects stay objects) |
 * | `dict` with other keys | `Map` |
 * | `set` / `frozenset` | `Set` (an empty set encodes as `()`, as serpent does) |
 * | `datetime`, `Decimal`, `uuid` (serpent sends strings) | `string`; a `Date` encodes as its ISO string |
 * | exception (`{'__class__': ..., '__exception__': True, 'args': ..., 'attributes': ...}`) | that object; an `Error` encodes in this form (see {@link encodeException}) |
 */
import { ProtocolError } from '../errors.js';
import { PyComplex, encodeException, pyTuple, tuples } from './values.js';

export { PyComplex, pyTuple, isPyTuple, encodeException } from './values.js';
export { decodeSerpent } from './serpent-parse.js';
export type { SerpentLimits } from './values.js';

/** The comment line serpent writes first (Pyro4 4.82 with serpent 1.x on Python 3). */
export const SERPENT_HEADER = '# serpent utf-8 python3.2\n';


/**
 * The serpent form of `value`, header included. Throws ProtocolError for a
 * value with no Python form (a function, a symbol, a cycle) or nested deeper
 * than `maxDepth` (default 64).
 */
export function encodeSerpent(value: unknown, maxDepth = 64): Buffer {
  const out: string[] = [SERPENT_HEADER];
  write(value, out, 0, maxDepth, new Set());
  return Buffer.from(out.join(''), 'utf8');
}


function write(v: unknown, out: string[], depth: number, maxDepth: number, seen: Set<object>): void {
  switch (typeof v) {
    case 'undefined':
      out.push('None');
      return;
    case 'boolean':
      out.push(v ? 'True' : 'False');
      return;
    case 'number':
      out.push(formatNumber(v));
      return;
    case 'bigint':
      out.push(v.toString());
      return;
    case 'string':
      out.push(quote(v));
      return;
    case 'object':
      break;
    default:
      throw new ProtocolError(`serpent: cannot encode a ${typeof v}`);
  }
  if (v === null) return void out.push('None');
  if (v instanceof PyComplex) {
    out.push('(', formatFloat(v.real), v.imag >= 0 || Number.isNaN(v.imag) ? '+' : '', formatFloat(v.imag), 'j)');
    return;
  }
  if (v instanceof Uint8Array) {
    out.push(`{'data':'${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}','encoding':'base64'}`);
    return;
  }
  if (v instanceof Date) return void out.push(quote(v.toISOString()));
  if (depth >= maxDepth) throw new ProtocolError(`serpent: value nested deeper than ${maxDepth}`);
  if (seen.has(v)) throw new ProtocolError('serpent: cannot encode a cyclic value');
  seen.add(v);
  const item = (x: unknown): void => write(x, out, depth + 1, maxDepth, seen);
  if (Array.isArray(v)) {
    const tuple = tuples.has(v);
    out.push(tuple ? '(' : '[');
    v.forEach((x, i) => {
      if (i > 0) out.push(',');
      item(x);
    });
    out.push(tuple && v.length === 1 ? ',)' : tuple ? ')' : ']');
  } else if (v instanceof Set) {
    if (v.size === 0) out.push('()');
    else {
      out.push('{');
      let first = true;
      for (const x of v) {
        if (!first) out.push(',');
        first = false;
        item(hashable(x));
      }
      out.push('}');
    }
  } else if (v instanceof Map) {
    writeDict([...v.entries()].map(([k, x]) => [hashable(k), x]), out, item);
  } else if (v instanceof Error) {
    item(encodeException(`builtins.${pythonErrorName(v)}`, v.message));
  } else {
    writeDict(Object.entries(v), out, item);
  }
  seen.delete(v);
}

function writeDict(entries: [unknown, unknown][], out: string[], item: (x: unknown) => void): void {
  out.push('{');
  entries.forEach(([k, x], i) => {
    if (i > 0) out.push(',');
    item(k);
    out.push(':');
    item(x);
  });
  out.push('}');
}

/** A dict key or set item must be hashable in Python: an array goes as a tuple. */
function hashable(k: unknown): unknown {
  return Array.isArray(k) && !tuples.has(k) ? pyTuple(...k.map(hashable)) : k;
}

/** The Python builtin exception nearest a JS error's class, so Python raises something it knows. */
function pythonErrorName(e: Error): string {
  if (e instanceof TypeError) return 'TypeError';
  if (e instanceof RangeError) return 'ValueError';
  return 'RuntimeError';
}

function formatNumber(n: number): string {
  // Beyond 2^53 a JS number is a double, not an exact integer: Python gets the same float.
  return Number.isSafeInteger(n) && !Object.is(n, -0) ? n.toFixed(0) : formatFloat(n);
}

function formatFloat(n: number): string {
  if (Number.isNaN(n)) return "{'__class__':'float','value':'nan'}";
  if (n === Infinity) return '1e30000';
  if (n === -Infinity) return '-1e30000';
  if (Object.is(n, -0)) return '-0.0';
  const s = String(n);
  // Python reads '5' as an int: a float keeps a fraction or an exponent.
  return /[.e]/.test(s) ? s : `${s}.0`;
}

const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A single-quoted Python str literal; control characters and lone surrogates as escapes. */
function quote(s: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = s.replace(/[\\'\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => {
    const simple = SIMPLE_ESCAPES[c];
    if (simple) return simple;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `'${escaped}'`;
}
