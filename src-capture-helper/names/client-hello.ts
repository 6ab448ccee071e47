/**
 * TLS and DTLS ClientHello parsing, far enough to find the server_name
 * extension (RFC 6066). Used for TLS over TCP, DTLS over UDP and the CRYPTO
 * stream of QUIC Initial packets. Bounds checked, never throws on bytes.
 */
import { wireText } from './text';

export const HelloStatus = {
  /** The message is complete; `sni` is set when it carried a host name. */
  done: 0,
  /** More bytes are needed; `needed` says how many in total from the start. */
  needMore: 1,
  /** Not a ClientHello (or not TLS at all): stop looking in this stream. */
  notHello: 2,
  /** A ClientHello whose fields contradict each other. */
  malformed: 3,
} as const;
export type HelloStatus = (typeof HelloStatus)[keyof typeof HelloStatus];

export interface HelloResult {
  status: HelloStatus;
  sni?: string;
  /** For needMore: total bytes from the start of the input that would let parsing go on. */
  needed: number;
}

const HANDSHAKE_CLIENT_HELLO = 1;
const CONTENT_HANDSHAKE = 22;
const EXT_SERVER_NAME = 0;
/** The largest TLS record a peer may send (2^14 plus expansion). */
const MAX_RECORD = 16384 + 2048;

const result = (status: HelloStatus, needed = 0, sni?: string): HelloResult => (sni === undefined ? { status, needed } : { status, needed, sni });

/**
 * Parses a ClientHello body (after the 4-byte handshake header) in
 * `b[start, end)`. DTLS bodies carry a cookie after the session id.
 */
export function parseClientHelloBody(b: Uint8Array, start: number, end: number, dtls: boolean): HelloResult {
  let p = start + 2 + 32; // legacy_version, random
  if (p + 1 > end) return result(HelloStatus.malformed);
  p += 1 + b[p]; // session id
  if (dtls) {
    if (p + 1 > end) return result(HelloStatus.malformed);
    p += 1 + b[p]; // cookie
  }
  if (p + 2 > end) return result(HelloStatus.malformed);
  p += 2 + ((b[p] << 8) | b[p + 1]); // cipher suites
  if (p + 1 > end) return result(HelloStatus.malformed);
  p += 1 + b[p]; // compression methods
  if (p === end) return result(HelloStatus.done); // no extensions at all
  if (p + 2 > end) return result(HelloStatus.malformed);
  const extEnd = p + 2 + ((b[p] << 8) | b[p + 1]);
  if (extEnd > end) return result(HelloStatus.malformed);
  p += 2;
  while (p + 4 <= extEnd) {
    const type = (b[p] << 8) | b[p + 1];
    const len = (b[p + 2] << 8) | b[p + 3];
    const body = p + 4;
    if (body + len > extEnd) return result(HelloStatus.malformed);
    if (type === EXT_SERVER_NAME) return serverName(b, body, body + len);
    p = body + len;
  }
  return result(HelloStatus.done);
}

/** The first host_name entry of a server_name extension body. */
function serverName(b: Uint8Array, start: number, end: number): HelloResult {
  if (start + 2 > end) return result(HelloStatus.malformed);
  const listEnd = start + 2 + ((b[start] << 8) | b[start + 1]);
  if (listEnd > end) return result(HelloStatus.malformed);
  let p = start + 2;
  while (p + 3 <= listEnd) {
    const nameType = b[p];
    const len = (b[p + 1] << 8) | b[p + 2];
    if (p + 3 + len > listEnd) return result(HelloStatus.malformed);
    if (nameType === 0) return result(HelloStatus.done, 0, wireText(b, p + 3, p + 3 + len, 'ascii'));
    p += 3 + len;
  }
  return result(HelloStatus.done);
}

/**
 * Parses a bare handshake stream that starts with a ClientHello message (the
 * QUIC CRYPTO stream): 1-byte type, 3-byte length, body.
 */
export function parseHandshakeClientHello(b: Uint8Array, start: number, end: number, maxLength: number): HelloResult {
  if (end - start < 4) return result(HelloStatus.needMore, 4);
  if (b[start] !== HANDSHAKE_CLIENT_HELLO) return result(HelloStatus.notHello);
  const len = (b[start + 1] << 16) | (b[start + 2] << 8) | b[start + 3];
  if (4 + len > maxLength) return result(HelloStatus.malformed);
  if (end - start < 4 + len) return result(HelloStatus.needMore, 4 + len);
  return parseClientHelloBody(b, start + 4, start + 4 + len, false);
}

/**
 * Quick test on the first bytes of a TCP segment: a TLS handshake record that
 * starts a ClientHello. A segment shorter than the headers passes when the
 * bytes it has fit, so a ClientHello split right at its start is not missed.
 */
export function looksLikeTlsClientHello(b: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n < 1 || b[start] !== CONTENT_HANDSHAKE) return false;
  if (n > 1 && b[start + 1] !== 3) return false;
  if (n > 2 && b[start + 2] > 4) return false;
  return n <= 5 || b[start + 5] === HANDSHAKE_CLIENT_HELLO;
}

