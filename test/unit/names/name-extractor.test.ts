import { describe, expect, it } from 'vitest';
import { NameExtractor } from '../../../src-capture-helper/names/name-extractor';
import { ascii, clientHello, Feeder, fragment4, hex, TCP_ACK, TCP_PSH, TCP_SYN, tcp4, udp4 } from './packets';

const CLIENT = { src: '10.0.0.2', dst: '93.184.216.34', sport: 50000, dport: 443 };
const ISN = 0xfffffff0; // sequence numbers wrap around 2^32 during the ClientHello

function split(b: Uint8Array, sizes: number[]): Array<{ off: number; bytes: Uint8Array }> {
  const out: Array<{ off: number; bytes: Uint8Array }> = [];
  let off = 0;
  for (const s of sizes) {
    out.push({ off, bytes: b.subarray(off, off + s) });
    off += s;
  }
  if (off < b.length) out.push({ off, bytes: b.subarray(off) });
  return out;
}

describe('TLS SNI over TCP', () => {
  it('reads a ClientHello split over segments, in order, across a sequence wrap', () => {
    const x = new NameExtractor();
    const f = new Feeder(x);
    f.feed(tcp4(CLIENT, ISN, TCP_SYN), 7);
    const hello = clientHello('split.example.com', 2500);
    for (const s of split(hello, [3, 1000, 1000])) f.feed(tcp4(CLIENT, (ISN + 1 + s.off) >>> 0, TCP_ACK | TCP_PSH, s.bytes), 7);
    expect(x.sniValues()).toEqual(['split.example.com']);
    expect(x.labelsForFlow(7)).toEqual({ sni: 'split.example.com' });
    expect(x.counters().tlsClientHellos).toBe(1);
  });

  it('reads it when segments arrive out of order and one is retransmitted', () => {
    const x = new NameExtractor();
    const f = new Feeder(x);
    const hello = clientHello('ooo.example.com', 3000);
    const parts = split(hello, [1200, 1200]);
    const order = [parts[0], parts[2], parts[0], parts[1]];
    for (const s of order) f.feed(tcp4(CLIENT, 1000 + s.off, TCP_ACK, s.bytes), 3);
    expect(x.sniValues()).toEqual(['ooo.example.com']);
    expect(x.counters().tlsClientHellos).toBe(1);
  });

  it('does not report a ClientHello whose middle segment never came', () => {
    const x = new NameExtractor();
    const f = new Feeder(x);
    const parts = split(clientHello('gap.example.com', 3000), [1200, 1200]);
    for (const s of [parts[0], parts[2]]) f.feed(tcp4(CLIENT, 1000 + s.off, TCP_ACK, s.bytes), 3);
    expect(x.sniValues()).toEqual([]);
    // The incomplete stream times out.
    f.sec += x.limits.streamIdleSec + 1;
    x.sweep(f.sec);
    expect(x.counters().streamsTimedOut).toBe(1);
  });

  it('bounds the buffer per stream and counts a ClientHello too large for it', () => {
    const x = new NameExtractor({ streamBufferBytes: 4096 });
    const f = new Feeder(x);
    const parts = split(clientHello('huge.example.com', 6000), [1400, 1400, 1400, 1400]);
    for (const s of parts) f.feed(tcp4(CLIENT, 1 + s.off, TCP_ACK, s.bytes), 1);
    expect(x.sniValues()).toEqual([]);
    expect(x.counters().tlsMalformed + x.counters().streamsOverflowed).toBeGreaterThan(0);
  });

  it('bounds the number of pending streams and counts what it evicts', () => {
    const x = new NameExtractor({ maxStreams: 4 });
    const f = new Feeder(x);
    const hello = clientHello('many.example.com', 1500);
    for (let flow = 0; flow < 10; flow++) f.feed(tcp4({ ...CLIENT, sport: 40000 + flow }, 1, TCP_ACK, hello.subarray(0, 700)), flow);
    expect(x.counters().streamsEvicted).toBe(6);
    // The newest streams are still there and complete.
    for (let flow = 6; flow < 10; flow++) f.feed(tcp4({ ...CLIENT, sport: 40000 + flow }, 701, TCP_ACK, hello.subarray(700)), flow);
    expect(x.sniValues()).toEqual(['many.example.com']);
    expect(x.counters().tlsClientHellos).toBe(4);
  });

  it('starts over when a new SYN reuses the flow', () => {
    const x = new NameExtractor();
    const f = new Feeder(x);
    const first = clientHello('old.example.com', 1500);
    f.feed(tcp4(CLIENT, 100, TCP_ACK, first.subarray(0, 600)), 5);
    f.feed(tcp4(CLIENT, 5000, TCP_SYN), 5);
    f.feed(tcp4(CLIENT, 5001, TCP_ACK, clientHello('new.example.com')), 5);
    f.feed(tcp4(CLIENT, 700, TCP_ACK, first.subarray(600)), 5); // late tail of the old stream
    expect(x.sniValues()).toEqual(['new.example.com']);
  });
});

