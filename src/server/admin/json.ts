/**
 * JSON in the layout of ZooKeeper's AdminServer (Jackson's default pretty
 * printer: `"key" : value`, arrays on one line as `[ a, b ]`, empty `{ }` and
 * `[ ]`), so a Herd answer diffs cleanly against ZooKeeper's. Unlike
 * JSON.stringify it writes bigints as plain integers, as Jackson writes a
 * Java long (session ids do not fit a double; parse them with a big-number
 * aware parser if the exact value matters).
 */

/** A value a command may return. */
export type JsonValue = string | number | bigint | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export function toJson(value: JsonValue): string {
  return write(value, '');
}

function write(value: JsonValue, indent: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
  }
  if (Array.isArray(value)) {
    const items = value as readonly JsonValue[];
    if (items.length === 0) return '[ ]';
    return `[ ${items.map((v) => write(v, indent)).join(', ')} ]`;
  }
  const entries = Object.entries(value as { readonly [key: string]: JsonValue });
  if (entries.length === 0) return '{ }';
  const inner = indent + '  ';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)} : ${write(v, inner)}`).join(',\n')}\n${indent}}`;
}
