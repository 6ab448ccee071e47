import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  clientInitialKeys,
  cryptoFrames,
  decryptInitial,
  findInitialPackets,
  looksLikeQuicInitial,
  QUIC_VERSION_1,
  QUIC_VERSION_2,
} from '../../../src-capture-helper/names/quic-initial';
import type { InitialKeys } from '../../../src-capture-helper/names/quic-initial';
import { hex } from './packets';

const DCID = hex('8394c8f03e515708'); // RFC 9001 A.1 / RFC 9369 A.1

describe('QUIC Initial keys', () => {
  it('match RFC 9001 Appendix A.1 (QUIC v1)', () => {
    const k = clientInitialKeys(QUIC_VERSION_1, DCID);
    expect(k?.key.toString('hex')).toBe('1f369613dd76d5467730efcbe3b1a22d');
    expect(k?.iv.toString('hex')).toBe('fa044b2f42a3fd3b46fb255c');
    expect(k?.hp.toString('hex')).toBe('9f50449e04a0e810283a1e9933adedd2');
  });

  it('match RFC 9369 Appendix A.1 (QUIC v2)', () => {
    const k = clientInitialKeys(QUIC_VERSION_2, DCID);
    expect(k?.key.toString('hex')).toBe('8b1a0bc121284290a29e0971b5cd045d');
    expect(k?.iv.toString('hex')).toBe('91f73e2351d8fa91660e909f');
    expect(k?.hp.toString('hex')).toBe('45b95e15235d6f45a6b19cbcb0294ba9');
  });

  it('are not derived for unknown versions', () => {
    expect(clientInitialKeys(0x0a0a0a0a, DCID)).toBeUndefined();
  });
});

/** Protects an Initial packet as RFC 9001 section 5 describes (the sender's side). */
function protect(version: number, keys: InitialKeys, pn: number, frames: Uint8Array): Uint8Array {
  const type = version === QUIC_VERSION_2 ? 1 : 0;
  const pnLen = 2;
  const payloadLen = frames.length + 16;
  const length = pnLen + payloadLen; // encoded as a 2-byte varint
  const header = Uint8Array.from([
    0xc0 | (type << 4) | (pnLen - 1),
    (version >>> 24) & 0xff, (version >>> 16) & 0xff, (version >>> 8) & 0xff, version & 0xff,
    DCID.length, ...DCID,
    0, // SCID length
    0, // token length
    0x40 | (length >> 8), length & 0xff,
    pn >> 8, pn & 0xff,
  ]);
  const nonce = Buffer.from(keys.iv);
  nonce[10] ^= pn >> 8;
  nonce[11] ^= pn & 0xff;
  const c = createCipheriv('aes-128-gcm', keys.key, nonce);
  c.setAAD(header);
  const sealed = Buffer.concat([c.update(frames), c.final(), c.getAuthTag()]);
  const packet = Buffer.concat([header, sealed]);
  const pnOffset = header.length - pnLen;
  const mask = createCipheriv('aes-128-ecb', keys.hp, null).update(packet.subarray(pnOffset + 4, pnOffset + 20));
  packet[0] ^= mask[0] & 0x0f;
  for (let i = 0; i < pnLen; i++) packet[pnOffset + i] ^= mask[1 + i];
  return packet;
}

describe('QUIC Initial packets', () => {
  // PING, ACK (largest 0, delay 0, 0 ranges, first range 0), CRYPTO at offset 5 with "hello", then padding.
  const frames = Uint8Array.from([0x01, 0x02, 0, 0, 0, 0, 0x06, 0x05, 0x05, ...Buffer.from('hello'), ...new Array<number>(1100).fill(0)]);

  for (const [name, version] of [['v1', QUIC_VERSION_1], ['v2', QUIC_VERSION_2]] as const) {
    it(`${name}: header protection removed, payload decrypted, CRYPTO frames listed`, () => {
      const keys = clientInitialKeys(version, DCID)!;
      const pkt = protect(version, keys, 3, frames);
      expect(looksLikeQuicInitial(pkt, 0, pkt.length)).toBe(true);
      const found = findInitialPackets(pkt, 0, pkt.length);
      expect(found).toHaveLength(1);
      const plain = decryptInitial(pkt, found[0], keys);
      expect(plain && Buffer.from(plain).equals(Buffer.from(frames))).toBe(true);
      const crypto = cryptoFrames(plain!);
      expect(crypto.map((f) => [f.offset, Buffer.from(f.data).toString()])).toEqual([[5, 'hello']]);
    });
  }

  it('fails quietly with the wrong keys or a damaged packet', () => {
    const keys = clientInitialKeys(QUIC_VERSION_1, DCID)!;
    const pkt = protect(QUIC_VERSION_1, keys, 0, frames);
    const found = findInitialPackets(pkt, 0, pkt.length)[0];
    expect(decryptInitial(pkt, found, clientInitialKeys(QUIC_VERSION_1, hex('0102030405060708'))!)).toBeUndefined();
    const damaged = Uint8Array.from(pkt);
    damaged[damaged.length - 30] ^= 1;
    expect(decryptInitial(damaged, found, keys)).toBeUndefined();
    expect(findInitialPackets(pkt, 0, 30)).toEqual([]); // length field runs past the datagram
  });

  it('finds an Initial coalesced after another Initial in one datagram', () => {
    const keys = clientInitialKeys(QUIC_VERSION_1, DCID)!;
    const small = Uint8Array.from([0x06, 0x00, 0x02, 0x41, 0x42, ...new Array<number>(40).fill(0)]);
    const two = Buffer.concat([protect(QUIC_VERSION_1, keys, 0, small), protect(QUIC_VERSION_1, keys, 1, small)]);
    const found = findInitialPackets(two, 0, two.length);
    expect(found).toHaveLength(2);
    expect(found.map((p) => decryptInitial(two, p, keys) !== undefined)).toEqual([true, true]);
  });
});
