/** Arrays longer than this are serialised a slice at a time. */
const SLICE = 2048;
/** Text is handed to `write` in pieces of about this many characters. */
const PIECE = 1 << 20;

/**
 * Writes exactly the text of `JSON.stringify(value)`, in pieces of about a
 * megabyte. A report of many conversations is tens of megabytes of JSON: one
 * string that size, and the buffer it is encoded into, cost more than the
 * serialising itself.
 */
export function writeJson(value: unknown, write: (text: string) => void): void {
  const out = new PieceWriter(write);
  serialise(value, out);
  out.flush();
}

class PieceWriter {
  private parts: string[] = [];
  private length = 0;

  constructor(private readonly write: (text: string) => void) {}

  add(text: string): void {
    this.parts.push(text);
    this.length += text.length;
    if (this.length >= PIECE) this.flush();
  }

  flush(): void {
    if (this.length === 0) return;
    this.write(this.parts.join(''));
    this.parts = [];
    this.length = 0;
  }
}

/** Plain objects and long arrays are taken apart; anything else is JSON.stringify's. */
function serialise(value: unknown, out: PieceWriter): void {
  if (Array.isArray(value)) {
    if (value.length <= SLICE) {
      out.add(JSON.stringify(value));
      return;
    }
    out.add('[');
    for (let i = 0; i < value.length; i += SLICE) {
      const text = JSON.stringify(value.slice(i, i + SLICE));
      out.add(i === 0 ? text.slice(1, -1) : `,${text.slice(1, -1)}`);
    }
    out.add(']');
    return;
  }
  if (!isPlainObject(value)) {
    out.add(JSON.stringify(value) ?? 'null');
    return;
  }
  out.add('{');
  let first = true;
  for (const key of Object.keys(value)) {
    const v = value[key];
    // JSON.stringify leaves these members out.
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    out.add(`${first ? '' : ','}${JSON.stringify(key)}:`);
    first = false;
    serialise(v, out);
  }
  out.add('}');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