/**
 * Parses the start of a TLS byte stream (records over TCP) up to the end of
 * the first ClientHello, which may span several records. `maxLength` bounds
 * the bytes we are willing to buffer for it.
 */
export function parseTlsStream(b: Uint8Array, start: number, end: number, maxLength: number): HelloResult {
  // Gather handshake bytes from consecutive handshake records into one message.
  const pieces: Array<[number, number]> = [];
  let have = 0;
  let msgLen = -1;
  let p = start;
  for (;;) {
    if (end - p < 5) return result(HelloStatus.needMore, p - start + 5);
    if (b[p] !== CONTENT_HANDSHAKE || b[p + 1] !== 3 || b[p + 2] > 4) return pieces.length ? result(HelloStatus.malformed) : result(HelloStatus.notHello);
    const recLen = (b[p + 3] << 8) | b[p + 4];
    if (recLen === 0 || recLen > MAX_RECORD) return result(HelloStatus.malformed);
    const recEnd = p + 5 + recLen;
    if (recEnd - start > maxLength) return result(HelloStatus.malformed);
    if (pieces.length === 0 && recEnd > end && end - (p + 5) >= 4) {
      // Check the handshake header early so a stream that is not a ClientHello is dropped now.
      if (b[p + 5] !== HANDSHAKE_CLIENT_HELLO) return result(HelloStatus.notHello);
    }
    if (recEnd > end) return result(HelloStatus.needMore, recEnd - start);
    pieces.push([p + 5, recEnd]);
    have += recLen;
    if (msgLen < 0 && have >= 4) {
      const h = concat(b, pieces, 4);
      if (h[0] !== HANDSHAKE_CLIENT_HELLO) return result(HelloStatus.notHello);
      msgLen = 4 + ((h[1] << 16) | (h[2] << 8) | h[3]);
      if (msgLen > maxLength) return result(HelloStatus.malformed);
    }
    if (msgLen >= 0 && have >= msgLen) {
      const msg = pieces.length === 1 ? b.subarray(pieces[0][0], pieces[0][0] + msgLen) : concat(b, pieces, msgLen);
      return parseClientHelloBody(msg, 4, msgLen, false);
    }
    p = recEnd;
  }
}

function concat(b: Uint8Array, pieces: Array<[number, number]>, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let o = 0;
  for (const [s, e] of pieces) {
    const n = Math.min(e - s, length - o);
    out.set(b.subarray(s, s + n), o);
    o += n;
    if (o >= length) break;
  }
  return out;
}

/** DTLS record versions: DTLS 1.0 (0xfeff) and 1.2 (0xfefd, also used by DTLS 1.3 ClientHellos). */
export function looksLikeDtlsHandshake(b: Uint8Array, start: number, end: number): boolean {
  return end - start >= 25 && b[start] === CONTENT_HANDSHAKE && b[start + 1] === 0xfe && (b[start + 2] === 0xff || b[start + 2] === 0xfd);
}

/** One ClientHello fragment found in a DTLS datagram. */
export interface DtlsHelloFragment {
  messageSeq: number;
  messageLength: number;
  fragmentOffset: number;
  /** Fragment bytes are b[start, end). */
  start: number;
  end: number;
}

/**
 * Walks the DTLS records of one datagram and returns the ClientHello
 * fragments it carries (usually one that holds the whole message).
 */
export function dtlsClientHelloFragments(b: Uint8Array, start: number, end: number, maxLength: number): DtlsHelloFragment[] {
  const out: DtlsHelloFragment[] = [];
  let p = start;
  // A datagram holds at most a handful of records; the count bound keeps hostile input cheap.
  for (let records = 0; records < 64 && end - p >= 13; records++) {
    const type = b[p];
    const recLen = (b[p + 11] << 8) | b[p + 12];
    const recEnd = p + 13 + recLen;
    if (recEnd > end) break;
    const epoch = (b[p + 3] << 8) | b[p + 4];
    if (type === CONTENT_HANDSHAKE && epoch === 0) {
      let q = p + 13;
      while (recEnd - q >= 12) {
        const msgType = b[q];
        const msgLen = (b[q + 1] << 16) | (b[q + 2] << 8) | b[q + 3];
        const seq = (b[q + 4] << 8) | b[q + 5];
        const fragOff = (b[q + 6] << 16) | (b[q + 7] << 8) | b[q + 8];
        const fragLen = (b[q + 9] << 16) | (b[q + 10] << 8) | b[q + 11];
        const body = q + 12;
        if (body + fragLen > recEnd || fragOff + fragLen > msgLen) break;
        if (msgType === HANDSHAKE_CLIENT_HELLO && msgLen <= maxLength) {
          out.push({ messageSeq: seq, messageLength: msgLen, fragmentOffset: fragOff, start: body, end: body + fragLen });
        }
        q = body + fragLen;
      }
    }
    p = recEnd;
  }
  return out;
}
