/**
 * How znode data is shown: as text when it is valid UTF-8, pretty JSON when
 * it parses, hex otherwise, each with a limit so 1 MiB of data or a JSON
 * bomb (deep nesting) cannot hang the page. Pure functions, no DOM.
 */

/** Text past this many characters is cut (the rest is counted, not shown). */
export const TEXT_LIMIT = 256 * 1024;
/** Hex shows at most this many bytes. */
export const HEX_LIMIT = 16 * 1024;
/** JSON nested deeper than this is not parsed: it is shown as text. */
export const JSON_DEPTH_LIMIT = 200;

export type DataMode = 'text' | 'json' | 'hex';

export interface DecodedData {
  readonly bytes: Uint8Array;
  /** The text, or undefined when the bytes are not valid UTF-8. */
  readonly text: string | undefined;
}

export function decode(base64: string): DecodedData {
  const raw = atob(base64);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  let text: string | undefined;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = undefined;
  }
  return { bytes, text };
}

/** The deepest nesting of brackets outside strings, counted without parsing. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) max = Math.max(max, ++depth);
    else if (c === 93 || c === 125) depth--;
  }
  return max;
}

/** Pretty JSON, or why it is not shown as JSON. */
export function prettyJson(text: string): { ok: true; text: string } | { ok: false; reason: string } {
  const depth = jsonDepth(text);
  if (depth > JSON_DEPTH_LIMIT) return { ok: false, reason: `JSON nested ${depth} levels deep (more than ${JSON_DEPTH_LIMIT}): shown as text` };
  try {
    return { ok: true, text: JSON.stringify(JSON.parse(text), null, 2) };
  } catch (err) {
    return { ok: false, reason: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * The mode a node opens in: JSON when it looks like JSON (the JSON view
 * then says why, if it cannot pretty-print it), text when it is UTF-8,
 * else hex.
 */
export function defaultMode(data: DecodedData): DataMode {
  if (data.text === undefined) return 'hex';
  const t = data.text.trimStart();
  return t.startsWith('{') || t.startsWith('[') ? 'json' : 'text';
}

/** `offset  hex bytes  ascii`, 16 bytes a line, for at most HEX_LIMIT bytes. */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  const end = Math.min(bytes.length, HEX_LIMIT);
  for (let off = 0; off < end; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, end));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

export function cut(text: string, limit: number): { text: string; cut: number } {
  return text.length <= limit ? { text, cut: 0 } : { text: text.slice(0, limit), cut: text.length - limit };
}
