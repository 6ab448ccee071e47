/**
 * Expected failures of user input travel as values (STYLE.md): a validator
 * returns every problem it found, each tied to the field a form can highlight.
 */
export interface FieldError {
  /** Dotted path of the offending field, e.g. `scope.cidr`; empty for the whole object. */
  field: string;
  message: string;
}

/** `forbidden`: the input may be fine, but this caller may not make that change (it belongs in the settings file). */
export type Result<T> = { ok: true; value: T } | { ok: false; errors: FieldError[]; forbidden?: true };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T>(field: string, message: string): Result<T> {
  return { ok: false, errors: [{ field, message }] };
}

export function forbid<T>(field: string, message: string): Result<T> {
  return { ok: false, errors: [{ field, message }], forbidden: true };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const SUFFIX: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9 };

/**
 * A finite number, or one written as text (form fields and YAML send them), with an SI suffix k, M or G
 * (powers of 1000) where `siSuffix` allows it, so a settings file may say `threshold: 50M`.
 */
export function parseNumber(value: unknown, siSuffix = false): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([kKMG]?)\s*$/.exec(value);
  if (match === null || (match[2] !== '' && !siSuffix)) return undefined;
  const number = Number(match[1]) * (match[2] === '' ? 1 : SUFFIX[match[2]]);
  return Number.isFinite(number) ? number : undefined;
}

/** A short, safe rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string': {
      const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      return JSON.stringify(shown);
    }
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
