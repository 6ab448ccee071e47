/**
 * Writes a deterministic (seeded) pcap for benchmarks, streaming, in seconds.
 *
 *   node dist/scripts/gen-bench-capture.js [--out FILE] [--packets N] [--seed S]
 *   node dist/scripts/gen-bench-capture.js --concurrent-flows 1000000 [--out FILE]
 *
 * Default mode: about 2 million packets in ~50k flows over a few minutes of
 * packet time, ~2,000 flows open at once. Flows: TCP with handshake, data in
 * both directions (1514 B segments, 66 B ACKs, mid-size requests) and FIN
 * close, some ending in RST; DNS query/answer pairs with real A/AAAA records;
 * longer UDP streams (media/QUIC-like sizes); ICMP echo. 10% IPv6, 5% on
 * 802.1Q VLANs. Packet gaps are exponential (mean 100 µs).
 *
 * `--concurrent-flows N`: N TCP handshakes (SYN, SYN-ACK, ACK) within a few
 * seconds, so N flows are open at the end: the memory-per-flow figure.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FrameBuilder, IP_PROTO } from '../bench/frame-builder';

export interface GenOptions {
  out: string;
  packets: number;
  seed: number;
  concurrentFlows: number;
}

export interface GenResult {
  path: string;
  packets: number;
  flows: number;
  bytes: number;
  fileBytes: number;
  seconds: number;
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;

/** mulberry32: small, fast, good enough for traffic shapes. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'tcp' | 'dns' | 'udp' | 'icmp';

interface GenFlow {
  kind: Kind;
  v6: boolean;
  vlan: number;
  client: Uint32Array;
  server: Uint32Array;
  cport: number;
  sport: number;
  /** Packets still to send in the data phase. */
  remaining: number;
  step: number;
  cseq: number;
  sseq: number;
  reset: boolean;
  closeStep: number;
  closed: boolean;
  dnsName: number;
}

class PcapWriter {
  private readonly fd: number;
  private readonly chunk = new Uint8Array(4 << 20);
  private readonly view = new DataView(this.chunk.buffer);
  private used = 0;
  fileBytes = 0;

  constructor(file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'w');
    const v = this.view;
    v.setUint32(0, 0xa1b2c3d4, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setUint32(16, 262144, true);
    v.setUint32(20, 1, true);
    this.used = 24;
  }

  write(frames: FrameBuilder, timeUs: number): number {
    if (this.used > this.chunk.length - 70_000) this.flush();
    const at = this.used;
    const len = frames.writeInto(this.chunk, at + 16);
    const sec = Math.floor(timeUs / 1e6);
    this.view.setUint32(at, sec, true);
    this.view.setUint32(at + 4, Math.floor(timeUs - sec * 1e6), true);
    this.view.setUint32(at + 8, len, true);
    this.view.setUint32(at + 12, len, true);
    this.used = at + 16 + len;
    return len;
  }

