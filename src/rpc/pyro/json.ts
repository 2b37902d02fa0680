/**
 * Pyro4's `json` serializer (id 2): UTF-8 JSON as Python's `json` module
 * writes it, which is wider than JSON.parse reads: `NaN`, `Infinity`,
 * `-Infinity`, and integers of any size. Hence a small parser of its own,
 * with the same limits as serpent's.
 *
 * Values as in serpent.ts, with what JSON lacks: a tuple and a set are sent
 * as a list (Python's json sends both as lists), a `Map` as an object whose
 * keys are strings (as Python's json writes int keys), bytes as the
 * `{'data': base64, 'encoding': 'base64'}` dict, a `Date` as its ISO string.
 * A complex number has no JSON form (ProtocolError).
 */
import { ProtocolError } from '../errors.js';
import { PyComplex, finishDecoded, payloadText, small, type SerpentLimits } from './values.js';

/** The JSON bytes of `value` as Pyro4's json serializer reads them. Throws ProtocolError for a value with no JSON form, a cycle, or nesting past `maxDepth` (default 64). */
export function encodeJson(value: unknown, maxDepth = 64): Buffer {
  const out: string[] = [];
  write(value, out, 0, maxDepth, new Set());
  return Buffer.from(out.join(''), 'utf8');
}

function write(v: unknown, out: string[], depth: number, maxDepth: number, seen: Set<object>): void {
  switch (typeof v) {
    case 'undefined':
      return void out.push('null');
    case 'boolean':
      return void out.push(v ? 'true' : 'false');
    case 'number':
      if (Number.isNaN(v)) return void out.push('NaN');
      if (!Number.isFinite(v)) return void out.push(v > 0 ? 'Infinity' : '-Infinity');
      // A float that happens to be integral stays an int in Python, as it does in serpent.ts.
      return void out.push(Number.isSafeInteger(v) || !Number.isInteger(v) ? String(v) : v.toExponential());
    case 'bigint':
      return void out.push(v.toString());
    case 'string':
      return void out.push(JSON.stringify(v));
    case 'object':
      break;
    default:
      throw new ProtocolError(`json: cannot encode a ${typeof v}`);
  }
  if (v === null) return void out.push('null');
  if (v instanceof PyComplex) throw new ProtocolError('json: a complex number has no JSON form (use serpent)');
  if (v instanceof Uint8Array) return void out.push(`{"data":"${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}","encoding":"base64"}`);
  if (v instanceof Date) return void out.push(JSON.stringify(v.toISOString()));
  if (depth >= maxDepth) throw new ProtocolError(`json: value nested deeper than ${maxDepth}`);
  if (seen.has(v)) throw new ProtocolError('json: cannot encode a cyclic value');
  seen.add(v);
  const item = (x: unknown): void => write(x, out, depth + 1, maxDepth, seen);
  if (Array.isArray(v) || v instanceof Set) {
    out.push('[');
    let first = true;
    for (const x of v) {
      if (!first) out.push(',');
      first = false;
      item(x);
    }
    out.push(']');
  } else {
    const entries = v instanceof Map ? [...v.entries()] : v instanceof Error ? Object.entries(errorDict(v)) : Object.entries(v);
    out.push('{');
    entries.forEach(([k, x], i) => {
      if (i > 0) out.push(',');
      out.push(JSON.stringify(String(k)), ':');
      item(x);
    });
    out.push('}');
  }
  seen.delete(v);
}

function errorDict(e: Error): Record<string, unknown> {
  const name = e instanceof TypeError ? 'TypeError' : e instanceof RangeError ? 'ValueError' : 'RuntimeError';
  return { __class__: `builtins.${name}`, __exception__: true, args: [e.message], attributes: {} };
}

/**
 * Parses Pyro4 json bytes. Throws ProtocolError when the input is larger
 * than `maxSize`, nested deeper than `maxDepth`, not UTF-8, or not JSON (as
 * Python writes it).
 */
export function decodeJson(data: Uint8Array, limits: SerpentLimits = {}): unknown {
  const text = payloadText(data, limits, 'json');
  const p = new JsonParser(text, limits.maxDepth ?? 64);
  const value = p.value(0);
  p.space();
  if (p.pos < text.length) p.fail('trailing data after the value');
  return finishDecoded(value);
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WORDS: Record<string, unknown> = { null: null, true: true, false: false, NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

class JsonParser {
  pos = 0;
  constructor(
    readonly text: string,
    readonly maxDepth: number,
  ) {}

  fail(what: string): never {
    throw new ProtocolError(`json: ${what} at offset ${this.pos}`);
  }

  space(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos]!)) this.pos++;
  }

  value(depth: number): unknown {
    this.space();
    const c = this.text[this.pos];
    if (c === undefined) this.fail('unexpected end of data');
    if (c === '{' || c === '[') {
      if (depth >= this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
      this.pos++;
      return c === '{' ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (c === '"') return this.string();
    for (const [word, v] of Object.entries(WORDS)) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) this.fail(`unexpected ${JSON.stringify(c)}`);
    this.pos += m[0].length;
    return m[1] !== undefined || m[2] !== undefined ? Number(m[0]) : small(BigInt(m[0]));
  }

  private string(): string {
    // JSON.parse reads one string literal exactly; find its end first (a quote not escaped).
    const start = this.pos;
    let i = start + 1;
    for (;;) {
      const q = this.text.indexOf('"', i);
      if (q < 0) this.fail('an unterminated string');
      let backslashes = 0;
      for (let j = q - 1; this.text[j] === '\\'; j--) backslashes++;
      i = q + 1;
      if (backslashes % 2 === 0) break;
    }
    this.pos = i;
    try {
      return JSON.parse(this.text.slice(start, i)) as string;
    } catch {
      this.pos = start;
      return this.fail('a malformed string');
    }
  }

  private array(depth: number): unknown[] {
    const out: unknown[] = [];
    this.space();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.space();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail("',' or ']' expected");
    }
  }

  private object(depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.space();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text[this.pos] !== '"') this.fail('a string key expected');
      const key = this.string();
      this.space();
      if (this.text[this.pos++] !== ':') this.fail("':' expected");
      // defineProperty: a '__proto__' key is data, not the prototype.
      Object.defineProperty(out, key, { value: this.value(depth), enumerable: true, writable: true, configurable: true });
      this.space();
      const c = this.text[this.pos++];
      if (c === '}') return out;
      if (c !== ',') this.fail("',' or '}' expected");
    }
  }
}
