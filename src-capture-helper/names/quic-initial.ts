/**
 * QUIC Initial packets (RFC 9000/9001, QUIC v2 RFC 9369, draft-29 to -32):
 * derive the client Initial keys from the Destination Connection ID, remove
 * header protection, decrypt with AES-128-GCM and return the CRYPTO frames,
 * which carry the TLS ClientHello. Bounds checked; decryption failures are
 * results, never exceptions.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';

interface VersionParams {
  salt: Buffer;
  /** HKDF labels for key, iv and header-protection key. */
  labels: [string, string, string];
  /** Long-header packet type value that means Initial. */
  initialType: number;
}

const V1: VersionParams = { salt: Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex'), labels: ['quic key', 'quic iv', 'quic hp'], initialType: 0 };
const V2: VersionParams = { salt: Buffer.from('0dede3def700a6db819381be6e269dcbf9bd2ed9', 'hex'), labels: ['quicv2 key', 'quicv2 iv', 'quicv2 hp'], initialType: 1 };
const DRAFT_29: VersionParams = { salt: Buffer.from('afbfec289993d24c9e9786f19c6111e04390a899', 'hex'), labels: ['quic key', 'quic iv', 'quic hp'], initialType: 0 };

export const QUIC_VERSION_1 = 0x00000001;
export const QUIC_VERSION_2 = 0x6b3343cf;

function versionParams(version: number): VersionParams | undefined {
  if (version === QUIC_VERSION_1) return V1;
  if (version === QUIC_VERSION_2) return V2;
  // Drafts 29 to 32 share the draft-29 salt.
  if (version >= 0xff00001d && version <= 0xff000020) return DRAFT_29;
  return undefined;
}

export interface InitialKeys {
  key: Buffer;
  iv: Buffer;
  hp: Buffer;
}

function hkdfExpandLabel(secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.alloc(2 + 1 + full.length + 1);
  info.writeUInt16BE(length, 0);
  info[2] = full.length;
  full.copy(info, 3);
  info[3 + full.length] = 0; // empty context
  // HKDF-Expand (RFC 5869); every length used here fits in one SHA-256 block.
  return createHmac('sha256', secret).update(info).update(Buffer.from([1])).digest().subarray(0, length);
}

/** Client Initial keys for a connection whose client chose `dcid`. */
export function clientInitialKeys(version: number, dcid: Uint8Array): InitialKeys | undefined {
  const params = versionParams(version);
  if (!params) return undefined;
  const initialSecret = createHmac('sha256', params.salt).update(dcid).digest();
  const clientSecret = hkdfExpandLabel(initialSecret, 'client in', 32);
  return {
    key: hkdfExpandLabel(clientSecret, params.labels[0], 16),
    iv: hkdfExpandLabel(clientSecret, params.labels[1], 12),
    hp: hkdfExpandLabel(clientSecret, params.labels[2], 16),
  };
}

/** Reads a QUIC variable-length integer; returns [value, next] or undefined past `end`. */
function varint(b: Uint8Array, p: number, end: number): [number, number] | undefined {
  if (p >= end) return undefined;
  const len = 1 << (b[p] >> 6);
  if (p + len > end) return undefined;
  let v = b[p] & 0x3f;
  for (let i = 1; i < len; i++) v = v * 256 + b[p + i];
  return [v, p + len];
}

/** Cheap test on a UDP payload: a long-header Initial packet of a version we can decrypt. */
export function looksLikeQuicInitial(b: Uint8Array, start: number, end: number): boolean {
  if (end - start < 7 || (b[start] & 0x80) === 0) return false;
  const version = ((b[start + 1] << 24) | (b[start + 2] << 16) | (b[start + 3] << 8) | b[start + 4]) >>> 0;
  const params = versionParams(version);
  return params !== undefined && ((b[start] >> 4) & 3) === params.initialType;
}

/** A long-header Initial packet located in a datagram (not yet decrypted). */
export interface InitialPacket {
  version: number;
  dcid: Uint8Array;
  /** Offsets in the datagram. */
  start: number;
  pnOffset: number;
  end: number;
}

/**
 * Lists the Initial packets of one UDP datagram (packets may be coalesced:
 * Initial, 0-RTT and Handshake packets one after another).
 */
export function findInitialPackets(b: Uint8Array, start: number, end: number): InitialPacket[] {
  const out: InitialPacket[] = [];
  let p = start;
  // A datagram holds a few coalesced packets at most; the bound keeps hostile input cheap.
  for (let n = 0; n < 8 && end - p >= 7 && (b[p] & 0x80) !== 0; n++) {
    const version = ((b[p + 1] << 24) | (b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4]) >>> 0;
    const params = versionParams(version);
    if (!params) break;
    const type = (b[p] >> 4) & 3;
    let q = p + 5;
    const dcidLen = b[q];
    if (dcidLen > 20 || q + 1 + dcidLen >= end) break;
    const dcid = b.slice(q + 1, q + 1 + dcidLen);
    q += 1 + dcidLen;
    const scidLen = b[q];
    if (scidLen > 20 || q + 1 + scidLen > end) break;
    q += 1 + scidLen;
    if (type === params.initialType) {
      const token = varint(b, q, end);
      if (!token || token[1] + token[0] > end) break;
      q = token[1] + token[0];
    } else if (type === 3) break; // Retry: no length field, nothing to decrypt
    const length = varint(b, q, end);
    if (!length || length[1] + length[0] > end) break;
    const packetEnd = length[1] + length[0];
    if (type === params.initialType) out.push({ version, dcid, start: p, pnOffset: length[1], end: packetEnd });
    p = packetEnd;
  }
  return out;
}

/**
 * Removes header protection and decrypts one Initial packet with `keys`.
 * Returns the plaintext payload, or undefined when the keys do not fit
 * (a server Initial, another connection) or the packet is damaged.
 */
export function decryptInitial(b: Uint8Array, pkt: InitialPacket, keys: InitialKeys): Buffer | undefined {
  const sampleAt = pkt.pnOffset + 4;
  if (sampleAt + 16 > pkt.end) return undefined;
  const mask = createCipheriv('aes-128-ecb', keys.hp, null).update(b.subarray(sampleAt, sampleAt + 16));
  const first = b[pkt.start] ^ (mask[0] & 0x0f);
  const pnLen = (first & 3) + 1;
  const payloadStart = pkt.pnOffset + pnLen;
  if (payloadStart + 16 > pkt.end) return undefined;
  const header = Buffer.from(b.subarray(pkt.start, payloadStart));
  header[0] = first;
  let pn = 0;
  for (let i = 0; i < pnLen; i++) {
    const v = b[pkt.pnOffset + i] ^ mask[1 + i];
    header[pkt.pnOffset - pkt.start + i] = v;
    pn = pn * 256 + v;
  }
  // Initial packet numbers start at 0, so the truncated number is the full one.
  const nonce = Buffer.from(keys.iv);
  for (let i = 0; i < 4; i++) nonce[11 - i] ^= Math.floor(pn / 2 ** (8 * i)) & 0xff;
  try {
    const decipher = createDecipheriv('aes-128-gcm', keys.key, nonce);
    decipher.setAAD(header);
    decipher.setAuthTag(b.subarray(pkt.end - 16, pkt.end));
    const plain = decipher.update(b.subarray(payloadStart, pkt.end - 16));
    decipher.final();
    return plain;
  } catch {
    // Authentication failure: not the client's keys, or damaged bytes.
    return undefined;
  }
}

export interface CryptoFrame {
  offset: number;
  data: Uint8Array;
}

/**
 * CRYPTO frames of a decrypted Initial payload. Stops at the first frame
 * type that may not appear in an Initial packet.
 */
export function cryptoFrames(plain: Uint8Array): CryptoFrame[] {
  const out: CryptoFrame[] = [];
  const end = plain.length;
  let p = 0;
  while (p < end) {
    const type = plain[p];
    if (type === 0x00 || type === 0x01) {
      p++; // PADDING, PING
      continue;
    }
    if (type === 0x02 || type === 0x03) {
      // ACK: largest, delay, range count, first range, then (gap, length) pairs, ECN counts for 0x03.
      let v = varint(plain, p + 1, end);
      for (let i = 0; v && i < 2; i++) v = varint(plain, v[1], end);
      if (!v) break;
      const count = v[0];
      if (count > 256) break;
      v = varint(plain, v[1], end); // first range
      for (let i = 0; v && i < count * 2; i++) v = varint(plain, v[1], end);
      for (let i = 0; v && type === 0x03 && i < 3; i++) v = varint(plain, v[1], end);
      if (!v) break;
      p = v[1];
      continue;
    }
    if (type === 0x06) {
      const off = varint(plain, p + 1, end);
      const len = off && varint(plain, off[1], end);
      if (!off || !len || len[1] + len[0] > end) break;
      out.push({ offset: off[0], data: plain.subarray(len[1], len[1] + len[0]) });
      p = len[1] + len[0];
      continue;
    }
    break; // CONNECTION_CLOSE or a frame not allowed in Initial packets: nothing more for us
  }
  return out;
}
