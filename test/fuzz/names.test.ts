import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dtlsClientHelloFragments, parseClientHelloBody, parseHandshakeClientHello, parseTlsStream } from '../../src-capture-helper/names/client-hello';
import { parseDnsMessage } from '../../src-capture-helper/names/dns-message';
import { parseHttpRequestHead } from '../../src-capture-helper/names/http-request';
import { NameExtractor } from '../../src-capture-helper/names/name-extractor';
import { clientInitialKeys, cryptoFrames, decryptInitial, findInitialPackets, QUIC_VERSION_1 } from '../../src-capture-helper/names/quic-initial';
import { ascii, clientHello, Feeder, fragment4, hex, TCP_ACK, tcp4, udp4 } from '../unit/names/packets';

const RUNS = 300;
const bytes = fc.uint8Array({ minLength: 0, maxLength: 1500 });

const DNS_RESPONSE = hex(`
  abcd 8180 0001 0002 0000 0000
  07 6578616d706c65 03 6f7267 00 0001 0001
  c00c 0001 0001 0000003c 0004 c0000207
  c00c 001c 0001 0000003c 0010 20010db8000000000000000000000001
`);
const HTTP = ascii('GET /a/b HTTP/1.1\r\nHost: fuzz.example\r\nContent-Length: 3\r\n\r\nabc');
const HELLO = clientHello('fuzz.example', 40);
const QUIC_DCID = hex('0011223344556677');

/** A valid payload with some bytes overwritten, cut or extended. */
function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      cut: fc.nat({ max: base.length }),
      tail: fc.uint8Array({ maxLength: 32 }),
    })
    .map(({ edits, cut, tail }) => {
      const b = Uint8Array.from([...base.subarray(0, base.length - (cut % 4 === 0 ? cut : 0)), ...tail]);
      for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
      return b;
    });
}

describe('name parsers never throw on arbitrary bytes', () => {
  it('DNS, TLS, DTLS, HTTP, QUIC parsers', () => {
    const keys = clientInitialKeys(QUIC_VERSION_1, QUIC_DCID)!;
    fc.assert(
      fc.property(bytes, (b) => {
        parseDnsMessage(b, 0, b.length);
        parseTlsStream(b, 0, b.length, 16384);
        parseHandshakeClientHello(b, 0, b.length, 16384);
        parseClientHelloBody(b, 0, b.length, true);
        parseClientHelloBody(b, 0, b.length, false);
        dtlsClientHelloFragments(b, 0, b.length, 16384);
        parseHttpRequestHead(b, 0, b.length, 16384);
        for (const p of findInitialPackets(b, 0, b.length)) {
          const plain = decryptInitial(b, p, keys);
          if (plain) cryptoFrames(plain);
        }
        cryptoFrames(b);
      }),
      { numRuns: RUNS },
    );
  });

  it('mutated DNS messages and ClientHellos', () => {
    fc.assert(
      fc.property(mutated(DNS_RESPONSE), mutated(HELLO), (d, t) => {
        const m = parseDnsMessage(d, 0, d.length);
        expect(m.queries.length).toBeLessThanOrEqual(64);
        parseTlsStream(t, 0, t.length, 16384);
        parseHandshakeClientHello(t, 5, t.length, 16384);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('NameExtractor never throws and stays within its bounds', () => {
  it('on random and mutated payloads over the ports it watches, and random fragments', () => {
    const limits = { maxStreams: 8, maxHandshakes: 8, maxFragmentDatagrams: 4, maxDnsNames: 16, maxValues: 16, maxFlowLabels: 16, maxPendingUpdates: 8 };
    const x = new NameExtractor(limits);
    const f = new Feeder(x);
    const payload = fc.oneof(bytes, mutated(DNS_RESPONSE), mutated(HTTP), mutated(HELLO));
    const port = fc.constantFrom(53, 5353, 5355, 1900, 443, 80, 8080, 4433, 12345);
    fc.assert(
      fc.property(payload, port, fc.nat(), fc.boolean(), fc.integer({ min: 0, max: 40 }), (p, dport, seq, useTcp, flowId) => {
        const e = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000 + (flowId % 3), dport };
        const pkt = useTcp ? tcp4(e, seq >>> 0, TCP_ACK, p) : udp4(e, p);
        f.feed(pkt, flowId);
        if (p.length > 40 && seq % 3 === 0) for (const fr of fragment4(pkt, 16, seq & 0xffff)) if (fr.length % 2 === 0) f.feed(fr, flowId);
        f.sec += seq % 5 === 0 ? 20 : 0;
        x.sweep(f.sec);
        const c = x.counters();
        expect(x.dnsNameStats().size).toBeLessThanOrEqual(limits.maxDnsNames);
        expect(x.sniValues().length).toBeLessThanOrEqual(limits.maxValues);
        expect(x.httpHosts().length).toBeLessThanOrEqual(limits.maxValues);
        expect(c.pending.streams).toBeLessThanOrEqual(limits.maxStreams);
        expect(c.pending.handshakes).toBeLessThanOrEqual(limits.maxHandshakes);
        expect(c.pending.fragmentDatagrams).toBeLessThanOrEqual(limits.maxFragmentDatagrams);
      }),
      { numRuns: RUNS },
    );
    expect(x.drainLabelUpdates().length).toBeLessThanOrEqual(limits.maxPendingUpdates);
  });

  it('on random raw IP packets handed over as fragments', () => {
    const x = new NameExtractor({ maxFragmentDatagrams: 4 });
    const f = new Feeder(x);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 200 }), fc.nat({ max: 0x1fff }), fc.boolean(), (body, off, more) => {
        // Any bytes, but shaped as an IPv4 fragment so that they reach the reassembler.
        const b = Uint8Array.from(body);
        b[0] = 0x45;
        b[2] = b.length >> 8;
        b[3] = b.length & 0xff;
        b[6] = (more ? 0x20 : 0) | (off >> 8);
        b[7] = off & 0xff;
        f.feed(b, 1);
        expect(x.counters().pending.fragmentDatagrams).toBeLessThanOrEqual(4);
      }),
      { numRuns: RUNS },
    );
    // Hundreds of random fragments into 4 slots: the table filled up and said so.
    expect(x.counters().fragments.evicted).toBeGreaterThan(0);
  });
});
