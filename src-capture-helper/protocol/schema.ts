/**
 * Small hand-written shape validators for messages that cross the socket.
 * A validator returns a fresh value built from the input (unknown keys are
 * left behind, so nothing like `__proto__` travels further) or throws a
 * ValidationError naming the path of the first bad field.
 */

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly requestErrorCode = 'invalid';
}

export type Validator<T> = (value: unknown, path: string) => T;
export type Infer<V> = V extends Validator<infer T> ? T : never;

function fail(path: string, expected: string, value: unknown): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  throw new ValidationError(`${path}: expected ${expected}, got ${got}`);
}

export function str(opts: { max?: number; min?: number; pattern?: RegExp } = {}): Validator<string> {
  const max = opts.max ?? 4096;
  const min = opts.min ?? 0;
  return (v, path) => {
    if (typeof v !== 'string') fail(path, 'a string', v);
    if (v.length > max || v.length < min) throw new ValidationError(`${path}: length must be ${min}..${max}, got ${v.length}`);
    if (opts.pattern && !opts.pattern.test(v)) throw new ValidationError(`${path}: ${JSON.stringify(v)} is not valid`);
    return v;
  };
}

export function int(min = 0, max = Number.MAX_SAFE_INTEGER): Validator<number> {
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, 'an integer', v);
    if (v < min || v > max) throw new ValidationError(`${path}: must be in ${min}..${max}, got ${v}`);
    return v;
  };
}

export function num(min = -Number.MAX_VALUE, max = Number.MAX_VALUE): Validator<number> {
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'a finite number', v);
    if (v < min || v > max) throw new ValidationError(`${path}: must be in ${min}..${max}, got ${v}`);
    return v;
  };
}

export const bool: Validator<boolean> = (v, path) => {
  if (typeof v !== 'boolean') fail(path, 'a boolean', v);
  return v;
};

export function oneOf<const T extends readonly string[]>(values: T): Validator<T[number]> {
  return (v, path) => {
    if (typeof v !== 'string' || !values.includes(v)) {
      throw new ValidationError(`${path}: expected one of ${values.join(', ')}, got ${JSON.stringify(v)?.slice(0, 64)}`);
    }
    return v as T[number];
  };
}

export function arr<T>(item: Validator<T>, max: number): Validator<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) fail(path, 'an array', v);
    if (v.length > max) throw new ValidationError(`${path}: at most ${max} items, got ${v.length}`);
    return v.map((x, i) => item(x, `${path}[${i}]`));
  };
}

export function optional<T>(inner: Validator<T>): Validator<T | undefined> {
  return (value, path) => (value === undefined ? undefined : inner(value, path));
}

export function nullable<T>(inner: Validator<T>): Validator<T | null> {
  return (value, path) => (value === null ? null : inner(value, path));
}

type Shape = Record<string, Validator<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj<S extends Shape>(shape: S): Validator<ObjectOf<S>> {
  const keys = Object.keys(shape);
  return (v, path) => {
    if (!isPlainObject(v)) fail(path, 'an object', v);
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const value = Object.prototype.hasOwnProperty.call(v, key) ? v[key] : undefined;
      const checked = shape[key](value, `${path}.${key}`);
      if (checked !== undefined) out[key] = checked;
    }
    return out as ObjectOf<S>;
  };
}

/** A string-keyed map with a bounded number of entries. */
export function record<T>(value: Validator<T>, maxEntries: number, key: Validator<string> = str({ max: 256 })): Validator<Record<string, T>> {
  return (v, path) => {
    if (!isPlainObject(v)) fail(path, 'an object', v);
    const entries = Object.keys(v);
    if (entries.length > maxEntries) throw new ValidationError(`${path}: at most ${maxEntries} entries, got ${entries.length}`);
    const out: Record<string, T> = Object.create(null) as Record<string, T>;
    for (const k of entries) out[key(k, `${path} key`)] = value(v[k], `${path}.${k}`);
    return out;
  };
}

/** A union told apart by a string tag field. */
export function tagged<K extends string, M extends Record<string, Validator<object>>>(
  tag: K,
  variants: M,
): Validator<{ [T in keyof M]: Infer<M[T]> & { [P in K]: T } }[keyof M]> {
  const names = Object.keys(variants);
  return (v, path) => {
    if (!isPlainObject(v)) fail(path, 'an object', v);
    const t = v[tag];
    if (typeof t !== 'string' || !Object.prototype.hasOwnProperty.call(variants, t)) {
      throw new ValidationError(`${path}.${tag}: expected one of ${names.join(', ')}, got ${JSON.stringify(t)?.slice(0, 64)}`);
    }
    return { ...variants[t](v, path), [tag]: t } as { [T in keyof M]: Infer<M[T]> & { [P in K]: T } }[keyof M];
  };
}