  flush(): void {
    fs.writeSync(this.fd, this.chunk, 0, this.used);
    this.fileBytes += this.used;
    this.used = 0;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

const DNS_NAMES = Array.from({ length: 1000 }, (_, i) => `host${i}.svc${i % 37}.example.com`);

/** A DNS query or answer (one A or AAAA record) as payload bytes. */
function dnsMessage(id: number, name: string, v6: boolean, answer: Uint32Array | undefined): Uint8Array {
  const labels = name.split('.');
  const qname = labels.reduce((n, l) => n + 1 + l.length, 1);
  const rdlen = v6 ? 16 : 4;
  const len = 12 + qname + 4 + (answer ? 12 + rdlen : 0);
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint16(0, id);
  v.setUint16(2, answer ? 0x8180 : 0x0100);
  v.setUint16(4, 1);
  v.setUint16(6, answer ? 1 : 0);
  let o = 12;
  for (const l of labels) {
    b[o++] = l.length;
    for (let i = 0; i < l.length; i++) b[o++] = l.charCodeAt(i);
  }
  b[o++] = 0;
  v.setUint16(o, v6 ? 28 : 1);
  v.setUint16(o + 2, 1);
  o += 4;
  if (answer) {
    v.setUint16(o, 0xc00c);
    v.setUint16(o + 2, v6 ? 28 : 1);
    v.setUint16(o + 4, 1);
    v.setUint32(o + 6, 300);
    v.setUint16(o + 10, rdlen);
    o += 12;
    if (v6) for (let i = 0; i < 4; i++) v.setUint32(o + 4 * i, answer[i]);
    else v.setUint32(o, answer[3]);
  }
  return b;
}

export function generateMixed(opts: GenOptions): GenResult {
  const rand = rng(opts.seed);
  const int = (n: number) => Math.floor(rand() * n);
  const w = new PcapWriter(opts.out);
  const fb = new FrameBuilder();
  const POOL = 2000;
  const pool: GenFlow[] = [];
  let flows = 0;
  let bytes = 0;
  let timeUs = 1_700_000_000 * 1e6;
  const start = timeUs;

  const v4 = (n: number) => Uint32Array.of(0, 0, 0xffff, n >>> 0);
  const v6 = (hi: number, lo: number) => Uint32Array.of(0x20010db8, hi, 0, lo >>> 0);
  const dnsServer4 = v4(0x0a000035);
  const dnsServer6 = v6(0x35, 0x35);

  const newFlow = (): GenFlow => {
    flows++;
    const r = rand();
    const kind: Kind = r < 0.55 ? 'tcp' : r < 0.85 ? 'dns' : r < 0.95 ? 'udp' : 'icmp';
    const isV6 = rand() < 0.1;
    const c = int(2000);
    const s = int(500);
    const client = isV6 ? v6(0x1000 + (c >> 8), c) : v4(0x0a010000 + c);
    const server = kind === 'dns' ? (isV6 ? dnsServer6 : dnsServer4) : isV6 ? v6(0x2000, s) : v4(0xcb007100 + s);
    const ports = [443, 443, 443, 443, 80, 80, 22, 8080];
    // Data packets: log-uniform 1..300 for TCP (mean ~52), 10..200 for UDP streams.
    const remaining =
      kind === 'tcp' ? Math.floor(Math.exp(rand() * Math.log(300))) : kind === 'udp' ? 10 + int(190) : kind === 'icmp' ? 2 * (1 + int(4)) : 2;
    return {
      kind,
      v6: isV6,
      vlan: rand() < 0.05 ? (rand() < 0.5 ? 10 : 20) : -1,
      client,
      server,
      cport: 32768 + int(28000),
      sport: kind === 'dns' ? 53 : kind === 'udp' ? 3478 + int(3) : kind === 'icmp' ? int(65536) : ports[int(ports.length)],
      remaining,
      step: 0,
      cseq: int(0x7fffffff),
      sseq: int(0x7fffffff),
      reset: rand() < 0.05,
      closeStep: 0,
      closed: false,
      dnsName: int(DNS_NAMES.length),
    };
  };

  /** Fills the builder for the flow's next packet; returns false when the flow is done. */
  const next = (f: GenFlow): boolean => {
    fb.vlan = f.vlan;
    fb.payload = undefined;
    fb.payloadLength = 0;
    const toServer = (yes: boolean) => {
      if (f.v6) fb.setV6(yes ? f.client : f.server, yes ? f.server : f.client);
      else fb.setV4((yes ? f.client : f.server)[3], (yes ? f.server : f.client)[3]);
      fb.srcPort = yes ? f.cport : f.sport;
      fb.dstPort = yes ? f.sport : f.cport;
    };
    switch (f.kind) {
      case 'tcp': {
        fb.ipProto = IP_PROTO.tcp;
        const s = f.step++;
        if (s === 0) {
          toServer(true);
          fb.tcpFlags = SYN;
          fb.seq = f.cseq++;
        } else if (s === 1) {
          toServer(false);
          fb.tcpFlags = SYN | ACK;
          fb.seq = f.sseq++;
        } else if (s === 2) {
          toServer(true);
          fb.tcpFlags = ACK;
          fb.seq = f.cseq;
        } else if (f.remaining > 0) {
          f.remaining--;
          const phase = f.remaining % 3;
          if (phase === 2 && f.remaining > 0) {
            toServer(true);
            fb.tcpFlags = ACK;
            fb.seq = f.cseq;
          } else if (f.remaining % 17 === 0) {
            toServer(true);
            fb.tcpFlags = PSH | ACK;
            fb.payloadLength = 200 + int(600);
            fb.seq = f.cseq;
            f.cseq += fb.payloadLength;
          } else {
            toServer(false);
            fb.tcpFlags = ACK;
            fb.payloadLength = rand() < 0.85 ? 1460 : 100 + int(1300);
            fb.seq = f.sseq;
            f.sseq += fb.payloadLength;
          }
        } else if (f.reset) {
          toServer(true);
          fb.tcpFlags = RST | ACK;
          fb.seq = f.cseq;
          f.closed = true;
        } else {
          // FIN from the client, its ACK, FIN from the server, the last ACK.
          const k = f.closeStep++;
          toServer(k === 0 || k === 3);
          fb.tcpFlags = k === 0 || k === 2 ? FIN | ACK : ACK;
          fb.seq = k === 0 || k === 3 ? f.cseq : f.sseq;
          if (k === 3) f.closed = true;
        }
        return true;
      }
      case 'dns': {
        fb.ipProto = IP_PROTO.udp;
        const q = f.step++ === 0;
        toServer(q);
        const answer = f.v6 ? v6(0x3000, f.dnsName) : v4(0xc6336400 + (f.dnsName & 0xff));
        fb.payload = dnsMessage(f.cport, DNS_NAMES[f.dnsName], f.v6, q ? undefined : answer);
        return true;
      }
      case 'udp': {
        fb.ipProto = IP_PROTO.udp;
        f.step++;
        f.remaining--;
        toServer(rand() < 0.3);
        fb.payloadLength = rand() < 0.6 ? 1100 + int(150) : 60 + int(400);
        return true;
      }
      case 'icmp': {
        fb.ipProto = f.v6 ? IP_PROTO.icmpv6 : IP_PROTO.icmp;
        const req = f.step % 2 === 0;
        toServer(req);
        fb.icmpType = f.v6 ? (req ? 128 : 129) : req ? 8 : 0;
        fb.icmpCode = 0;
        fb.icmpId = f.sport;
        fb.icmpSeq = f.step >> 1;
        fb.payloadLength = 56;
        f.step++;
        f.remaining--;
        return true;
      }
    }
  };

  const done = (f: GenFlow): boolean => {
    switch (f.kind) {
      case 'tcp':
        return f.closed;
      case 'dns':
        return f.step >= 2;
      case 'udp':
      case 'icmp':
        return f.remaining <= 0;
    }
  };

  for (let i = 0; i < POOL; i++) pool.push(newFlow());
  for (let p = 0; p < opts.packets; p++) {
    const i = int(POOL);
    const f = pool[i];
    next(f);
    timeUs += Math.max(1, Math.round(-Math.log(1 - rand()) * 100));
    bytes += w.write(fb, timeUs);
    if (done(f)) pool[i] = newFlow();
  }
  w.close();
  return { path: opts.out, packets: opts.packets, flows, bytes, fileBytes: w.fileBytes, seconds: (timeUs - start) / 1e6 };
}

/** N concurrent TCP handshakes: all N flows are open when the file ends. */
export function generateConcurrent(opts: GenOptions): GenResult {
  const w = new PcapWriter(opts.out);
  const fb = new FrameBuilder();
  fb.ipProto = IP_PROTO.tcp;
  const n = opts.concurrentFlows;
  let timeUs = 1_700_000_000 * 1e6;
  const start = timeUs;
  let bytes = 0;
  let packets = 0;
  const server = 0xcb007101;
  // Client i: address 10.x.y.z from i / 50000, port 10000 + i % 50000.
  for (const step of [0, 1, 2]) {
    for (let i = 0; i < n; i++) {
      const client = 0x0a000000 + Math.floor(i / 50000) + 1;
      const port = 10000 + (i % 50000);
      if (step === 1) fb.setV4(server, client);
      else fb.setV4(client, server);
      fb.srcPort = step === 1 ? 443 : port;
      fb.dstPort = step === 1 ? port : 443;
      fb.tcpFlags = step === 0 ? SYN : step === 1 ? SYN | ACK : ACK;
      fb.seq = (i * 7919 + step) >>> 0;
      timeUs += 1;
      bytes += w.write(fb, timeUs);
      packets++;
    }
  }
  w.close();
  return { path: opts.out, packets, flows: n, bytes, fileBytes: w.fileBytes, seconds: (timeUs - start) / 1e6 };
}

export function parseGenArgs(argv: string[], defaultDir: string): GenOptions {
  const opts: GenOptions = { out: '', packets: 2_000_000, seed: 1, concurrentFlows: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    if (a === '--out') opts.out = argv[++i] ?? '';
    else if (a === '--packets') opts.packets = value();
    else if (a === '--seed') opts.seed = value();
    else if (a === '--concurrent-flows') opts.concurrentFlows = value();
    else throw new Error(`unknown option ${a}; usage: [--out FILE] [--packets N] [--seed S] [--concurrent-flows N]`);
  }
  if (!opts.out) {
    opts.out = path.join(defaultDir, opts.concurrentFlows > 0 ? `concurrent-${opts.concurrentFlows}.pcap` : `bench-${opts.packets}-s${opts.seed}.pcap`);
  }
  return opts;
}

export function generate(opts: GenOptions): GenResult {
  return opts.concurrentFlows > 0 ? generateConcurrent(opts) : generateMixed(opts);
}

if (require.main === module) {
  try {
    const opts = parseGenArgs(process.argv.slice(2), path.resolve(__dirname, '../../bench-results'));
    const t0 = process.hrtime.bigint();
    const r = generate(opts);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stdout.write(
      `${r.path}: ${r.packets} packets, ${r.flows} flows, ${(r.fileBytes / 1e6).toFixed(1)} MB, ${r.seconds.toFixed(1)} s of traffic, written in ${s.toFixed(1)} s\n`,
    );
  } catch (e) {
    process.stderr.write(`gen-bench-capture: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
