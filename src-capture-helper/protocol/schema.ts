/**
 * The shapes of what crosses the socket, written as TypeBox schemas (src-shared/schema.ts): short
 * builders for the bounds every field needs, and the two ways of checking a value against them.
 * - `checked`: what main reads from its own helper (same build, protocol version agreed in `hello`).
 *   The compiled check only: the hot path (a 5,000-flow delta in about half a millisecond, where a
 *   copying validator took 40: docs/architecture.md "Validation").
 * - `copied`: what a client sends (API requests, the helper's requests, probes over NATS). Checked,
 *   then copied to the fields the schema knows, so nothing unknown (`__proto__` and the like)
 *   travels further.
 * Either throws a ValidationError naming the path of the first bad field.
 */
import { Kind, type Static, type TSchema } from '@sinclair/typebox';
import { checkerOf, issuesOf, oneOf as literalUnion, Type } from '../../src-shared/schema';

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly requestErrorCode = 'invalid';
}

export type Validator<T> = TSchema & { static: T };
export type Infer<S extends TSchema> = Static<S>;

function fail(schema: TSchema, value: unknown, path: string): never {
  const [issue] = issuesOf(schema, value, 1);
  const at = issue === undefined || issue.path === '' ? path : issue.path.startsWith('[') ? `${path}${issue.path}` : `${path}.${issue.path}`;
  throw new ValidationError(`${at}: ${issue?.message ?? 'is not valid'}`);
}

/** Checks a value from a trusted peer and returns it as it is. */
export function checked<S extends TSchema>(schema: S, value: unknown, path: string): Static<S> {
  if (!checkerOf(schema).Check(value)) fail(schema, value, path);
  return value as Static<S>;
}

/** Checks a value from a client and returns a fresh copy holding only the fields the schema knows. */
export function copied<S extends TSchema>(schema: S, value: unknown, path: string): Static<S> {
  if (!checkerOf(schema).Check(value)) fail(schema, value, path);
  return project(schema, value) as Static<S>;
}

const fieldsOf = new WeakMap<TSchema, [string, TSchema][]>();

/** `value` (already checked against `schema`) rebuilt from the schema's known fields. */
function project(schema: TSchema, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  switch (schema[Kind]) {
    case 'Object': {
      if (schema.additionalProperties === true) return value;
      let fields = fieldsOf.get(schema);
      if (fields === undefined) {
        fields = Object.entries(schema.properties as Record<string, TSchema>);
        fieldsOf.set(schema, fields);
      }
      const source = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [key, field] of fields) {
        if (Object.prototype.hasOwnProperty.call(source, key) && source[key] !== undefined) out[key] = project(field, source[key]);
      }
      return out;
    }
    case 'Array':
      return (value as unknown[]).map((item) => project(schema.items as TSchema, item));
    case 'Tuple':
      return (value as unknown[]).map((item, i) => project((schema.items as TSchema[])[i], item));
    case 'Record': {
      const [inner] = Object.values(schema.patternProperties as Record<string, TSchema>);
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = project(inner, item);
      return out;
    }
    case 'Union':
      return project(branchOf(schema, value), value);
    default:
      return value;
  }
}

/** The branch of a union an object value (already checked) matched: by its tag, the only object branch, or by trying each. */
function branchOf(schema: TSchema, value: object): TSchema {
  const branches = (schema.anyOf as TSchema[]).filter((b) => b[Kind] !== 'Null' && b[Kind] !== 'Literal');
  const tag = schema.discriminator as string | undefined;
  if (tag !== undefined) return branches.find((b) => (b.properties as Record<string, TSchema>)[tag].const === (value as Record<string, unknown>)[tag]) as TSchema;
  return branches.length === 1 ? branches[0] : (branches.find((b) => checkerOf(b).Check(value)) as TSchema);
}

export function str(opts: { max?: number; min?: number; pattern?: RegExp } = {}) {
  return Type.String({ maxLength: opts.max ?? 4096, ...(opts.min ? { minLength: opts.min } : {}), ...(opts.pattern ? { pattern: opts.pattern.source } : {}) });
}

export function int(min = 0, max = Number.MAX_SAFE_INTEGER) {
  return Type.Integer({ minimum: min, maximum: max });
}

/** A finite number (TypeBox refuses NaN and the infinities). */
export function num(min = -Number.MAX_VALUE, max = Number.MAX_VALUE) {
  return Type.Number({ minimum: min, maximum: max });
}

export const bool = Type.Boolean();

export function oneOf<const T extends readonly string[]>(values: T) {
  return literalUnion(values);
}

export function arr<T extends TSchema>(item: T, max: number) {
  return Type.Array(item, { maxItems: max });
}

export const optional = Type.Optional;

export function nullable<T extends TSchema>(inner: T) {
  return Type.Union([inner, Type.Null()]);
}

export function obj<S extends Record<string, TSchema>>(shape: S) {
  return Type.Object(shape);
}

/** A string-keyed map with a bounded number of entries. */
export function record<T extends TSchema>(value: T, maxEntries: number, maxKeyLength = 256) {
  return Type.Record(Type.String({ maxLength: maxKeyLength }), value, { maxProperties: maxEntries });
}

/** A union told apart by a string tag field; a bad tag is named as such (`discriminator`, src-shared/schema.ts). */
export function tagged<K extends string, const M extends Record<string, ReturnType<typeof Type.Object>>>(tag: K, variants: M) {
  const branches = Object.entries(variants).map(([name, variant]) => Type.Object({ ...variant.properties, [tag]: Type.Literal(name) }));
  return Type.Union(branches, { discriminator: tag }) as unknown as Validator<{ [T in keyof M]: Static<M[T]> & { [P in K]: T } }[keyof M]>;
}
