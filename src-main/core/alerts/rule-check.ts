/**
 * Reading an alert rule or channel against its schema (src-shared/alert-rule-schema.ts,
 * alert-channel-schema.ts), in three steps:
 * 1. `coerceToSchema`: what a settings file or a form sends is made what the schema expects: strings are
 *    trimmed (unless the schema says `trim: false`), numbers given as text are read (`50M` where the
 *    schema says `siSuffix`); anything else is left as it was, for the check to refuse;
 * 2. `schemaErrors`: the compiled check, its failures worded as the alert rules' messages have always
 *    been (`threshold: must be zero or more, got -5`), unknown fields first, then in the schema's order;
 * 3. `withDefaults`: what the input left out, from the schema's `default`s.
 * What a schema cannot say (an address parses, combinations of fields) is checked after, in alert-rule.ts
 * and notifiers/channel-config.ts.
 */
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { checkerOf, isKind, type TObject, type TSchema, type TUnion } from '../../../src-shared/schema';
import { describe, isPlainObject, parseNumber, type FieldError } from './validation';

/** A copy of `value` with the strings and numbers the schema knows read as it expects them. */
export function coerceToSchema(schema: TSchema, value: unknown): unknown {
  if (typeof value === 'string') {
    if (isKind(schema, 'Number') || isKind(schema, 'Integer')) return parseNumber(value, schema.siSuffix === true) ?? value;
    return isKind(schema, 'String') && schema.trim !== false ? value.trim() : value;
  }
  if (Array.isArray(value)) return isKind(schema, 'Array') ? value.map((item) => coerceToSchema(schema.items as TSchema, item)) : value;
  if (!isPlainObject(value)) return value;
  const properties = objectSchemaFor(schema, value)?.properties as Record<string, TSchema> | undefined;
  if (properties === undefined) return value;
  // A field set to undefined is left out, as if not given; fromEntries defines each key, so a `__proto__`
  // field stays a field (and is refused as unknown).
  const given = Object.entries(value).filter(([, field]) => field !== undefined);
  return Object.fromEntries(given.map(([key, field]) => [key, Object.hasOwn(properties, key) ? coerceToSchema(properties[key], field) : field]));
}

/** The object schema a value is read with: the schema itself, or the branch of a tagged union its tag names. */
function objectSchemaFor(schema: TSchema, value: Record<string, unknown>): TObject | undefined {
  if (isKind(schema, 'Object')) return schema as TObject;
  const tag = schema.discriminator as unknown;
  if (!isKind(schema, 'Union') || typeof tag !== 'string') return undefined;
  return (schema.anyOf as TObject[]).find((branch) => branch.properties[tag].const === value[tag]);
}

/** `value` with every field it leaves out of `schema` taken from that field's `default`. */
export function withDefaults(schema: TObject, value: Record<string, unknown>): Record<string, unknown> {
  const filled = { ...value };
  for (const [key, field] of Object.entries(schema.properties)) {
    if (filled[key] === undefined && field.default !== undefined) filled[key] = structuredClone(field.default as unknown);
  }
  return filled;
}

/** Every problem of `value`, one per field, as `field` (dotted, `channels.1`) and message. */
export function schemaErrors(schema: TObject | TUnion, value: unknown, prefix = ''): FieldError[] {
  const check = checkerOf(schema);
  if (check.Check(value)) return [];
  const errors: FieldError[] = [];
  const seen: string[] = [];
  for (const error of check.Errors(value)) {
    const field = joinField(prefix, error.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).join('.'));
    if (seen.some((f) => field === f || field.startsWith(`${f}.`))) continue;
    seen.push(field);
    errors.push(...(tagErrors(error, field) ?? [{ field, message: messageOf(error, field) }]));
  }
  // Unknown fields first, then the fields in the schema's order (as a form lists them).
  const order = isKind(schema, 'Object') ? Object.keys((schema as TObject).properties) : [];
  const rank = (e: FieldError) => order.indexOf(e.field.slice(prefix === '' ? 0 : prefix.length + 1).split('.')[0]);
  return errors.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i).map(({ e }) => e);
}

const joinField = (prefix: string, field: string) => (prefix === '' ? field : field === '' ? prefix : `${prefix}.${field}`);

