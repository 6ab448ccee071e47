/** Arrays longer than this are serialised a slice at a time. */
const SLICE = 2048;
/** Bytes handed to the sink at a time. */
const CHUNK = 1 << 20;

/**
 * A value that writes its own JSON text: large tables in typed arrays write
 * their rows straight into the output instead of building an object and
 * strings per row. `toJSON` gives the same text through JSON.stringify.
 */
export interface JsonText {
  writeJson(out: JsonWriter): void;
  toJSON(): unknown;
}

/**
 * Writes exactly the text of `JSON.stringify(value)` to `sink` in chunks of
 * about a megabyte, UTF-8 encoded. A report of many conversations is tens of
 * megabytes of JSON: building it as one string, then one buffer, costs more
 * than the report itself.
 */
export function writeJson(value: unknown, sink: (chunk: Uint8Array) => void): void {
  const out = new JsonWriter(sink);
  out.value(value);
  out.end();
}

/** UTF-8 JSON text into fresh chunks (a chunk handed to the sink is never touched again). */
export class JsonWriter {
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;

  constructor(private readonly sink: (chunk: Uint8Array) => void) {}

  /** Any value, as JSON.stringify writes it (no replacer, no indent). */
  value(value: unknown): void {
    if (isJsonText(value)) {
      value.writeJson(this);
      return;
    }
    if (hasToJson(value)) {
      this.text(JSON.stringify(value) ?? 'null');
      return;
    }
    if (Array.isArray(value)) {
      this.array(value);
      return;
    }
    if (isPlainObject(value)) {
      this.object(value);
      return;
    }
    this.text(JSON.stringify(value) ?? 'null');
  }

  /** JSON text (already escaped and quoted where needed). */
  text(s: string): void {
    // Short text is at most 3 bytes per UTF-16 unit; long text is encoded in place when it fits.
    if (s.length * 3 > this.buf.length - this.pos) {
      this.flush();
      if (s.length * 3 > this.buf.length) {
        this.sink(Buffer.from(s, 'utf8'));
        return;
      }
    }
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Text known to be printable ASCII without quotes or backslashes (addresses, fixed-point numbers). */
  ascii(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) {
        this.text(s);
        return;
      }
    }
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Bytes of JSON text, e.g. member names encoded once up front. */
  bytes(text: Uint8Array): void {
    const n = text.length;
    if (this.pos + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) {
        this.sink(Uint8Array.from(text));
        return;
      }
    }
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = text[i];
    this.pos = p;
  }

  byte(c: number): void {
    if (this.pos >= this.buf.length) this.flush();
    this.buf[this.pos++] = c;
  }

  /** A number as JSON.stringify prints it; non-negative integers below 2^53 without a string in between. */
  number(v: number): void {
    if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER && Math.floor(v) === v)) {
      this.ascii(JSON.stringify(v));
      return;
    }
    if (this.pos + 16 > this.buf.length) this.flush();
    const b = this.buf;
    let digits = 1;
    for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    let x = v;
    do {
      const q = Math.floor(x / 10);
      b[--p] = 0x30 + (x - q * 10);
      x = q;
    } while (x > 0);
  }

  /** Everything written so far goes to the sink. */
  end(): void {
    this.flush();
  }

  private array(value: unknown[]): void {
    if (!value.some(isJsonText)) {
      // Plain data: JSON.stringify a slice at a time, without the slice's brackets.
      this.byte(0x5b);
      for (let i = 0; i < value.length; i += SLICE) {
        if (i > 0) this.byte(0x2c);
        const slice = JSON.stringify(value.slice(i, i + SLICE));
        this.text(slice.slice(1, -1));
      }
      this.byte(0x5d);
      return;
    }
    this.byte(0x5b);
    for (let i = 0; i < value.length; i++) {
      if (i > 0) this.byte(0x2c);
      const v = value[i];
      // In arrays JSON.stringify writes null where an object member would be left out.
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') this.ascii('null');
      else this.value(v);
    }
    this.byte(0x5d);
  }

  private object(value: Record<string, unknown>): void {
    this.byte(0x7b);
    let first = true;
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      if (!first) this.byte(0x2c);
      first = false;
      this.text(JSON.stringify(key));
      this.byte(0x3a);
      this.value(v);
    }
    this.byte(0x7d);
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
  }
}

function isJsonText(value: unknown): value is JsonText {
  return typeof value === 'object' && value !== null && typeof (value as Partial<JsonText>).writeJson === 'function';
}

function hasToJson(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
