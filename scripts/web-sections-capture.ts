/**
 * A raw-IP capture of plaintext HTTP requests whose hosts, sections and times
 * are known: for the web sections truth (make-web-sections-truth.ts) and the
 * 10 s / 60 s window tests. It covers a head split across segments, two
 * requests in one segment, a request without a Host header (its server
 * address names it), an absolute-form target, query strings, IPv6, and an
 * HTTPS connection that has no sections. Checksums are computed so tshark
 * reads the packets as sent.
 */
import { PcapWriter } from '../src-capture-helper/capture-file/capture-writers';

const LINKTYPE_RAW = 101;
/** Unix second of the first packet. */
export const WEB_CAPTURE_START = 1_700_000_000;
export const WEB_CAPTURE_NAME = 'web-sections.pcap';

interface Conn {
  client: string;
  server: string;
  sport: number;
  dport: number;
}

/** What each second of the capture asks for (seconds after the start), for the window tests. */
export const WEB_CAPTURE_REQUESTS: ReadonlyArray<{ at: number; conn: number; heads: string[]; split?: boolean }> = [
  { at: 1, conn: 0, heads: [get('/index.html', 'shop.example')] },
  { at: 1.5, conn: 0, heads: [get('/products/42?ref=mail', 'shop.example')], split: true },
  { at: 30, conn: 0, heads: [get('/products/7', 'shop.example'), get('/cart/add?id=7', 'shop.example')] },
  { at: 31, conn: 1, heads: ['GET /status HTTP/1.0\r\nUser-Agent: probe\r\n\r\n'] },
  { at: 55, conn: 2, heads: ['GET http://proxied.example/docs/a.html HTTP/1.1\r\nHost: proxied.example\r\n\r\n'] },
  { at: 62, conn: 3, heads: [get('/api/v1/items?page=2', 'api.example:8080')] },
  { at: 65, conn: 0, heads: [get('/products/9', 'shop.example')] },
  { at: 70, conn: 4, heads: [get('/', 'v6.example')] },
  { at: 70.5, conn: 3, heads: [get('/api/v2/items', 'api.example:8080')] },
];

const CONNS: Conn[] = [
  { client: '192.0.2.10', server: '198.51.100.20', sport: 40001, dport: 80 },
  { client: '192.0.2.10', server: '198.51.100.21', sport: 40002, dport: 8080 },
  { client: '192.0.2.11', server: '198.51.100.22', sport: 40003, dport: 3128 },
  { client: '192.0.2.12', server: '198.51.100.23', sport: 40004, dport: 8080 },
  { client: '2001:db8::10', server: '2001:db8::80', sport: 40005, dport: 80 },
];

function get(path: string, host: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: netmon-test\r\n\r\n`;
}

/** The capture's bytes: each connection's handshake before its first request, then the requests. */
export function webSectionsCapture(): Buffer {
  const packets: Array<{ at: number; bytes: Uint8Array }> = [];
  const seq = CONNS.map(() => 1000);
  const opened = new Set<number>();
  for (const r of WEB_CAPTURE_REQUESTS) {
    const c = CONNS[r.conn];
    if (!opened.has(r.conn)) {
      opened.add(r.conn);
      packets.push({ at: r.at - 0.003, bytes: tcp(c, false, 999, 0, 0x02) });
      packets.push({ at: r.at - 0.002, bytes: tcp(c, true, 5000, 1000, 0x12) });
      packets.push({ at: r.at - 0.001, bytes: tcp(c, false, 1000, 5001, 0x10) });
    }
    const payload = [...Buffer.from(r.heads.join(''), 'latin1')];
    const parts = r.split ? [payload.slice(0, 9), payload.slice(9)] : [payload];
    parts.forEach((p, i) => {
      packets.push({ at: r.at + i * 0.0001, bytes: tcp(c, false, seq[r.conn], 5001, 0x18, p) });
      seq[r.conn] += p.length;
    });
  }
  // An HTTPS connection: a ClientHello start, no plaintext request.
  const tls = CONNS[0];
  packets.push({ at: 40, bytes: tcp({ ...tls, sport: 40010, dport: 443 }, false, 1, 0, 0x18, [22, 3, 1, 0, 4, 1, 0, 0, 0]) });

  const writer = new PcapWriter({ linkType: LINKTYPE_RAW });
  const out: Buffer[] = [writer.header()];
  for (const p of packets.sort((x, y) => x.at - y.at)) {
    const at = Math.round(p.at * 1e6);
    const sec = WEB_CAPTURE_START + Math.floor(at / 1e6);
    const nsec = (at % 1e6) * 1000;
    out.push(writer.record({ ifIndex: 0, linkType: LINKTYPE_RAW, tsSec: sec, tsNsec: nsec, hasTimestamp: true, wireLength: p.bytes.length, bytes: p.bytes, offset: 0, length: p.bytes.length }));
  }
  return Buffer.concat(out);
}

function addressBytes(a: string): number[] {
  if (!a.includes(':')) return a.split('.').map(Number);
  const [head, tail] = a.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = groups(tail ?? '');
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function checksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A TCP segment of `c`, from the client or (`fromServer`) the server. */
function tcp(c: Conn, fromServer: boolean, seq: number, ack: number, flags: number, payload: number[] = []): Uint8Array {
  const src = addressBytes(fromServer ? c.server : c.client);
  const dst = addressBytes(fromServer ? c.client : c.server);
  const sport = fromServer ? c.dport : c.sport;
  const dport = fromServer ? c.sport : c.dport;
  const w = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const l4 = [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, ...w(seq), ...w(ack), 0x50, flags, 0xff, 0xff, 0, 0, 0, 0, ...payload];
  const v6 = src.length === 16;
  const pseudo = v6 ? [...src, ...dst, ...w(l4.length), 0, 0, 0, 6] : [...src, ...dst, 0, 6, l4.length >> 8, l4.length & 0xff];
  const sum = checksum([...pseudo, ...l4]);
  l4[16] = sum >> 8;
  l4[17] = sum & 0xff;
  if (v6) return Uint8Array.from([0x60, 0, 0, 0, l4.length >> 8, l4.length & 0xff, 6, 64, ...src, ...dst, ...l4]);
  const total = 20 + l4.length;
  const h = [0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, 6, 0, 0, ...src, ...dst];
  const hs = checksum(h);
  h[10] = hs >> 8;
  h[11] = hs & 0xff;
  return Uint8Array.from([...h, ...l4]);
}
