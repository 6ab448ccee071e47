/**
 * Text helpers shared by the name parsers: names on the wire are bytes, and a
 * hostile packet may put any byte in them, so non-printable bytes are escaped
 * instead of being decoded into control characters.
 */

import { ipv6Text as addressWordsText } from '../decode/address-text';

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

/** IPv4 dotted quad from 4 bytes at `off`. */
export function ipv4Text(bytes: Uint8Array, off: number): string {
  return `${bytes[off]}.${bytes[off + 1]}.${bytes[off + 2]}.${bytes[off + 3]}`;
}

/** IPv6 text from 16 bytes at `off`, as tshark writes it (IPv4-mapped addresses as `::ffff:a.b.c.d`). */
export function ipv6Text(bytes: Uint8Array, off: number): string {
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const o = off + i * 4;
    words[i] = ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>> 0;
  }
  return addressWordsText(words, 0);
}

/** Text of a 16-byte address (IPv4 as IPv4-mapped IPv6 is printed dotted). */
export function address16Text(addr16: Uint8Array): string {
  return isMappedIpv4(addr16) ? ipv4Text(addr16, 12) : ipv6Text(addr16, 0);
}

export function isMappedIpv4(addr16: Uint8Array): boolean {
  if (addr16[10] !== 0xff || addr16[11] !== 0xff) return false;
  for (let i = 0; i < 10; i++) if (addr16[i] !== 0) return false;
  return true;
}

/** A compact map key for a 16-byte address (hex, allocation of one short string). */
export function address16Key(bytes: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += HEX[bytes[off + i]];
  return s;
}
