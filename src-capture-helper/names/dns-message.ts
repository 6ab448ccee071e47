/**
 * DNS message parser (RFC 1035; also mDNS and LLMNR, which share the format).
 * Reads only what name extraction needs: header, question names, and A/AAAA
 * records of the Answers section, with tshark 4.0's rules for malformed names.
 * One cursor over a byte array,
 * bounds checked before every read; never throws on packet bytes.
 */
import { address16Key } from './text';
import { formatIpv4, formatIpv6 } from '../../src-shared/ip';

export const DnsParseStatus = { ok: 0, truncated: 1, malformed: 3 } as const;
export type DnsParseStatus = (typeof DnsParseStatus)[keyof typeof DnsParseStatus];

export interface DnsAnswerAddress {
  /** Owner name of the record. */
  name: string;
  /** Address text as tshark prints it (dotted IPv4, RFC 5952 IPv6). */
  address: string;
  family: 4 | 6;
  /** Map key of the address: IPv4 as an unsigned 32-bit number, IPv6 as 32 hex digits. */
  key: number | string;
}

export interface DnsMessage {
  status: DnsParseStatus;
  reason: string;
  id: number;
  response: boolean;
  rcode: number;
  queries: string[];
  /** A/AAAA records of the Answers section, in message order. */
  answers: DnsAnswerAddress[];
}

/** Limits on what one message may make us do; the name limits are tshark 4.0's. */
export const DNS_LIMITS = {
  /** Compression pointers followed in one name: past this tshark reports a loop. */
  maxPointerJumps: 255,
  /** Buffer for a decoded name, terminating NUL included: a longer name is "<Name too long>". */
  maxNameBytes: 255,
  maxQuestions: 64,
  maxAnswers: 512,
} as const;

const TYPE_A = 1;
const TYPE_NS = 2;
const TYPE_CNAME = 5;
const TYPE_PTR = 12;
const TYPE_MX = 15;
const TYPE_AAAA = 28;
const HEADER_LENGTH = 12;

interface NameResult {
  text: string;
  /** Offset just after the name where it started (after the first pointer, if any). */
  next: number;
}

const NAME_LOOPS = '<Name contains a pointer that loops>';
const NAME_TOO_LONG = '<Name too long>';
const UNKNOWN_EXTENDED_LABEL = '<Unknown extended label>';
const ROOT = '<Root>';

/**
 * The bytes of the name being read, as tshark's name buffer holds them (at
 * most `maxNameBytes` with its NUL): one buffer for every name, since names
 * are read one at a time and turned into text before the next.
 */
const nameBytes = Buffer.alloc(DNS_LIMITS.maxNameBytes);
let nameLength = 0;

function pushNameByte(b: number): void {
  nameBytes[nameLength++] = b;
}

/**
 * Reads a possibly compressed name at `off` within `msg[start, end)` the way
 * tshark 4.0 expands it: labels joined with dots into at most 254 bytes
 * (else "<Name too long>"), more than 255 pointers is a loop, an unknown
 * extended label ends the name, RFC 2673 bit labels print as `\[x..../n]`;
 * the bytes are then shown as tshark's format_text shows them. Returns
 * undefined where tshark's dissection stops with an exception (a name that
 * runs out of the message, label type 0x80).
 */