/** A tagged union (`discriminator`): a missing or unknown tag is named at the tag, a known one has its branch's errors. */
function tagErrors(error: ValueError, field: string): FieldError[] | null {
  const tag = error.schema.discriminator as unknown;
  if (error.type !== ValueErrorType.Union || typeof tag !== 'string') return null;
  if (!isPlainObject(error.value)) return [{ field, message: messageOf({ ...error, type: ValueErrorType.Object }, field) }];
  const branches = error.schema.anyOf as TObject[];
  const tags = branches.map((b) => b.properties[tag].const as string);
  const given = error.value[tag];
  const branch = branches.find((b) => b.properties[tag].const === given);
  const tagField = joinField(field, tag);
  if (given === undefined) return [{ field: tagField, message: `is required (one of ${tags.join(', ')})` }];
  if (branch === undefined) return [{ field: tagField, message: `unknown ${tag} ${describe(given)}; expected one of ${tags.join(', ')}` }];
  return schemaErrors(branch, error.value, field);
}

/** The keyword of an `errorMessage` object a failure is worded by. */
function keywordOf(type: ValueErrorType): string | undefined {
  switch (type) {
    case ValueErrorType.StringPattern: return 'pattern';
    case ValueErrorType.ArrayMinItems: return 'minItems';
    case ValueErrorType.ArrayMaxItems: return 'maxItems';
    case ValueErrorType.ObjectAdditionalProperties: return 'additionalProperties';
    case ValueErrorType.ObjectRequiredProperty: return 'required';
    case ValueErrorType.String:
    case ValueErrorType.Number:
    case ValueErrorType.Integer:
    case ValueErrorType.Boolean:
    case ValueErrorType.Array:
    case ValueErrorType.Object:
      return 'type';
    default: return undefined;
  }
}

function customMessage(error: ValueError): string | undefined {
  const custom = error.schema.errorMessage as unknown;
  const keyword = keywordOf(error.type);
  const template = typeof custom === 'string' ? (keyword === 'required' ? undefined : custom)
    : typeof custom === 'object' && custom !== null && keyword !== undefined ? (custom as Record<string, string | undefined>)[keyword] : undefined;
  if (template === undefined) return undefined;
  const count = Array.isArray(error.value) ? error.value.length : 0;
  return template.replace(/\{(value|text|count)\}/g, (_, name: string) => (name === 'value' ? describe(error.value) : name === 'text' ? String(error.value) : String(count)));
}

function literals(schema: TSchema): string[] | null {
  const options = schema.anyOf as TSchema[] | undefined;
  return Array.isArray(options) && options.every((o) => typeof o.const === 'string') ? options.map((o) => o.const as string) : null;
}

function messageOf(error: ValueError, field: string): string {
  const custom = customMessage(error);
  if (custom !== undefined) return custom;
  const { schema, value } = error;
  const key = field.split('.').pop() ?? field;
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return `unknown field '${key}'`;
    case ValueErrorType.ObjectRequiredProperty: {
      const values = literals(schema);
      return values === null ? 'is required' : `is required (one of ${values.join(', ')})`;
    }
    case ValueErrorType.Integer:
      return typeof value === 'number' && Number.isFinite(value) ? `must be a whole number, got ${value}` : `must be a number, got ${describe(value)}`;
    case ValueErrorType.Number:
      return `must be a number, got ${describe(value)}`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return schema.minimum === 0 ? `must be zero or more, got ${value as number}` : `must be at least ${schema.minimum as number}, got ${value as number}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `must be at most ${schema.maximum as number}, got ${value as number}`;
    case ValueErrorType.String:
      return `must be a string, got ${describe(value)}`;
    case ValueErrorType.StringMinLength:
      return 'must not be empty';
    case ValueErrorType.StringMaxLength:
      return `must be at most ${schema.maxLength as number} characters, got ${(value as string).length}`;
    case ValueErrorType.Boolean:
      return `must be true or false, got ${describe(value)}`;
    case ValueErrorType.Object:
      return `must be an object, got ${describe(value)}`;
    case ValueErrorType.Array:
      return `must be a list, got ${describe(value)}`;
    case ValueErrorType.Union: {
      const values = literals(schema);
      return values === null ? `does not match any allowed form, got ${describe(value)}` : `unknown ${key} ${describe(value)}; expected one of ${values.join(', ')}`;
    }
    default:
      return error.message;
  }
}