describe('HTTP requests', () => {
  const WEB = { src: '10.0.0.2', dst: '203.0.113.9', sport: 51000, dport: 8080 };

  it('reads a request head split across segments and pipelined requests', () => {
    const x = new NameExtractor();
    const f = new Feeder(x);
    const head = ascii('GET /news/today?x=1 HTTP/1.1\r\nHost: news.example\r\nAccept: */*\r\n\r\n');
    f.feed(tcp4(WEB, 1, TCP_ACK, head.subarray(0, 20)), 2);
    f.feed(tcp4(WEB, 21, TCP_ACK, head.subarray(20)), 2);
    const two = ascii('POST /api/v1 HTTP/1.1\r\nHost: api.example\r\nContent-Length: 4\r\n\r\nabcdGET /news/other HTTP/1.1\r\nHost: news.example\r\n\r\n');
    f.feed(tcp4(WEB, 1 + head.length, TCP_ACK, two), 2);
    expect(x.httpHosts()).toEqual(['news.example', 'api.example']);
    expect(x.httpRequests()).toEqual([
      { host: 'news.example', path: '/news/today', section: '/news', count: 1 },
      { host: 'api.example', path: '/api/v1', section: '/api', count: 1 },
      { host: 'news.example', path: '/news/other', section: '/news', count: 1 },
    ]);
    expect(x.labelsForFlow(2)).toEqual({ httpHost: 'news.example' });
  });

  it('reads a request carried in IP fragments (reported once the datagram is whole)', () => {
    const x = new NameExtractor();
    const f = new Feeder(x);
    const req = ascii(`GET /frag HTTP/1.1\r\nHost: frag.example\r\nX-Pad: ${'p'.repeat(300)}\r\n\r\n`);
    const frags = fragment4(tcp4(WEB, 1, TCP_ACK | TCP_PSH, req), 96, 0x4242);
    expect(frags.length).toBeGreaterThan(3);
    // Last fragment first, then the rest: reassembly does not depend on order.
    for (const fr of [frags[frags.length - 1], ...frags.slice(0, -1)]) f.feed(fr, 9);
    expect(x.httpHosts()).toEqual(['frag.example']);
    expect(x.labelsForFlow(9)).toEqual({ httpHost: 'frag.example' });
    expect(x.counters().fragments.reassembled).toBe(1);
  });

  it('bounds fragment reassembly and times incomplete datagrams out', () => {
    const x = new NameExtractor({ maxFragmentDatagrams: 2, fragmentTimeoutSec: 5 });
    const f = new Feeder(x);
    const req = ascii(`GET / HTTP/1.1\r\nHost: lost.example\r\nX: ${'q'.repeat(200)}\r\n\r\n`);
    for (let id = 1; id <= 3; id++) f.feed(fragment4(tcp4(WEB, 1, TCP_ACK, req), 64, id)[0], 1);
    expect(x.counters().fragments.evicted).toBe(1);
    f.sec += 6;
    x.sweep(f.sec);
    expect(x.counters().fragments.timedOut).toBe(2);
    expect(x.httpHosts()).toEqual([]);
  });

  it('reads SSDP requests over UDP', () => {
    const x = new NameExtractor();
    const f = new Feeder(x);
    const msearch = ascii('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n');
    f.feed(udp4({ src: '192.168.1.5', dst: '239.255.255.250', sport: 53000, dport: 1900 }, msearch), 4);
    expect(x.httpHosts()).toEqual(['239.255.255.250:1900']);
  });
});

