import { describe, expect, it } from 'vitest';
import {
  dtlsClientHelloFragments,
  HelloStatus,
  parseClientHelloBody,
  parseHandshakeClientHello,
  parseTlsStream,
} from '../../../src-capture-helper/names/client-hello';
import { clientHello, handshakeRecords, hex } from './packets';

const MAX = 16 * 1024;

// A minimal TLS 1.2 ClientHello record carrying SNI "a.example" (annotated).
const HELLO = hex(`
  16 0301 003d                        // handshake record, TLS 1.0 record version, length 61
  01 000039                           // ClientHello, length 57
  0303                                // legacy_version TLS 1.2
  0000000000000000000000000000000000000000000000000000000000000000   // random
  00                                  // session id length 0
  0002 1301                           // cipher suites: TLS_AES_128_GCM_SHA256
  01 00                               // compression: null
  000e                                // extensions length 14
  0000 000a 0008 00 0005 612e657861   // server_name: host_name "a.exa"
`);

describe('TLS ClientHello over a byte stream', () => {
  it('finds the SNI in an annotated record', () => {
    const r = parseTlsStream(HELLO, 0, HELLO.length, MAX);
    expect(r).toEqual({ status: HelloStatus.done, needed: 0, sni: 'a.exa' });
  });

  it('asks for exactly the bytes it still needs while the record is incomplete', () => {
    expect(parseTlsStream(HELLO, 0, 3, MAX)).toMatchObject({ status: HelloStatus.needMore, needed: 5 });
    expect(parseTlsStream(HELLO, 0, 20, MAX)).toMatchObject({ status: HelloStatus.needMore, needed: HELLO.length });
  });

  it('reassembles a ClientHello spread over several TLS records', () => {
    const whole = clientHello('split.example.org', 3000);
    const hs = whole.subarray(5); // the handshake message without its record header
    const records = handshakeRecords(hs, 700);
    expect(records.length).toBeGreaterThan(whole.length); // several headers now
    expect(parseTlsStream(records, 0, records.length, MAX).sni).toBe('split.example.org');
    expect(parseTlsStream(records, 0, 800, MAX).status).toBe(HelloStatus.needMore);
  });

  it('gives up on other handshake messages, other content types and oversized messages', () => {
    const serverHello = Uint8Array.from(HELLO);
    serverHello[5] = 2;
    expect(parseTlsStream(serverHello, 0, serverHello.length, MAX).status).toBe(HelloStatus.notHello);
    const appData = Uint8Array.from(HELLO);
    appData[0] = 23;
    expect(parseTlsStream(appData, 0, appData.length, MAX).status).toBe(HelloStatus.notHello);
    const huge = clientHello('big.example', 20000);
    expect(parseTlsStream(huge, 0, huge.length, MAX).status).toBe(HelloStatus.malformed);
  });

  it('reports a ClientHello without extensions or without SNI as done with no name', () => {
    const noSni = clientHello(undefined, 10);
    expect(parseTlsStream(noSni, 0, noSni.length, MAX)).toEqual({ status: HelloStatus.done, needed: 0 });
    // Body ending right after the compression methods (SSL 3.0 style, no extensions block).
    const body = hex('0303' + '00'.repeat(32) + '00 0002 002f 01 00');
    expect(parseClientHelloBody(body, 0, body.length, false)).toEqual({ status: HelloStatus.done, needed: 0 });
  });

  it('refuses lengths that run past the message', () => {
    const bad = Uint8Array.from(HELLO);
    bad[HELLO.length - 10] = 0x7f; // server_name list length far beyond the extension
    expect(parseTlsStream(bad, 0, bad.length, MAX).status).toBe(HelloStatus.malformed);
    const badSuites = Uint8Array.from(HELLO);
    badSuites[5 + 4 + 2 + 32 + 1] = 0xff; // cipher suites length 0xff02
    expect(parseTlsStream(badSuites, 0, badSuites.length, MAX).status).toBe(HelloStatus.malformed);
  });

  it('parses a bare handshake stream (QUIC CRYPTO data)', () => {
    const hs = HELLO.subarray(5);
    expect(parseHandshakeClientHello(hs, 0, hs.length, MAX).sni).toBe('a.exa');
    expect(parseHandshakeClientHello(hs, 0, 10, MAX)).toMatchObject({ status: HelloStatus.needMore, needed: hs.length });
  });
});

describe('DTLS ClientHello', () => {
  // DTLS 1.2 ClientHello record with a cookie and SNI "d.example".
  const body = hex(`
    fefd                                 // client_version DTLS 1.2
    1111111111111111111111111111111111111111111111111111111111111111   // random
    00                                   // session id
    04 c0c1c2c3                          // cookie (DTLS only)
    0002 c02b  01 00                     // one cipher suite, null compression
    0012 0000 000e 000c 00 0009 642e6578616d706c65   // server_name "d.example"
  `);
  const msg = Uint8Array.from([1, 0, 0, body.length, 0, 0, 0, 0, 0, 0, 0, body.length, ...body]); // type, length, seq 0, offset 0, frag length
  const record = Uint8Array.from([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, msg.length, ...msg]); // epoch 0, sequence 0

  it('reads the SNI after the cookie', () => {
    const frags = dtlsClientHelloFragments(record, 0, record.length, MAX);
    expect(frags).toHaveLength(1);
    const f = frags[0];
    expect(f.fragmentOffset).toBe(0);
    expect(f.end - f.start).toBe(f.messageLength);
    expect(parseClientHelloBody(record, f.start, f.end, true).sni).toBe('d.example');
    // Read as TLS (no cookie) the same bytes do not give the name.
    expect(parseClientHelloBody(record, f.start, f.end, false).sni).not.toBe('d.example');
  });

  it('ignores records that run past the datagram', () => {
    expect(dtlsClientHelloFragments(record, 0, record.length - 1, MAX)).toEqual([]);
  });
});
