/**
 * Bench section: the cost of web sections (names/web-sections.ts).
 * - Per packet: alternating passes of read + decode + name extraction with
 *   and without the sections counting (its `record` made a no-op), on each
 *   capture given and on a generated plaintext HTTP load (every packet a
 *   request: 1,000 hosts, 50 sections each, times over 120 s); CPU medians,
 *   a first pass thrown away.
 * - Per request: `record` alone; per query (what the API does each time the
 *   dashboard asks, at most every 2 s per client): `top` of each window with
 *   every bound full (512 pairs in each of the 60 seconds, 10,000 for the
 *   session).
 *
 *   node dist/bench/web-sections.js [FILE...] [--runs N]
 *
 * run.ts calls `measureWebSections` on its capture and saves the result under `webSections`.
 */
import * as path from 'node:path';
import { readCaptureFile } from '../src-capture-helper/capture-file/read-capture-file';
import { decodePacket, LinkType } from '../src-capture-helper/decode/decode-packet';
import { DecodedPacket } from '../src-capture-helper/decode/decoded-packet';
import { NameExtractor } from '../src-capture-helper/names/name-extractor';
import type { WebRequest } from '../src-capture-helper/names/web-sections';
import { DEFAULT_WEB_SECTION_LIMITS, WebSections } from '../src-capture-helper/names/web-sections';
import type { PacketRecord } from '../src-capture-helper/pipeline/packet-sink';
import { median, round } from './stats';

export interface WebSectionsPass {
  input: string;
  packets: number;
  requests: number;
  runs: number;
  withoutCpuSeconds: number;
  withCpuSeconds: number;
  /** (with - without) / packets, ns of CPU; and per request. */
  nsPerPacket: number;
  nsPerRequest: number;
}

export interface WebSectionsBench {
  passes: WebSectionsPass[];
  /** `record` alone, ns per request (median of runs). */
  recordNs: number;
  /** `top` with every bound full, µs per call (median). */
  topUs: { '10s': number; '60s': number; session: number };
}

const T0 = 1_700_000_000;
const HOSTS = 1000;
const SECTIONS = 50;
const LOAD_REQUESTS = 100_000;



/** A GET in one IPv4 TCP segment (raw IP), its host and section chosen by `i`. */
function requestPacket(i: number): Uint8Array {
  const host = `host${i % HOSTS}.example`;
  const section = `s${(i * 7) % SECTIONS}`;
  const payload = Buffer.from(`GET /${section}/page${i % 97}.html?q=${i} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n`, 'latin1');
  const sport = 10_000 + (i % 50_000);
  const l4 = [sport >> 8, sport & 0xff, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0];
  const total = 20 + l4.length + payload.length;
  const ip = [0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, (i >> 8) & 0xff, i & 0xff, 198, 51, 100, 1 + (i % 200)];
  return Uint8Array.from([...ip, ...l4, ...payload]);
}

/** Packets of the generated load, as records a capture reader would hand over. */
function loadRecords(): PacketRecord[] {
  const out: PacketRecord[] = [];
  for (let i = 0; i < LOAD_REQUESTS; i++) {
    const bytes = requestPacket(i);
    out.push({ ifIndex: 0, linkType: LinkType.raw, tsSec: T0 + Math.floor((i * 120) / LOAD_REQUESTS), tsNsec: 0, hasTimestamp: true, wireLength: bytes.length, bytes, offset: 0, length: bytes.length });
  }
  return out;
}

/** One pass of decode + names over `feed`; the flow id is a hash of the ports (no flow table: names only). */
function pass(feed: (sink: (rec: PacketRecord) => void) => void, counting: boolean): { cpu: number; packets: number; requests: number } {
  const pkt = new DecodedPacket();
  const names = new NameExtractor();
  if (!counting) names.webSections.record = () => undefined;
  let packets = 0;
  const c0 = process.cpuUsage();
  feed((rec) => {
    packets++;
    decodePacket(rec.linkType, rec.bytes, pkt, rec.wireLength, rec.offset, rec.length);
    if (pkt.layerCount === 0) return;
    const l = pkt.layers[pkt.layerCount - 1];
    names.observe(pkt, rec, (l.srcPort * 65_536 + l.dstPort) % 1_000_000);
  });
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1e6, packets, requests: names.counters().httpRequests };
}

