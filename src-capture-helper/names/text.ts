/**
 * Text helpers shared by the name parsers: names on the wire are bytes, and a
 * hostile packet may put any byte in them, so non-printable bytes are escaped
 * instead of being decoded into control characters.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const C_ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };
const utf8 = new TextDecoder('utf-8', { fatal: false });
/** Plain text up to this many bytes is built in JS rather than decoded natively. */
const SHORT_TEXT = 64;

/**
 * Text of a name taken from packet bytes, written the way tshark shows it:
 * UTF-8 (or ASCII) with invalid bytes as U+FFFD, control characters as C
 * escapes (`\t`, `\n`) or three-digit octal (`\001`, `\177`).
 */
export function wireText(bytes: Uint8Array, start: number, end: number, encoding: 'utf8' | 'ascii'): string {
  let plain = true;
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c < 0x20 || c >= 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) {
    // A DNS label is at most 63 bytes: building it char by char beats making a Buffer to decode it.
    if (end - start > SHORT_TEXT) return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
    let text = '';
    for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]);
    return text;
  }
  let decoded: string;
  if (encoding === 'utf8') decoded = utf8.decode(bytes.subarray(start, end));
  else {
    decoded = '';
    for (let i = start; i < end; i++) decoded += bytes[i] < 0x80 ? String.fromCharCode(bytes[i]) : '\ufffd';
  }
  let out = '';
  for (const ch of decoded) {
    const c = ch.charCodeAt(0);
    if (c < 0x20 || c === 0x7f) out += C_ESCAPES[c] ?? `\\${c.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return out;
}


/** A compact map key for a 16-byte address (hex, allocation of one short string). */
export function address16Key(bytes: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += HEX[bytes[off + i]];
  return s;
}
