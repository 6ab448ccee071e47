/**
 * The one schema library (TypeBox, docs/architecture.md "Validation"): schemas are JSON Schema, types
 * are inferred from them (`Static`), and a schema is compiled once into a checking function. TypeBox's
 * own messages are terse (`Expected integer`), so every failure is told here, from the failing schema's
 * own bounds, as a path and a sentence: `flows.tcpIdleSec: must be between 1 and 86400, got -5`.
 *
 * Compiling generates code (`new Function`): main and the helper only. The dashboard's CSP forbids it.
 */
import { Kind, Type, type Static, type TLiteral, type TObject, type TSchema, type TUnion } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';

export { Type, type Static, type TObject, type TSchema, type TUnion };

export interface SchemaIssue {
  /** Dotted path of the offending field (`a.b[2].c`); empty for the value itself. */
  path: string;
  message: string;
}

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/** The compiled checker of a schema, made on first use. */
export function checkerOf<T extends TSchema>(schema: T): TypeCheck<T> {
  let check = compiled.get(schema);
  if (check === undefined) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check as TypeCheck<T>;
}

/** One of a fixed list of strings (JSON Schema `anyOf` of constants); the message lists them. */
export function oneOf<const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(values.map((v) => Type.Literal(v)), options);
}

/** A short, safe rendering of a bad value for a message. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 64 ? `${text.slice(0, 61)}...` : text;
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : show(value);
}

/** `/updated/0/portA` → `updated[0].portA`. */
export function dottedPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out;
}

function literals(schema: TSchema): string[] | null {
  const options = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!Array.isArray(options) || !options.every((o) => typeof o.const === 'string')) return null;
  return options.map((o) => o.const as string);
}

/** A bound at the end of what a number can hold says nothing: it is left out of the message. */
const bound = (x: unknown): number | undefined => (typeof x === 'number' && Math.abs(x) < Number.MAX_SAFE_INTEGER ? x : undefined);

function range(schema: TSchema, value: unknown): string {
  const minimum = bound(schema.minimum);
  const maximum = bound(schema.maximum);
  if (minimum !== undefined && maximum !== undefined) return `must be between ${minimum} and ${maximum}, got ${show(value)}`;
  if (minimum !== undefined) return minimum === 0 ? `must be zero or more, got ${show(value)}` : `must be at least ${minimum}, got ${show(value)}`;
  return `must be at most ${maximum}, got ${show(value)}`;
}

/** What one TypeBox error means, in words. */
export function describeError(error: ValueError): string {
  const { schema, value } = error;
  const hint = typeof schema.description === 'string' ? schema.description : undefined;
  switch (error.type) {
    case ValueErrorType.Integer:
      return `expected a whole number, got ${kindOf(value)}`;
    case ValueErrorType.Number:
      return `expected a finite number, got ${kindOf(value)}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
      return range(schema, value);
    case ValueErrorType.Boolean:
      return `expected true or false, got ${kindOf(value)}`;
    case ValueErrorType.String:
      return `expected a string, got ${kindOf(value)}`;
    case ValueErrorType.StringMaxLength:
      return `at most ${schema.maxLength as number} characters, got ${(value as string).length}`;
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1 ? 'must not be empty' : `at least ${schema.minLength as number} characters, got ${(value as string).length}`;
    case ValueErrorType.StringPattern: {
      // A list entry is named by its value; a lone string is not repeated, as it may be a secret (a token).
      const expected = hint ?? `text matching ${schema.pattern as string}`;
      return /\/\d+$/.test(error.path) ? `${show(value)} is not valid; expected ${expected}` : `invalid value; expected ${expected}`;
    }
    case ValueErrorType.Array:
      return `expected a list, got ${kindOf(value)}`;
    case ValueErrorType.ArrayMaxItems:
      return `at most ${schema.maxItems as number} entries, got ${(value as unknown[]).length}`;
    case ValueErrorType.ArrayMinItems:
      return `at least ${schema.minItems as number} entries, got ${(value as unknown[]).length}`;
    case ValueErrorType.Object:
      return `expected a mapping, got ${kindOf(value)}`;
    case ValueErrorType.ObjectMaxProperties:
      return `at most ${schema.maxProperties as number} entries, got ${Object.keys(value as object).length}`;
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties:
      return `unknown field; known: ${Object.keys((schema as { properties?: object }).properties ?? {}).join(', ')}`;
    case ValueErrorType.Null:
      return `expected null, got ${kindOf(value)}`;
    case ValueErrorType.Union: {
      const values = literals(schema);
      if (values !== null) return `expected one of ${values.join(', ')}, got ${show(value)}`;
      return hint !== undefined ? `expected ${hint}, got ${kindOf(value)}` : `does not match any allowed form, got ${kindOf(value)}`;
    }
    case ValueErrorType.Literal:
      return `expected ${show(schema.const)}, got ${show(value)}`;
    default:
      return hint !== undefined ? `expected ${hint}` : error.message;
  }
}

/**
 * Every problem of a value, one per path (the first TypeBox reports there: a wrong type, before its bounds),
 * at most `limit` of them; an empty list when the value is valid.
 */
export function issuesOf(schema: TSchema, value: unknown, limit = 32): SchemaIssue[] {
  const check = checkerOf(schema);
  if (check.Check(value)) return [];
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const error of check.Errors(value)) {
    // A failed union reports each branch too: its own line says it all.
    const path = dottedPath(error.path);
    if ([...seen].some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`))) continue;
    seen.add(path);
    issues.push(...(taggedIssues(error, path) ?? [{ path, message: describeError(error) }]));
    if (issues.length >= limit) break;
  }
  return issues.slice(0, limit);
}

function joinPath(base: string, inner: string): string {
  return base === '' ? inner : inner === '' ? base : inner.startsWith('[') ? `${base}${inner}` : `${base}.${inner}`;
}

/**
 * A union of objects told apart by a tag field (`{ discriminator: 'kind' }`): a bad tag is named at the
 * tag, a good one has its variant's own issues; null for any other error.
 */
function taggedIssues(error: ValueError, path: string): SchemaIssue[] | null {
  const tag = (error.schema as { discriminator?: unknown }).discriminator;
  const value = error.value;
  if (error.type !== ValueErrorType.Union || typeof tag !== 'string') return null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [{ path, message: `expected a mapping, got ${kindOf(value)}` }];
  const branches = error.schema.anyOf as TSchema[];
  const tags = branches.map((b) => (b.properties as Record<string, TSchema>)[tag].const as string);
  const given = (value as Record<string, unknown>)[tag];
  const branch = branches[tags.indexOf(given as string)];
  if (branch === undefined) return [{ path: joinPath(path, tag), message: `expected one of ${tags.join(', ')}, got ${show(given)}` }];
  return issuesOf(branch, value).map((i) => ({ path: joinPath(path, i.path), message: i.message }));
}

/** True when `schema` is the TypeBox kind named (Integer, Boolean, Array...). */
export function isKind(schema: TSchema, kind: string): boolean {
  return schema[Kind] === kind;
}