function measurePass(input: string, feed: (sink: (rec: PacketRecord) => void) => void, runs: number): WebSectionsPass {
  pass(feed, true); // warm the page cache and the JIT
  const without: number[] = [];
  const withS: number[] = [];
  let last = { cpu: 0, packets: 0, requests: 0 };
  for (let r = 0; r < runs; r++) {
    without.push(pass(feed, false).cpu);
    last = pass(feed, true);
    withS.push(last.cpu);
  }
  const w0 = median(without);
  const w1 = median(withS);
  return {
    input,
    packets: last.packets,
    requests: last.requests,
    runs,
    withoutCpuSeconds: round(w0, 3),
    withCpuSeconds: round(w1, 3),
    nsPerPacket: round(((w1 - w0) / last.packets) * 1e9, 1),
    nsPerRequest: last.requests > 0 ? round(((w1 - w0) / last.requests) * 1e9, 1) : 0,
  };
}

function measureRecordAndTop(runs: number): Pick<WebSectionsBench, 'recordNs' | 'topUs'> {
  const server = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 1]);
  const reqs: WebRequest[] = [];
  for (let i = 0; i < LOAD_REQUESTS; i++) reqs.push({ target: `/s${(i * 7) % SECTIONS}/p?q=${i}`, host: `host${i % HOSTS}.example`, server, serverPort: 80 });
  const recordNs: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    const w = new WebSections();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reqs.length; i++) w.record(reqs[i], T0 + Math.floor((i * 120) / reqs.length));
    if (r > 0) recordNs.push(Number(process.hrtime.bigint() - t0) / reqs.length);
  }
  // Every bound full: each of the last 60 seconds holds its most pairs, the session its most.
  const full = new WebSections();
  const perSecond = DEFAULT_WEB_SECTION_LIMITS.maxPairsPerSecond;
  for (let s = 0; s < 60; s++) {
    for (let i = 0; i < perSecond; i++) full.record({ target: `/s${(s * perSecond + i) % 5000}`, host: `host${i % 200}.example`, server, serverPort: 80 }, T0 + s);
  }
  const topUs = { '10s': 0, '60s': 0, session: 0 };
  for (const window of ['10s', '60s', 'session'] as const) {
    const times: number[] = [];
    for (let r = 0; r < runs * 4; r++) {
      const t0 = process.hrtime.bigint();
      full.top(window, T0 + 59, 25, 10);
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    topUs[window] = round(median(times.slice(1)), 1);
  }
  return { recordNs: round(median(recordNs), 1), topUs };
}

export function measureWebSections(files: string[], runs = 5): WebSectionsBench {
  const records = loadRecords();
  const passes = [
    measurePass(`generated HTTP load (${LOAD_REQUESTS} requests, ${HOSTS} hosts x ${SECTIONS} sections)`, (sink) => records.forEach(sink), runs),
    ...files.map((f) => measurePass(path.basename(f), (sink) => void readCaptureFile(f, { packet: sink }), runs)),
  ];
  return { passes, ...measureRecordAndTop(runs) };
}

export function formatWebSections(b: WebSectionsBench): string[] {
  const lines = ['web sections (CPU medians; with minus without the counting):'];
  for (const p of b.passes) {
    lines.push(`  ${p.input}: ${p.packets} packets, ${p.requests} requests: ${p.withoutCpuSeconds} s -> ${p.withCpuSeconds} s, ${p.nsPerPacket} ns/packet, ${p.nsPerRequest} ns/request`);
  }
  lines.push(`  record alone: ${b.recordNs} ns/request; top with every bound full: 10s ${b.topUs['10s']} µs, 60s ${b.topUs['60s']} µs, session ${b.topUs.session} µs per query`);
  return lines;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--runs');
  const runs = at >= 0 ? Number(args[at + 1]) : 5;
  const files = args.filter((a, i) => a !== '--runs' && (at < 0 || i !== at + 1));
  const result = measureWebSections(files, runs);
  process.stdout.write(`${formatWebSections(result).join('\n')}\n`);
}
