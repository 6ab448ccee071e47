/**
 * DNS message parser (RFC 1035; also mDNS and LLMNR, which share the format).
 * Reads only what name extraction needs: header, question names, and A/AAAA
 * records of the Answers section. One cursor over a byte array,
 * bounds checked before every read; never throws on packet bytes.
 */
import { address16Key, ipv4Text, ipv6Text, wireText } from './text';

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

/** Limits on what one message may make us do. */
export const DNS_LIMITS = {
  /** Pointer jumps while reading one name: loops in hostile packets stop here. */
  maxPointerJumps: 64,
  /** Bytes of a decoded name (RFC 1035 says 255 on the wire; tshark shows longer ones, so allow some slack). */
  maxNameBytes: 1024,
  maxQuestions: 64,
  maxAnswers: 512,
} as const;

const TYPE_A = 1;
const TYPE_AAAA = 28;
const HEADER_LENGTH = 12;

interface NameResult {
  text: string;
  /** Offset just after the name where it started (after the first pointer, if any). */
  next: number;
}

/**
 * Reads a possibly compressed name at `off` within `msg[start, end)`.
 * Returns undefined for a name that runs out of bytes, loops, or uses a
 * reserved label type.
 */
function readName(msg: Uint8Array, start: number, end: number, off: number): NameResult | undefined {
  let text = '';
  let labels = 0;
  let pos = off;
  let next = -1;
  let jumps = 0;
  let bytes = 0;
  for (;;) {
    if (pos >= end) return undefined;
    const len = msg[pos];
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= end) return undefined;
      const target = start + (((len & 0x3f) << 8) | msg[pos + 1]);
      if (next < 0) next = pos + 2;
      if (++jumps > DNS_LIMITS.maxPointerJumps || target >= end) return undefined;
      pos = target;
      continue;
    }
    if (kind !== 0) return undefined;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    if (pos + 1 + len > end) return undefined;
    bytes += len + 1;
    if (bytes > DNS_LIMITS.maxNameBytes) return undefined;
    const label = wireText(msg, pos + 1, pos + 1 + len, 'utf8');
    text = labels++ === 0 ? label : `${text}.${label}`;
    pos += 1 + len;
  }
  return { text: labels === 0 ? '<Root>' : text, next };
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

  for (let i = 0; i < ancount; i++) {
    if (i >= DNS_LIMITS.maxAnswers) return fail(out, DnsParseStatus.malformed, 'too many answers');
    const name = readName(msg, start, end, pos);
    if (!name) return fail(out, DnsParseStatus.malformed, 'bad answer name');
    if (name.next + 10 > end) return fail(out, DnsParseStatus.truncated, 'short answer');
    const type = u16(name.next);
    const rdlength = u16(name.next + 8);
    const rdata = name.next + 10;
    if (rdata + rdlength > end) return fail(out, DnsParseStatus.truncated, 'short rdata');
    if (type === TYPE_A && rdlength === 4) {
      const key = ((msg[rdata] << 24) | (msg[rdata + 1] << 16) | (msg[rdata + 2] << 8) | msg[rdata + 3]) >>> 0;
      out.answers.push({ name: name.text, address: ipv4Text(msg, rdata), family: 4, key });
    } else if (type === TYPE_AAAA && rdlength === 16) {
      out.answers.push({ name: name.text, address: ipv6Text(msg, rdata), family: 6, key: address16Key(msg, rdata) });
    }
    pos = rdata + rdlength;
  }
  return out;
}
