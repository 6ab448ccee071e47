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

/** Collects field errors while a validator reads an untrusted object. */
export class FieldReader {
  readonly errors: FieldError[] = [];

  constructor(
    private readonly source: Record<string, unknown>,
    private readonly prefix = '',
  ) {}

  path(key: string): string {
    return this.prefix === '' ? key : `${this.prefix}.${key}`;
  }

  error(key: string, message: string): void {
    this.errors.push({ field: this.path(key), message });
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.source, key) && this.source[key] !== undefined;
  }

  raw(key: string): unknown {
    return this.has(key) ? this.source[key] : undefined;
  }

  /** Refuses keys outside `allowed`, so a typo in a settings file is reported instead of ignored. */
  rejectUnknown(allowed: readonly string[]): void {
    for (const key of Object.keys(this.source)) {
      if (!allowed.includes(key)) this.error(key, `unknown field '${key}'`);
    }
  }

  string(key: string, opts: { required?: boolean; maxLength?: number; fallback?: string } = {}): string | undefined {
    const value = this.raw(key);
    if (value === undefined) {
      if (opts.required === true) this.error(key, 'is required');
      return opts.fallback;
    }
    if (typeof value !== 'string') {
      this.error(key, `must be a string, got ${describe(value)}`);
      return undefined;
    }
    const trimmed = value.trim();
    if (opts.required === true && trimmed === '') {
      this.error(key, 'must not be empty');
      return undefined;
    }
    if (opts.maxLength !== undefined && trimmed.length > opts.maxLength) {
      this.error(key, `must be at most ${opts.maxLength} characters, got ${trimmed.length}`);
      return undefined;
    }
    return trimmed;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.error(key, `must be true or false, got ${describe(value)}`);
      return fallback;
    }
    return value;
  }

  /** One of `choices`; the message lists them so the user can pick. */
  choice<T extends string>(key: string, choices: readonly T[], fallback?: T): T | undefined {
    const value = this.raw(key);
    if (value === undefined) {
      if (fallback === undefined) this.error(key, `is required (one of ${choices.join(', ')})`);
      return fallback;
    }
    if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
      this.error(key, `unknown ${key} ${describe(value)}; expected one of ${choices.join(', ')}`);
      return undefined;
    }
    return value as T;
  }

  /** A number within [min, max]. Accepts numeric strings (form fields and YAML send them). */
  number(key: string, opts: { min: number; max: number; integer?: boolean; fallback?: number }): number | undefined {
    const value = this.raw(key);
    if (value === undefined) {
      if (opts.fallback === undefined) this.error(key, 'is required');
      return opts.fallback;
    }
    const parsed = parseNumber(value);
    if (parsed === undefined) {
      this.error(key, `must be a number, got ${describe(value)}`);
      return undefined;
    }
    if (opts.integer === true && !Number.isInteger(parsed)) {
      this.error(key, `must be a whole number, got ${parsed}`);
      return undefined;
    }
    if (parsed < opts.min) {
      this.error(key, opts.min === 0 ? `must be zero or more, got ${parsed}` : `must be at least ${opts.min}, got ${parsed}`);
      return undefined;
    }
    if (parsed > opts.max) {
      this.error(key, `must be at most ${opts.max}, got ${parsed}`);
      return undefined;
    }
    return parsed;
  }
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