function readName(msg: Uint8Array, start: number, end: number, off: number): NameResult | undefined {
  nameLength = 0;
  let maxname: number = DNS_LIMITS.maxNameBytes;
  let pos = off;
  let next = -1;
  let pointers = 0;
  for (;;) {
    if (pos >= end) return undefined;
    const len = msg[pos++];
    if (len === 0) break;
    switch (len & 0xc0) {
      case 0x00:
        if (nameLength > 0) {
          if (maxname > 0) {
            pushNameByte(0x2e);
            maxname--;
          }
        } else {
          maxname--;
        }
        for (let i = 0; i < len; i++) {
          if (pos >= end) return undefined;
          if (maxname > 0) {
            pushNameByte(msg[pos]);
            maxname--;
          }
          pos++;
        }
        break;
      case 0x40: {
        // An unknown extended label ends the name where it is: behind a pointer
        // that position can lie before the name's start, and tshark then stops.
        if ((len & 0x3f) !== 1) return pos > off ? { text: UNKNOWN_EXTENDED_LABEL, next: pos } : undefined;
        if (pos >= end) return undefined;
        const bitCount = msg[pos++];
        const labelLength = Math.trunc((bitCount - 1) / 8) + 1;
        maxname = appendAscii('\\[x', maxname);
        for (let i = 0; i < labelLength; i++) {
          if (maxname > 0) {
            if (pos >= end) return undefined;
            maxname = appendAscii(msg[pos].toString(16).padStart(2, '0'), maxname);
          }
          pos++;
        }
        if (maxname > 0) maxname = appendAscii(`/${bitCount}]`, maxname);
        break;
      }
      case 0x80:
        return undefined;
      default: {
        if (pos >= end) return undefined;
        const target = start + (((len & 0x3f) << 8) | msg[pos]);
        pos++;
        if (next < 0) next = pos;
        if (++pointers > DNS_LIMITS.maxPointerJumps) return { text: NAME_LOOPS, next };
        pos = target;
      }
    }
  }
  if (next < 0) next = pos;
  if (maxname <= 0) return { text: NAME_TOO_LONG, next };
  return { text: nameLength === 0 ? ROOT : nameText(nameLength), next };
}

/** snprintf into what is left of the name buffer: all of `s`, or nothing and the buffer is full. */
function appendAscii(s: string, maxname: number): number {
  if (maxname <= 0) return maxname;
  if (s.length > maxname) return 0;
  for (let i = 0; i < s.length; i++) pushNameByte(s.charCodeAt(i));
  return maxname - s.length;
}

/** The text of the name's `length` bytes: most names are printable ASCII, which format_text leaves as it is. */
function nameText(length: number): string {
  for (let i = 0; i < length; i++) {
    const c = nameBytes[i];
    if (c < 0x20 || c >= 0x7f) return formatText(nameBytes.subarray(0, length));
  }
  return nameBytes.toString('latin1', 0, length);
}

const C_ESCAPES: Record<number, string> = { 7: 'a', 8: 'b', 9: 't', 10: 'n', 11: 'v', 12: 'f', 13: 'r' };
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cn}\p{Co}\p{Cs}]$/u;
const REPLACEMENT = 0xfffd;

/**
 * tshark 4.0's format_text: printable ASCII as is, other ASCII as C escapes
 * (octal when no letter), UTF-8 decoded leniently (overlong forms accepted;
 * a bad or cut sequence, a surrogate or a value past U+10FFFF becomes
 * U+FFFD), and non-printable characters as \uXXXX or \UXXXXXXXX.
 */
