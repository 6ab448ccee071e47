import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DNS_LIMITS, DnsParseStatus, formatText, parseDnsMessage } from '../../../src-capture-helper/names/dns-message';
import { hex, udp4 } from './packets';

// Response to "www.example.com A?" with a CNAME chain, two A and one AAAA answer,
// and an A record in the additional section (which tshark's answer_a excludes).
const RESPONSE = hex(`
  1234 8180 0001 0004 0000 0001                 // id 0x1234, QR=1 RD RA, qd=1 an=4 ns=0 ar=1
  03 777777 07 6578616d706c65 03 636f6d 00      // www.example.com (offset 12)
  0001 0001                                     // type A, class IN
  c00c 0005 0001 00000e10 0006 03 636474 c010   // www.example.com CNAME cdt.example.com (cdt at offset 45)
  c02d 0001 0001 00000e10 0004 c0000201         // cdt.example.com A 192.0.2.1
  c02d 0001 0001 00000e10 0004 c0000202         // cdt.example.com A 192.0.2.2
  c02d 001c 0001 00000e10 0010 20010db8000000000000000000000001   // AAAA 2001:db8::1
  c02d 0001 0001 00000e10 0004 c6336401         // additional: A 198.51.100.1
`);

describe('parseDnsMessage', () => {
  it('reads questions and the A/AAAA answers of the Answers section, following compression pointers', () => {
    const m = parseDnsMessage(RESPONSE, 0, RESPONSE.length);
    expect(m.status).toBe(DnsParseStatus.ok);
    expect(m.id).toBe(0x1234);
    expect(m.response).toBe(true);
    expect(m.queries).toEqual(['www.example.com']);
    expect(m.answers.map((a) => [a.name, a.address])).toEqual([
      ['cdt.example.com', '192.0.2.1'],
      ['cdt.example.com', '192.0.2.2'],
      ['cdt.example.com', '2001:db8::1'],
    ]);
    expect(m.answers[0].key).toBe(0xc0000201);
  });

  it('parses a message that sits inside a larger buffer (offsets relative to the message start)', () => {
    const framed = new Uint8Array(RESPONSE.length + 10);
    framed.set(RESPONSE, 7);
    const m = parseDnsMessage(framed, 7, 7 + RESPONSE.length);
    expect(m.queries).toEqual(['www.example.com']);
    expect(m.answers).toHaveLength(3);
  });

  it('names a compression loop as tshark 4.0 does, without hanging or throwing', () => {
    // Question name is a pointer to itself (offset 12 -> 12).
    const loop = hex('0001 0100 0001 0000 0000 0000  c00c 0001 0001');
    const m = parseDnsMessage(loop, 0, loop.length);
    expect(m.status).toBe(DnsParseStatus.ok);
    expect(m.queries).toEqual(['<Name contains a pointer that loops>']);
    // Two pointers that point at each other.
    const pair = hex('0001 0100 0002 0000 0000 0000  c012 0001 0001  c00c 0001 0001');
    expect(parseDnsMessage(pair, 0, pair.length).queries).toEqual(['<Name contains a pointer that loops>', '<Name contains a pointer that loops>']);
  });

  it('follows a forward pointer, and calls a name of 254 bytes or more too long', () => {
    // www + pointer forward to "example.com" after the question.
    const fwd = hex('0001 8180 0001 0000 0000 0000  03 777777 c016 0001 0001  07 6578616d706c65 03 636f6d 00');
    expect(parseDnsMessage(fwd, 0, fwd.length).queries).toEqual(['www.example.com']);
    const label = (n: number): number[] => [n, ...new Array<number>(n).fill(0x79)];
    const name = (...labels: number[]): number[] => [...labels.flatMap(label), 0];
    const header = hex('0001 0100 0002 0000 0000 0000');
    // 63+1+63+1+63+1+61 = 253 bytes, then 254.
    const msg = Uint8Array.from([...header, ...name(63, 63, 63, 61), 0, 1, 0, 1, ...name(63, 63, 63, 62), 0, 1, 0, 1]);
    const q = parseDnsMessage(msg, 0, msg.length).queries;
    expect(q[0]).toHaveLength(253);
    expect(q[1]).toBe('<Name too long>');
  });

  it('shows label bytes as tshark format_text does', () => {
    // a\001b . a<c2 85>z (a C1 control) . a<c0 af>z (overlong /) . a<ed a0 80>z (surrogate) . a.b (dot inside a label)
    const msg = hex('0001 0100 0001 0000 0000 0000  03 610162  04 61c2857a  04 61c0af7a  05 61eda0807a  03 612e62 00 0001 0001');
    expect(parseDnsMessage(msg, 0, msg.length).queries).toEqual(['a\\001b.a\\u0085z.a/z.a\ufffdz.a.b']);
  });

  it('gives every name the text format_text gives its bytes, printable ASCII or not (fast-check)', () => {
    // Mostly printable, now and then one of the bytes at its edges (or a backslash or quote, printed as they are).
    const edges = [0x00, 0x1f, 0x7f, 0x80, 0xc3, 0xff, 0x5c, 0x22];
    const printable = fc.uint8Array({ minLength: 1, maxLength: 63 }).map((b) => b.map((c) => (c < edges.length ? edges[c] : 0x20 + (c % 0x5f))));
    const label = fc.oneof(printable, fc.uint8Array({ minLength: 1, maxLength: 63 }));
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 3 }), (labels) => {
        const msg = Uint8Array.from([...hex('0001 0100 0001 0000 0000 0000'), ...labels.flatMap((l) => [l.length, ...l]), 0, 0, 1, 0, 1]);
        const dotted = labels.flatMap((l, i) => (i === 0 ? [...l] : [0x2e, ...l]));
        return parseDnsMessage(msg, 0, msg.length).queries[0] === formatText(dotted);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps what was read before the message was cut short', () => {
    const cut = RESPONSE.subarray(0, RESPONSE.length - 50); // ends inside the second A record
    const m = parseDnsMessage(cut, 0, cut.length);
    expect(m.status).toBe(DnsParseStatus.truncated);
    expect(m.queries).toEqual(['www.example.com']);
    expect(m.answers.map((a) => a.address)).toEqual(['192.0.2.1']);
  });

  it('refuses hostile counts and reserved label types', () => {
    const many = new Uint8Array(12 + 5 * (DNS_LIMITS.maxQuestions + 1));
    many.set(hex('0001 0100 ffff 0000 0000 0000'));
    for (let i = 0; i <= DNS_LIMITS.maxQuestions; i++) many.set(hex('00 0001 0001'), 12 + 5 * i);
    const m = parseDnsMessage(many, 0, many.length);
    expect(m.status).toBe(DnsParseStatus.malformed);
    expect(m.queries).toHaveLength(DNS_LIMITS.maxQuestions);
    const extended = hex('0001 0100 0001 0000 0000 0000  41 00 0001 0001'); // 0x40 label type
    expect(parseDnsMessage(extended, 0, extended.length).status).toBe(DnsParseStatus.malformed);
    expect(parseDnsMessage(hex('0001 01'), 0, 3).status).toBe(DnsParseStatus.truncated);
  });

  it('writes names the way tshark does (root, control bytes, UTF-8, invalid bytes)', () => {
    // Questions: "a.b" as one label + "x\x01y\t" + "com"; "ét\xff"; the root.
    const msg = hex(`
      4242 0100 0003 0000 0000 0000         // id, RD, qd=3
      03 612e62  04 78017909  03 636f6d 00  // "a.b" "x\x01y\t" "com"
      0001 0001
      04 c3a974ff 00  0001 0001             // "\xc3\xa9t\xff" (UTF-8 e-acute, then an invalid byte)
      00              0001 0001             // the root`);
    const ours = parseDnsMessage(msg, 0, msg.length).queries;
    const dir = mkdtempSync(path.join(tmpdir(), 'netmon-dns-'));
    try {
      const pkt = udp4({ src: '10.0.0.1', dst: '10.0.0.2', sport: 5555, dport: 53 }, msg);
      const file = path.join(dir, 'q.pcap');
      const header = Buffer.alloc(24);
      header.writeUInt32LE(0xa1b2c3d4, 0);
      header.writeUInt16LE(2, 4);
      header.writeUInt16LE(4, 6);
      header.writeUInt32LE(65535, 16);
      header.writeUInt32LE(101, 20);
      const rec = Buffer.alloc(16);
      rec.writeUInt32LE(pkt.length, 8);
      rec.writeUInt32LE(pkt.length, 12);
      writeFileSync(file, Buffer.concat([header, rec, pkt]));
      const out = execFileSync('tshark', ['-n', '-r', file, '-T', 'json', '-e', 'dns.qry.name'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const theirs = (JSON.parse(out) as Array<{ _source: { layers: { 'dns.qry.name': string[] } } }>)[0]._source.layers['dns.qry.name'];
      expect(ours).toEqual(theirs);
      expect(ours[2]).toBe('<Root>');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
