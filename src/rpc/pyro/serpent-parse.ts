/**
 * Reading serpent (serpent.ts describes the format and the values): a
 * recursive descent parser of the literal subset of Python that
 * `ast.literal_eval` accepts, never evaluated, with limits on size and
 * nesting.
 */
import { ProtocolError } from '../errors.js';
import { PyComplex, finishDecoded, payloadText, small, tuples, type SerpentLimits } from './values.js';

/**
 * Parses serpent bytes (a Python literal expression) into a value (see the
 * table at the top of this module). Throws ProtocolError when the input is
 * larger than `maxSize`, nested deeper than `maxDepth`, not UTF-8, or not a
 * literal expression; nothing in it is ever evaluated.
 */
export function decodeSerpent(data: Uint8Array, limits: SerpentLimits = {}): unknown {
  const text = payloadText(data, limits, 'serpent');
  if (text.includes('\u0000')) throw new ProtocolError('serpent: the data contains a NUL byte');
  const p = new Parser(text, limits.maxDepth ?? 64);
  const value = p.expression(0);
  p.skipSpace();
  if (p.pos < text.length) p.fail('trailing data after the value');
  return finishDecoded(value);
}

const NUMBER = /(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*)?\.?(?:\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?)[jJ]?/y;
/** A run of characters that need no look: no backslash, quote or newline. */
const PLAIN = /[^\\'"\n\r]+/y;
const STRING_START = /([rRuUbB]|[bB][rR]|[rR][bB])?('''|"""|'|")/y;

class Parser {
  pos = 0;
  constructor(
    readonly text: string,
    readonly maxDepth: number,
  ) {}

  fail(what: string): never {
    throw new ProtocolError(`serpent: ${what} at offset ${this.pos}`);
  }

  /** Skips whitespace, comments and backslash line continuations. */
  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t[this.pos]!;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') this.pos++;
      else if (c === '#') {
        const nl = t.indexOf('\n', this.pos);
        this.pos = nl < 0 ? t.length : nl + 1;
      } else if (c === '\\' && (t[this.pos + 1] === '\n' || t[this.pos + 1] === '\r')) this.pos += 2;
      else return;
    }
  }

  private eat(c: string): boolean {
    this.skipSpace();
    if (this.text[this.pos] === c) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** A value, or a sum of a real and an imaginary number (the only operator literal_eval allows). */
  expression(depth: number): unknown {
    const v = this.atom(depth);
    this.skipSpace();
    const op = this.text[this.pos];
    if ((op === '+' || op === '-') && (typeof v === 'number' || typeof v === 'bigint')) {
      this.pos++;
      const w = this.atom(depth);
      if (!(w instanceof PyComplex) || w.real !== 0) this.fail('an operator outside complex literals');
      return new PyComplex(Number(v), op === '+' ? w.imag : -w.imag);
    }
    return v;
  }

  private atom(depth: number): unknown {
    this.skipSpace();
    const t = this.text;
    const c = t[this.pos];
    if (c === undefined) this.fail('unexpected end of data');
    if (c === '(' || c === '[' || c === '{') {
      if (depth >= this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
      this.pos++;
      return c === '(' ? this.tuple(depth + 1) : c === '[' ? this.list(depth + 1) : this.dictOrSet(depth + 1);
    }
    if (c === '-' || c === '+') {
      this.pos++;
      this.skipSpace();
      const n = this.number();
      if (c === '+') return n;
      return n instanceof PyComplex ? new PyComplex(-n.real, -n.imag) : typeof n === 'bigint' ? -n : -n;
    }
    if ((c >= '0' && c <= '9') || (c === '.' && /[0-9]/.test(t[this.pos + 1] ?? ''))) return this.number();
    STRING_START.lastIndex = this.pos;
    if (STRING_START.test(t)) return this.strings();
    const word = /[A-Za-z_][A-Za-z0-9_]*/y;
    word.lastIndex = this.pos;
    const m = word.exec(t);
    if (m) {
      this.pos += m[0].length;
      if (m[0] === 'None') return null;
      if (m[0] === 'True') return true;
      if (m[0] === 'False') return false;
      this.pos -= m[0].length;
      this.fail(`'${m[0].slice(0, 40)}' is not a literal`);
    }
    this.fail(`unexpected ${JSON.stringify(c)}`);
  }

  private number(): number | bigint | PyComplex {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    const s = m?.[0] ?? '';
    if (s === '' || s === '.' || !/[0-9]/.test(s)) this.fail('a malformed number');
    this.pos += s.length;
    const clean = s.replace(/_/g, '');
    if (/[jJ]$/.test(clean)) return new PyComplex(0, this.float(clean.slice(0, -1)));
    if (/^0[xXoObB]/.test(clean)) return small(BigInt(clean));
    if (/[.eE]/.test(clean)) return this.float(clean);
    if (/^0+\d/.test(clean) && /[1-9]/.test(clean)) this.fail('an integer with a leading zero');
    return small(BigInt(clean));
  }

  private float(s: string): number {
    if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) this.fail('a malformed float');
    return Number(s);
  }

  /** One or more adjacent string literals, concatenated as Python does; all str or all bytes. */
  private strings(): string | Buffer {
    const parts: (string | Buffer)[] = [];
    for (;;) {
      this.skipSpace();
      STRING_START.lastIndex = this.pos;
      const m = STRING_START.exec(this.text);
      if (!m) break;
      this.pos += m[0].length;
      const prefix = (m[1] ?? '').toLowerCase();
      parts.push(this.stringBody(m[2]!, prefix.includes('r'), prefix.includes('b')));
    }
    const bytes = parts.filter((p) => typeof p !== 'string').length;
    if (bytes > 0 && bytes < parts.length) this.fail('str and bytes literals joined');
    return bytes > 0 ? Buffer.concat(parts as Buffer[]) : (parts as string[]).join('');
  }

  private stringBody(quote: string, raw: boolean, isBytes: boolean): string | Buffer {
    const t = this.text;
    const triple = quote.length === 3;
    let out = '';
    for (;;) {
      const c = t[this.pos];
      if (c === undefined) this.fail('an unterminated string');
      if (t.startsWith(quote, this.pos)) {
        this.pos += quote.length;
        break;
      }
      if ((c === '\n' || c === '\r') && !triple) this.fail('a newline in a string');
      if (c !== '\\') {
        PLAIN.lastIndex = this.pos;
        const run = PLAIN.exec(t)?.[0] ?? c;
        if (isBytes && /[^\x00-\x7f]/.test(run)) this.fail('a non-ASCII character in a bytes literal');
        out += run;
        this.pos += run.length;
        continue;
      }
      const e = t[this.pos + 1];
      if (e === undefined) this.fail('an unterminated string');
      if (raw) {
        out += c + e;
        this.pos += 2;
        continue;
      }
      this.pos += 2;
      out += this.escape(e, isBytes);
    }
    if (!isBytes) return out;
    return Buffer.from([...out].map((ch) => ch.charCodeAt(0)));
  }

  private escape(e: string, isBytes: boolean): string {
    const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '', '\r': '' };
    const s = simple[e];
    if (s !== undefined) {
      if (e === '\r' && this.text[this.pos] === '\n') this.pos++;
      return s;
    }
    if (e >= '0' && e <= '7') {
      let digits = e;
      while (digits.length < 3 && /[0-7]/.test(this.text[this.pos] ?? '')) digits += this.text[this.pos++];
      const code = parseInt(digits, 8);
      if (isBytes && code > 0xff) this.fail('an octal escape above 0o377 in a bytes literal');
      return String.fromCharCode(code);
    }
    const hexLength = e === 'x' ? 2 : !isBytes && e === 'u' ? 4 : !isBytes && e === 'U' ? 8 : 0;
    if (hexLength > 0) {
      const hex = this.text.slice(this.pos, this.pos + hexLength);
      if (hex.length < hexLength || !/^[0-9a-fA-F]+$/.test(hex)) this.fail(`a truncated \\${e} escape`);
      this.pos += hexLength;
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) this.fail('an escape beyond U+10FFFF');
      return String.fromCodePoint(code);
    }
    if (!isBytes && e === 'N') this.fail('a \\N{...} escape (not supported)');
    return '\\' + e; // Python keeps an unknown escape as it is
  }

  private items(close: string, depth: number, each: () => void): boolean {
    let trailingComma = false;
    let count = 0;
    for (;;) {
      if (this.eat(close)) return trailingComma || count !== 1;
      if (count > 0 && !trailingComma) this.fail(`',' or '${close}' expected`);
      each();
      count++;
      trailingComma = this.eat(',');
      void depth;
    }
  }

  private tuple(depth: number): unknown {
    const out: unknown[] = [];
    const isTuple = this.items(')', depth, () => out.push(this.expression(depth)));
    // `(x)` is x itself; `(x,)` and `()` are tuples.
    if (!isTuple) return out[0];
    tuples.add(out);
    return out;
  }

  private list(depth: number): unknown[] {
    const out: unknown[] = [];
    this.items(']', depth, () => out.push(this.expression(depth)));
    return out;
  }

  private dictOrSet(depth: number): unknown {
    if (this.eat('}')) return {};
    const first = this.expression(depth);
    if (this.eat(':')) {
      const entries: [unknown, unknown][] = [[first, this.expression(depth)]];
      if (this.eat(',')) {
        this.items('}', depth, () => {
          const k = this.expression(depth);
          if (!this.eat(':')) this.fail("':' expected");
          entries.push([k, this.expression(depth)]);
        });
      } else if (!this.eat('}')) this.fail("',' or '}' expected");
      for (const [k] of entries) this.checkHashable(k);
      if (entries.every(([k]) => typeof k === 'string')) {
        const o: Record<string, unknown> = {};
        // defineProperty: a '__proto__' key is data, not the prototype.
        for (const [k, v] of entries) Object.defineProperty(o, k as string, { value: v, enumerable: true, writable: true, configurable: true });
        return o;
      }
      return new Map(entries);
    }
    const items = [first];
    if (this.eat(',')) this.items('}', depth, () => items.push(this.expression(depth)));
    else if (!this.eat('}')) this.fail("',' or '}' expected");
    for (const k of items) this.checkHashable(k);
    return new Set(items);
  }

  /** literal_eval refuses an unhashable dict key or set item (a list, dict or set). */
  private checkHashable(k: unknown): void {
    if (typeof k !== 'object' || k === null || k instanceof PyComplex || k instanceof Uint8Array) return;
    if (Array.isArray(k) && tuples.has(k)) return k.forEach((x) => this.checkHashable(x));
    this.fail('an unhashable dict key or set item');
  }
}