export function formatText(bytes: ArrayLike<number>): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    let c = bytes[i++];
    if (c >= 0x20 && c < 0x7f) {
      out += String.fromCharCode(c);
      continue;
    }
    if (c < 0x80) {
      out += `\\${C_ESCAPES[c] ?? c.toString(8).padStart(3, '0')}`;
      continue;
    }
    let uc: number;
    let more = c >= 0xfe ? -1 : c >= 0xfc ? 5 : c >= 0xf8 ? 4 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;
    if (more > 0) {
      uc = c & (0x3f >> more);
      while (more-- > 0) {
        if (i >= bytes.length) {
          uc = REPLACEMENT;
          break;
        }
        c = bytes[i];
        if ((c & 0xc0) !== 0x80) {
          uc = REPLACEMENT;
          break;
        }
        i++;
        uc = uc * 64 + (c & 0x3f);
      }
      if (uc >= 0x110000 || (uc >= 0xd800 && uc <= 0xdfff)) uc = REPLACEMENT;
    } else {
      uc = REPLACEMENT;
    }
    const ch = String.fromCodePoint(uc);
    if (!NOT_PRINTABLE.test(ch)) out += ch;
    else if (c < 0x80) out += `\\${C_ESCAPES[c] ?? c.toString(8).padStart(3, '0')}`;
    else if (uc <= 0xffff) out += `\\u${uc.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += `\\U${uc.toString(16).toUpperCase().padStart(8, '0')}`;
  }
  return out;
}

function fail(out: DnsMessage, status: DnsParseStatus, reason: string): DnsMessage {
  out.status = status;
  out.reason = reason;
  return out;
}

/** Parses one DNS message occupying `msg[start, end)`. */
export function parseDnsMessage(msg: Uint8Array, start: number, end: number): DnsMessage {
  const out: DnsMessage = { status: DnsParseStatus.ok, reason: '', id: 0, response: false, rcode: 0, queries: [], answers: [] };
  if (end > msg.length || start < 0 || start > end) return fail(out, DnsParseStatus.malformed, 'bad bounds');
  if (end - start < HEADER_LENGTH) return fail(out, DnsParseStatus.truncated, 'short header');
  const u16 = (o: number): number => (msg[o] << 8) | msg[o + 1];
  out.id = u16(start);
  const flags = u16(start + 2);
  out.response = (flags & 0x8000) !== 0;
  out.rcode = flags & 0x000f;
  const qdcount = u16(start + 4);
  const ancount = u16(start + 6);
  let pos = start + HEADER_LENGTH;

  for (let i = 0; i < qdcount; i++) {
    if (i >= DNS_LIMITS.maxQuestions) return fail(out, DnsParseStatus.malformed, 'too many questions');
    const name = readName(msg, start, end, pos);
    if (!name) return fail(out, DnsParseStatus.malformed, 'bad question name');
    if (name.next + 4 > end) return fail(out, DnsParseStatus.truncated, 'short question');
    out.queries.push(name.text);
    pos = name.next + 4;
  }

  // Each answer as tshark dissects it; where it would raise an exception, what came before stays.
  for (let i = 0; i < ancount; i++) {
    if (i >= DNS_LIMITS.maxAnswers) return fail(out, DnsParseStatus.malformed, 'too many answers');
    const name = readName(msg, start, end, pos);
    if (!name) return fail(out, DnsParseStatus.malformed, 'bad answer name');
    if (name.next + 10 > end) return fail(out, DnsParseStatus.truncated, 'short answer');
    const type = u16(name.next);
    const rdlength = u16(name.next + 8);
    const rdata = name.next + 10;
    if (rdata + rdlength > end) return fail(out, DnsParseStatus.truncated, 'short rdata');
    pos = rdata + rdlength;
    if (rdlength === 0) continue;
    // An address is read at its full size whatever the record's length says.
    if (type === TYPE_A) {
      if (rdata + 4 > end) return fail(out, DnsParseStatus.truncated, 'short address');
      const key = ((msg[rdata] << 24) | (msg[rdata + 1] << 16) | (msg[rdata + 2] << 8) | msg[rdata + 3]) >>> 0;
      out.answers.push({ name: name.text, address: formatIpv4(msg, rdata), family: 4, key });
    } else if (type === TYPE_AAAA) {
      if (rdata + 16 > end) return fail(out, DnsParseStatus.truncated, 'short address');
      out.answers.push({ name: name.text, address: formatIpv6(msg, rdata), family: 6, key: address16Key(msg, rdata) });
    } else if (type === TYPE_CNAME || type === TYPE_NS || type === TYPE_PTR || type === TYPE_MX) {
      const at = type === TYPE_MX ? rdata + 2 : rdata;
      if (at > end || !readName(msg, start, end, at)) return fail(out, DnsParseStatus.malformed, 'bad name in record data');
    }
  }
  return out;
}
