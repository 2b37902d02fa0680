/**
 * Table definitions and the checks on rows that every node makes the same
 * way: the key field, row size, declared tables and indexes. Pure: no I/O.
 */
import { BadArgumentsError } from '../../errors.js';
import { RowTooLargeError, SchemaViolationError, UnknownIndexError, UnknownTableError } from '../errors.js';
import { encodeValue, type Row, type RowKey } from './codec.js';

/**
 * The part of the Standard Schema interface (https://standardschema.dev, v1)
 * the tables use: Zod, Valibot, ArkType and others implement it. Declared
 * here so no schema library is a dependency.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) =>
      | { readonly value: Output; readonly issues?: undefined }
      | { readonly issues: readonly { readonly message: string; readonly path?: readonly unknown[] }[] }
      | Promise<
          | { readonly value: Output; readonly issues?: undefined }
          | { readonly issues: readonly { readonly message: string; readonly path?: readonly unknown[] }[] }
        >;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** The definition of one table. */
export interface TableDefinition {
  /** The field that holds each row's key (a string or a finite number). */
  readonly key: string;
  /** Fields with a secondary index (equality and range queries), kept sorted. Default none. */
  readonly indexes?: readonly string[];
  /** A Standard Schema every row written must pass (checked before the transaction is sent). Default none. */
  readonly schema?: StandardSchemaV1;
  /** Largest encoded row (MessagePack bytes). Default {@link DEFAULT_MAX_ROW_BYTES}. */
  readonly maxRowBytes?: number;
}

/** The tables of a tables cluster by name. Every node must declare the same. */
export type TableDefinitions = Readonly<Record<string, TableDefinition>>;

/** Default `maxRowBytes`: 64 KiB. */
export const DEFAULT_MAX_ROW_BYTES = 64 * 1024;

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/;

/** Throws BadArgumentsError unless `tables` is a valid set of definitions. */
export function checkDefinitions(tables: TableDefinitions): void {
  if (tables === null || typeof tables !== 'object' || Object.keys(tables).length === 0) {
    throw new BadArgumentsError('tables: declare at least one table, e.g. { items: { key: "sku" } }');
  }
  for (const [name, def] of Object.entries(tables)) {
    if (!NAME.test(name)) throw new BadArgumentsError(`table name ${JSON.stringify(name)}: use 1 to 100 of A-Z a-z 0-9 _ . -, starting with a letter or _`);
    if (def === null || typeof def !== 'object' || typeof def.key !== 'string' || def.key === '') {
      throw new BadArgumentsError(`table ${name}: key must name a field`);
    }
    for (const index of def.indexes ?? []) {
      if (typeof index !== 'string' || index === '') throw new BadArgumentsError(`table ${name}: index names must be non-empty strings`);
    }
    if (def.maxRowBytes !== undefined && (!Number.isInteger(def.maxRowBytes) || def.maxRowBytes < 1)) {
      throw new BadArgumentsError(`table ${name}: maxRowBytes must be a positive integer`);
    }
    if (def.schema !== undefined && typeof def.schema?.['~standard']?.validate !== 'function') {
      throw new BadArgumentsError(`table ${name}: schema must implement Standard Schema v1 ('~standard'.validate)`);
    }
  }
}

/** The definition of `table`, or UnknownTableError. */
export function tableDefinition(tables: TableDefinitions, table: string): TableDefinition {
  const def = Object.hasOwn(tables, table) ? tables[table] : undefined;
  if (def === undefined) throw new UnknownTableError(`unknown table ${JSON.stringify(table)}: declared are ${Object.keys(tables).join(', ')}`);
  return def;
}

/** Throws UnknownIndexError unless `index` is declared on `table`. */
export function checkIndex(tables: TableDefinitions, table: string, index: string): void {
  const def = tableDefinition(tables, table);
  if (!(def.indexes ?? []).includes(index)) {
    throw new UnknownIndexError(`table ${table}: no index ${JSON.stringify(index)} (declared: ${(def.indexes ?? []).join(', ') || 'none'})`);
  }
}

/** Throws SchemaViolationError unless `key` is a valid {@link RowKey}. */
export function checkKey(table: string, key: unknown): asserts key is RowKey {
  if (typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key))) return;
  throw new SchemaViolationError(`table ${table}: a key must be a string or a finite number, not ${typeof key}`);
}

/**
 * The key of `row` in `table`, after the checks every node repeats when it
 * applies a put: a plain object, a valid key, at most `maxRowBytes`.
 */
export function checkRow(tables: TableDefinitions, table: string, row: unknown): RowKey {
  const def = tableDefinition(tables, table);
  if (row === null || typeof row !== 'object' || Array.isArray(row)) {
    throw new SchemaViolationError(`table ${table}: a row must be a plain object`);
  }
  const key = (row as Row)[def.key];
  checkKey(table, key);
  const size = encodeValue(row).length;
  const max = def.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES;
  if (size > max) throw new RowTooLargeError(`table ${table}: row ${String(key)} is ${size} bytes, more than maxRowBytes ${max}`);
  return key;
}

/** Runs `table`'s Standard Schema on `row` (when it has one): SchemaViolationError with the issues. */
export async function validateSchema(tables: TableDefinitions, table: string, row: unknown): Promise<void> {
  const schema = tableDefinition(tables, table).schema;
  if (schema === undefined) return;
  const result = await schema['~standard'].validate(row);
  if (result.issues !== undefined) {
    const issues = result.issues.map((i) => (i.path?.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message));
    throw new SchemaViolationError(`table ${table}: row rejected by its schema: ${issues.join('; ')}`);
  }
}

const TYPE_ORDER = ['undefined', 'boolean', 'number', 'bigint', 'string'];

/**
 * The total order of index values: by type (undefined/null, boolean,
 * number, bigint, string, anything else), then by value. Deterministic, so
 * every node keeps its indexes in the same order.
 */
export function compareValues(a: unknown, b: unknown): number {
  const ta = a === null ? 'undefined' : typeof a;
  const tb = b === null ? 'undefined' : typeof b;
  if (ta !== tb) {
    const ia = TYPE_ORDER.indexOf(ta);
    const ib = TYPE_ORDER.indexOf(tb);
    return (ia < 0 ? TYPE_ORDER.length : ia) - (ib < 0 ? TYPE_ORDER.length : ib);
  }
  if (ta === 'undefined') return 0;
  if (ta === 'number' || ta === 'bigint' || ta === 'string' || ta === 'boolean') {
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  }
  // Other values (objects) are compared by their encoding: stable, if not meaningful.
  return Buffer.compare(encodeValue(a), encodeValue(b));
}