describe('DNS', () => {
  // Response for "example.org": A 192.0.2.7 (annotated).
  const response = hex(`
    abcd 8180 0001 0001 0000 0000          // id, QR RD RA, qd=1 an=1
    07 6578616d706c65 03 6f7267 00 0001 0001   // example.org A IN
    c00c 0001 0001 0000003c 0004 c0000207  // example.org A 192.0.2.7
  `);

  it('maps names to answer addresses and labels later flows to those addresses', () => {
    const x = new NameExtractor();
    const f = new Feeder(x);
    f.feed(udp4({ src: '10.0.0.53', dst: '10.0.0.2', sport: 53, dport: 41000 }, response), 1);
    expect(x.dnsNames()).toEqual(new Map([['example.org', ['192.0.2.7']]]));
    const addr = new Uint8Array(16);
    addr.set([0xff, 0xff, 192, 0, 2, 7], 10);
    expect(x.nameForAddress(addr)).toBe('example.org');
    // The DNS flow carries its own question.
    expect(x.drainLabelUpdates()).toEqual([{ flowId: 1, labels: { dnsQuery: 'example.org' } }]);
    f.feed(tcp4({ src: '10.0.0.2', dst: '192.0.2.7', sport: 42000, dport: 22 }, 1, TCP_SYN), 2);
    expect(x.labelsForFlow(2)).toEqual({ dnsName: 'example.org', dnsNameOf: 'b' });
    expect(x.drainLabelUpdates()).toEqual([{ flowId: 2, labels: { dnsName: 'example.org', dnsNameOf: 'b' } }]);
    f.feed(tcp4({ src: '10.0.0.2', dst: '192.0.2.7', sport: 42000, dport: 22 }, 2, TCP_ACK), 2);
    expect(x.drainLabelUpdates()).toEqual([]); // no change, nothing to push
    x.forgetFlow(2);
    expect(x.labelsForFlow(2)).toBeUndefined();
  });

  it('reads DNS over TCP with the length prefix split across segments', () => {
    const x = new NameExtractor();
    const f = new Feeder(x);
    const framed = Uint8Array.from([0, response.length, ...response, 0, response.length, ...response]);
    const srv = { src: '10.0.0.53', dst: '10.0.0.2', sport: 53, dport: 41001 };
    f.feed(tcp4(srv, 10, TCP_ACK, framed.subarray(0, 1)), 3);
    f.feed(tcp4(srv, 11, TCP_ACK, framed.subarray(1, 30)), 3);
    f.feed(tcp4(srv, 40, TCP_ACK, framed.subarray(30)), 3);
    expect(x.dnsNames()).toEqual(new Map([['example.org', ['192.0.2.7']]]));
    expect(x.dnsNameStats().get('example.org')).toEqual({ queries: 0, responses: 2, addresses: ['192.0.2.7'] });
  });

  it('takes what follows a DNS length too large for the stream buffer as that message, until the buffer overflows', () => {
    const x = new NameExtractor();
    const f = new Feeder(x);
    const srv = { src: '10.0.0.53', dst: '10.0.0.2', sport: 53, dport: 41002 };
    const framed = Uint8Array.from([0, response.length, ...response]);
    const junk = (n: number) => new Uint8Array(n).fill(0x5a);
    // A 65535-byte message cannot fit the 16 KiB buffer: its bytes are never read.
    f.feed(tcp4(srv, 1000, TCP_ACK, Uint8Array.from([0xff, 0xff, ...junk(100)])), 4);
    f.feed(tcp4(srv, 1102, TCP_ACK, framed), 4);
    f.feed(tcp4(srv, 1000, TCP_ACK, Uint8Array.from([0xff, 0xff, ...junk(100)])), 4); // a retransmission
    f.feed(tcp4(srv, 1102 + framed.length + 5000, TCP_ACK, framed), 4); // after a hole
    expect(x.dnsNames()).toEqual(new Map());
    expect(x.counters().pending.streams).toBe(1);
    // Reaching past the buffer ends the stream; the next segment starts a message again.
    f.feed(tcp4(srv, 1000 + 16_000, TCP_ACK, junk(1000)), 4);
    expect(x.counters().streamsOverflowed).toBe(1);
    expect(x.counters().pending.streams).toBe(0);
    expect(x.dnsNames()).toEqual(new Map());
    f.feed(tcp4(srv, 1000 + 17_000, TCP_ACK, framed), 4);
    expect(x.dnsNames()).toEqual(new Map([['example.org', ['192.0.2.7']]]));
  });

  it('drops a stream behind an oversized DNS length after too many holes, as any stream', () => {
    const x = new NameExtractor();
    const f = new Feeder(x);
    const srv = { src: '10.0.0.53', dst: '10.0.0.2', sport: 53, dport: 41003 };
    f.feed(tcp4(srv, 1000, TCP_ACK, Uint8Array.from([0x7f, 0xff, 1, 2, 3])), 5);
    let holes = 0;
    while (x.counters().streamsOverflowed === 0 && holes < 100) f.feed(tcp4(srv, 1000 + ++holes * 100, TCP_ACK, Uint8Array.from([1, 2, 3])), 5);
    expect(holes).toBe(64);
    expect(x.counters().pending.streams).toBe(0);
    const framed = Uint8Array.from([0, response.length, ...response]);
    f.feed(tcp4(srv, 1000 + 8000, TCP_ACK, framed), 5);
    expect(x.dnsNames()).toEqual(new Map([['example.org', ['192.0.2.7']]]));
  });

  it('bounds names and addresses per name, counting what it drops', () => {
    const x = new NameExtractor({ maxDnsNames: 2, maxAddressesPerName: 1 });
    const f = new Feeder(x);
    const two = hex(`
      0001 8180 0001 0002 0000 0000
      01 61 00 0001 0001                      // "a"
      c00c 0001 0001 0000003c 0004 01020304   // 1.2.3.4
      c00c 0001 0001 0000003c 0004 01020305   // 1.2.3.5 (over the per-name bound)
    `);
    f.feed(udp4({ src: '10.0.0.53', dst: '10.0.0.2', sport: 53, dport: 1 }, two), 1);
    expect(x.dnsNames().get('a')).toEqual(['1.2.3.4']);
    expect(x.counters().addressesDropped).toBe(1);
    for (const name of ['b', 'c', 'd']) {
      const q = hex(`0002 0100 0001 0000 0000 0000 01 ${Buffer.from(name).toString('hex')} 00 0001 0001`);
      f.feed(udp4({ src: '10.0.0.2', dst: '10.0.0.53', sport: 1, dport: 53 }, q), 1);
    }
    expect([...x.dnsNameStats().keys()]).toEqual(['c', 'd']);
    expect(x.counters().dnsNamesEvicted).toBe(2);
  });
});

