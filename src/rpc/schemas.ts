/**
 * Validation of served calls with Standard Schema (https://standardschema.dev):
 * any library implementing it (zod, valibot, arktype, ...) checks a
 * method's arguments before it runs, and optionally what it returns.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { BadArgumentsError } from '../errors.js';
import { ValidationError, type ValidationIssue } from './errors.js';

/** The schemas of one method (serve's `schemas`). */
export interface MethodSchemas {
  /**
   * The arguments, as one array (a tuple schema: `z.tuple([z.string(), z.number()])`).
   * Checked before the method runs; what the schema outputs (after its
   * transforms and defaults) is what the method receives, and it must still
   * be an array. Callbacks and streams passed as arguments reach the schema
   * as functions and async iterables.
   */
  args?: StandardSchemaV1;
  /**
   * What the method returns (awaited), checked before it is sent; the
   * schema's output is what the caller gets. Not applied to streams or
   * remote references a method returns.
   */
  result?: StandardSchemaV1;
}

/** The checked `schemas` of one served object. */
export class Schemas {
  private readonly byMethod: ReadonlyMap<string, MethodSchemas>;

  /** Throws BadArgumentsError for a method not exposed or a value that is not a Standard Schema. */
  constructor(schemas: Readonly<Record<string, MethodSchemas>>, exposed: readonly string[], what: string) {
    if (typeof schemas !== 'object' || schemas === null) throw new BadArgumentsError(`${what}: schemas must be an object of method → { args?, result? }`);
    const byMethod = new Map<string, MethodSchemas>();
    for (const [method, s] of Object.entries(schemas)) {
      if (!exposed.includes(method)) throw new BadArgumentsError(`${what}: schemas: '${method}' is not exposed`);
      if (typeof s !== 'object' || s === null) throw new BadArgumentsError(`${what}: schemas.${method} must be { args?, result? }`);
      for (const key of ['args', 'result'] as const) {
        if (s[key] !== undefined && !isStandardSchema(s[key])) {
          throw new BadArgumentsError(`${what}: schemas.${method}.${key} is not a Standard Schema (no '~standard' with version 1 and validate)`);
        }
      }
      byMethod.set(method, s);
    }
    this.byMethod = byMethod;
  }

  /** The schemas of `method`, or undefined when it has none (most calls: one map lookup). */
  of(method: string): MethodSchemas | undefined {
    return this.byMethod.get(method);
  }
}

function isStandardSchema(v: unknown): v is StandardSchemaV1 {
  const std = (v as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.['~standard'];
  return typeof std === 'object' && std !== null && std.version === 1 && typeof std.validate === 'function';
}

/** The arguments the method receives: the schema's output; rejects with ValidationError listing the issues. */
export async function validateArgs(schema: StandardSchemaV1, args: unknown[], what: string): Promise<unknown[]> {
  const value = await validate(schema, args, `${what}: invalid arguments`);
  if (!Array.isArray(value)) throw new ValidationError(`${what}: the argument schema did not output an array`, [{ message: 'expected an array of arguments' }]);
  return value;
}

/** What the caller receives: the schema's output; rejects with ValidationError listing the issues. */
export function validateResult(schema: StandardSchemaV1, value: unknown, what: string): Promise<unknown> {
  return validate(schema, value, `${what}: invalid result`);
}

async function validate(schema: StandardSchemaV1, value: unknown, what: string): Promise<unknown> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (!result.issues) return result.value;
  const issues = result.issues.map(toIssue);
  const first = issues[0];
  const where = first?.path && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new ValidationError(`${what}: ${first?.message ?? 'rejected by its schema'}${where}${more}`, issues);
}

/** A Standard Schema issue as the wire carries it: path segments reduced to their keys, symbols as their description. */
function toIssue(issue: StandardSchemaV1.Issue): ValidationIssue {
  if (!issue.path || issue.path.length === 0) return { message: issue.message };
  const path = issue.path.map((segment) => {
    const key = typeof segment === 'object' ? segment.key : segment;
    return typeof key === 'number' ? key : String(key);
  });
  return { message: issue.message, path };
}