describe('DTLS', () => {
  it('reads the SNI of a ClientHello fragmented over two datagrams', () => {
    const x = new NameExtractor();
    const f = new Feeder(x);
    const body = hex(`
      fefd ${'22'.repeat(32)} 00 00 0002 c02b 01 00                    // version, random, no session, no cookie, suite, compression
      0013 0000 000f 000d 00 000a 64746c732e6c6f63616c                   // server_name "dtls.local"
    `);
    const cut = 20;
    const frag = (off: number, part: Uint8Array): Uint8Array => {
      const hs = [1, 0, 0, body.length, 0, 0, 0, (off >> 8) & 0xff, off & 0xff, 0, 0, part.length, ...part];
      return Uint8Array.from([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, off ? 1 : 0, 0, hs.length, ...hs]);
    };
    const e = { src: '10.0.0.2', dst: '10.0.0.9', sport: 40000, dport: 4433 };
    f.feed(udp4(e, frag(cut, body.subarray(cut))), 6);
    expect(x.sniValues()).toEqual([]);
    f.feed(udp4(e, frag(0, body.subarray(0, cut))), 6);
    expect(x.sniValues()).toEqual(['dtls.local']);
    expect(x.labelsForFlow(6)).toEqual({ sni: 'dtls.local' });
  });
});

describe('label updates', () => {
  it('keeps a bounded queue of changed flows and counts what it dropped', () => {
    const x = new NameExtractor({ maxPendingUpdates: 3 });
    const f = new Feeder(x);
    for (let flow = 0; flow < 5; flow++) f.feed(tcp4({ ...CLIENT, sport: 30000 + flow }, 1, TCP_ACK, clientHello(`h${flow}.example`)), flow);
    expect(x.drainLabelUpdates().map((u) => u.flowId)).toEqual([2, 3, 4]);
    expect(x.counters().labelUpdatesDropped).toBe(2);
    expect(x.labelsForFlow(0)).toEqual({ sni: 'h0.example' });
  });
});
