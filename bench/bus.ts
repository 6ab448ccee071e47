/**
 * The NATS section of `npm run bench`: one `netmon serve --nats` aggregating
 * simulated probes (default 20 probes of 5,000 active flows, every flow
 * updated once a second, plus each probe's heartbeat and rollup), published
 * with the probes' own encoder. Prints serve's CPU and memory, nats-server's
 * CPU, and the bus's bytes per second; then what each candidate encoding of
 * one probe-second costs (bytes, encode and decode CPU), medians of turns.
 * Figures, not asserts. Needs Debian's nats-server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import type { EventMap, FlowRow } from '../src-capture-helper/protocol/messages';
import type { ProbeStatus } from '../src-main/api/types/probes';
import type { CodecName, Envelope } from '../src-main/bus/wire';
import { codecs, decodeEnvelope, encodeEnvelope, FLOW_ROWS_PER_MESSAGE, subjects, WIRE_VERSION } from '../src-main/bus/wire';
import { startServe } from '../test/helpers/serve-process';
import { cpuTicks, median, round } from './stats';

const NATS_SERVER = '/usr/sbin/nats-server';

export interface BusBenchOptions {
  probes: number;
  flowsPerProbe: number;
  seconds: number;
}

export interface BusBenchResult {
  probes: number;
  flowsPerProbe: number;
  seconds: number;
  busBytesPerSecond: number;
  busMessagesPerSecond: number;
  /** CPU this process spent per second simulating and encoding all probes (each real probe pays 1/N of it). */
  publisherCpuMsPerSecond: number;
  serveCpuPercent: number;
  serveRssMB: number;
  servePeakRssMB: number;
  natsServerCpuPercent: number;
  /**
   * What serve showed while the probes published (sampled each measured second, not after they stopped, when
   * serve catches up): the fewest probes live, the median and worst lag of a probe's latest rollup, and the active
   * flows shown at the last sample; then the sequence gaps and messages missed over the run.
   */
  probesLiveMin: number;
  lagMedianMs: number;
  lagMaxMs: number;
  activeFlowsShown: number;
  gaps: number;
  missedMessages: number;
  encodings: EncodingCost[];
}

export interface EncodingCost {
  name: string;
  bytesPerProbeSecond: number;
  encodeMsPerProbeSecond: number;
  decodeMsPerProbeSecond: number;
}

function row(probe: number, i: number, second: number): FlowRow {
  const bytes = (i % 97 + 1) * 1500 * (second % 1000);
  return {
    id: i + 1, iface: 'eth0', proto: i % 3 === 0 ? 'udp' : 'tcp', ipProto: i % 3 === 0 ? 17 : 6,
    a: `10.${probe}.${(i >> 8) & 255}.${i & 255}`, portA: 1024 + (i % 60000), b: `198.51.100.${i % 250}`, portB: i % 3 === 0 ? 53 : 443, vlan: -1,
    packetsAB: Math.floor(bytes / 700), bytesAB: bytes, packetsBA: Math.floor(bytes / 500), bytesBA: bytes * 2,
    firstSeen: second - 60 + (i % 50) / 100, lastSeen: second + 0.5, state: i % 3 === 0 ? 'active' : 'established', tcpFlags: 0x18, active: true,
    ...(i % 4 === 0 ? { sni: `service-${i % 500}.example.com`, nameB: `service-${i % 500}.example.com` } : {}),
  };
}

/** A probe's flows, made once; each second moves their counters and last-seen time on. */
function probeFlows(probe: number, flows: number, second: number): FlowRow[] {
  return Array.from({ length: flows }, (_, i) => row(probe, i, second));
}

function advance(rows: FlowRow[], second: number): void {
  for (const r of rows) {
    r.packetsAB += 2;
    r.bytesAB += 1400;
    r.packetsBA += 3;
    r.bytesBA += 4200;
    r.lastSeen = second + 0.5;
  }
}

function probeSecond(probe: number, flows: number, second: number, rows = probeFlows(probe, flows, second)): { rollup: EventMap['rollup']; deltas: EventMap['flowDeltas'] } {
  const updated = rows;
  const top = updated.slice(0, 100);
  return {
    rollup: {
      second, packets: flows * 10, bytes: flows * 9000,
      interfaces: [{ iface: 'eth0', packetsIn: flows * 5, bytesIn: flows * 6000, packetsOut: flows * 5, bytesOut: flows * 3000, kernelDrops: 0, helperDrops: 0 }],
      byProtocol: { tcp: { packets: flows * 7, bytes: flows * 7000 }, udp: { packets: flows * 3, bytes: flows * 2000 } },
      topHosts: top.map((r) => ({ addr: r.a, packets: r.packetsAB, bytes: r.bytesAB })),
      topFlows: top.map((r) => ({ flowId: r.id, label: `${r.a}:${r.portA} → ${r.b}:${r.portB}`, packets: r.packetsAB, bytes: r.bytesAB })),
      activeFlows: flows, newFlows: 0,
    },
    deltas: { second, updated, ended: [], omitted: 0 },
  };
}

function envelopes(probe: number, seqStart: number, s: { rollup: EventMap['rollup']; deltas: EventMap['flowDeltas'] }): Envelope[] {
  const head = { v: WIRE_VERSION, probe: `sim-${probe}`, boot: 'bench', sentMs: Date.now(), session: `s${probe}` };
  let seq = seqStart;
  const out: Envelope[] = [
    { ...head, seq: seq++, kind: 'hb', body: { session: `s${probe}`, state: 'running', interfaces: ['eth0'], busDropped: 0, busBuffered: 0, reconnects: 0, uptimeMs: 1000 } },
    { ...head, seq: seq++, kind: 'rollup', body: s.rollup },
  ];
  for (let at = 0; at < s.deltas.updated.length; at += FLOW_ROWS_PER_MESSAGE) {
    out.push({ ...head, seq: seq++, kind: 'flows', body: { ...s.deltas, updated: s.deltas.updated.slice(at, at + FLOW_ROWS_PER_MESSAGE) } });
  }
  return out;
}

interface ServeSample {
  live: number;
  lagsMs: number[];
  gaps: number;
  missedMessages: number;
  activeFlows: number;
}

/** Serve's view of the probes and its active flows; null when serve did not answer (counted as no sample). */
async function sampleServe(serveUrl: string): Promise<ServeSample | null> {
  try {
    const probes = (await (await fetch(`${serveUrl}/api/probes`)).json()) as ProbeStatus[];
    const stats = (await (await fetch(`${serveUrl}/api/stats`)).json()) as { activeFlows: number };
    return {
      live: probes.filter((p) => p.state === 'live').length,
      lagsMs: probes.map((p) => p.lagMs),
      gaps: probes.reduce((n, p) => n + p.gaps, 0),
      missedMessages: probes.reduce((n, p) => n + p.missedMessages, 0),
      activeFlows: stats.activeFlows,
    };
  } catch {
    return null;
  }
}

function statusKb(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]);
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${seen.slice(-500)}`)), timeoutMs);
    const on = (d: Buffer) => {
      seen += d.toString();
      const m = pattern.exec(seen);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
  });
}


/** Bytes and CPU of one probe-second in each candidate encoding, taking turns, medians of `runs`. */
export function measureEncodings(flows: number, runs = 9): EncodingCost[] {
  const second = probeSecond(1, flows, 1_800_000_000);
  const msgs = envelopes(1, 0, second);
  const candidates: { name: string; encode: () => Uint8Array[]; decode: (b: Uint8Array[]) => void }[] = [];
  for (const codec of ['json', 'msgpack'] as CodecName[]) {
    // Keyed rows: the helper's objects as they are.
    candidates.push({
      name: `${codec}, keyed rows`,
      encode: () => msgs.map((m) => codecs[codec].encode(m)),
      decode: (bs) => bs.forEach((b) => codecs[codec].decode(b)),
    });
    // Rows as fixed-order arrays (the wire format).
    candidates.push({
      name: `${codec}, row arrays${codec === 'msgpack' ? ' (chosen)' : ''}`,
      encode: () => msgs.map((m) => encodeEnvelope(m, codec)),
      decode: (bs) => bs.forEach((b) => codecs[codec].decode(b)),
    });
  }
  candidates.push({
    name: 'msgpack, row arrays, decoded and checked as serve does',
    encode: () => msgs.map((m) => encodeEnvelope(m, 'msgpack')),
    decode: (bs) => bs.forEach((b) => decodeEnvelope(b, 'msgpack')),
  });
  const samples = candidates.map(() => ({ bytes: 0, enc: [] as number[], dec: [] as number[] }));
  for (let r = 0; r < runs; r++) {
    candidates.forEach((c, i) => {
      let t = process.cpuUsage();
      const encoded = c.encode();
      let d = process.cpuUsage(t);
      samples[i].enc.push((d.user + d.system) / 1000);
      samples[i].bytes = encoded.reduce((n, b) => n + b.byteLength, 0);
      t = process.cpuUsage();
      c.decode(encoded);
      d = process.cpuUsage(t);
      samples[i].dec.push((d.user + d.system) / 1000);
    });
  }
  return candidates.map((c, i) => ({
    name: c.name,
    bytesPerProbeSecond: samples[i].bytes,
    encodeMsPerProbeSecond: round(median(samples[i].enc), 1),
    decodeMsPerProbeSecond: round(median(samples[i].dec), 1),
  }));
}

export async function runBusBench(options: Partial<BusBenchOptions> = {}): Promise<BusBenchResult | { skipped: string }> {
  const o: BusBenchOptions = { probes: 20, flowsPerProbe: 5000, seconds: 20, ...options };
  if (spawnSync(NATS_SERVER, ['--version']).status !== 0) return { skipped: 'nats-server is not installed' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-bench-bus-'));
  const children: ChildProcess[] = [];
  const connections: NatsConnection[] = [];
  try {
    fs.writeFileSync(path.join(dir, 'nats.conf'), 'listen: "127.0.0.1:-1"\nmax_payload: 1048576\n', { mode: 0o600 });
    const nats = spawn(NATS_SERVER, ['-c', path.join(dir, 'nats.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(nats);
    const port = Number((await waitForLine(nats, /client connections on [^\s]*:(\d+)/, 10_000))[1]);
    const url = `nats://127.0.0.1:${port}`;
    const served = await startServe(['--nats', url, '--bind', '127.0.0.1:0', '--no-auth', '--db', path.join(dir, 'h.sqlite')], { XDG_RUNTIME_DIR: dir });
    const serve = served.child;
    children.push(serve);
    const serveUrl = served.url;
    for (let p = 0; p < o.probes; p++) connections.push(await connect({ servers: url, name: `sim-${p}` }));

    let bytes = 0;
    let messages = 0;
    const seqs = new Array<number>(o.probes).fill(0);
    const flows = Array.from({ length: o.probes }, (_, p) => probeFlows(p, o.flowsPerProbe, Math.floor(Date.now() / 1000)));
    let publishCpuMs = 0;
    const publishSecond = (countIt: boolean) => {
      const second = Math.floor(Date.now() / 1000);
      const cpu = process.cpuUsage();
      for (let p = 0; p < o.probes; p++) {
        advance(flows[p], second);
        for (const env of envelopes(p, seqs[p], probeSecond(p, o.flowsPerProbe, second, flows[p]))) {
          const data = encodeEnvelope(env);
          connections[p].publish(subjects.data(env.probe, env.kind), data);
          seqs[p] = env.seq + 1;
          if (countIt) {
            bytes += data.byteLength;
            messages++;
          }
        }
      }
      const used = process.cpuUsage(cpu);
      if (countIt) publishCpuMs += (used.user + used.system) / 1000;
    };
    const warmup = 5;
    let ticks = 0;
    let startTicks = { serve: 0, nats: 0, at: 0 };
    const samples: Promise<ServeSample | null>[] = [];
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        ticks++;
        if (ticks === warmup + 1) startTicks = { serve: cpuTicks(serve.pid ?? 0), nats: cpuTicks(nats.pid ?? 0), at: Date.now() };
        publishSecond(ticks > warmup);
        // Half a second after each measured publish: what a user looking at serve sees meanwhile.
        if (ticks > warmup) samples.push(new Promise((r) => setTimeout(r, 500)).then(() => sampleServe(serveUrl)));
        if (ticks >= warmup + o.seconds) {
          clearInterval(timer);
          resolve();
        }
      }, 1000);
    });
    const seen = (await Promise.all(samples)).filter((x): x is ServeSample => x !== null);
    const elapsed = (Date.now() - startTicks.at) / 1000;
    const hz = 100;
    const serveCpu = (cpuTicks(serve.pid ?? 0) - startTicks.serve) / hz / elapsed;
    const natsCpu = (cpuTicks(nats.pid ?? 0) - startTicks.nats) / hz / elapsed;
    await Promise.all(connections.map((c) => c.flush()));
    const last = seen.at(-1);
    const lags = seen.flatMap((x) => x.lagsMs);
    return {
      ...o,
      busBytesPerSecond: Math.round(bytes / o.seconds),
      busMessagesPerSecond: Math.round(messages / o.seconds),
      publisherCpuMsPerSecond: Math.round(publishCpuMs / o.seconds),
      serveCpuPercent: Math.round(serveCpu * 1000) / 10,
      serveRssMB: Math.round(statusKb(serve.pid ?? 0, 'VmRSS') / 102.4) / 10,
      servePeakRssMB: Math.round(statusKb(serve.pid ?? 0, 'VmHWM') / 102.4) / 10,
      natsServerCpuPercent: Math.round(natsCpu * 1000) / 10,
      probesLiveMin: seen.length === 0 ? 0 : Math.min(...seen.map((x) => x.live)),
      lagMedianMs: lags.length === 0 ? 0 : Math.round(median(lags)),
      lagMaxMs: lags.length === 0 ? 0 : Math.round(Math.max(...lags)),
      activeFlowsShown: last?.activeFlows ?? 0,
      gaps: last?.gaps ?? 0,
      missedMessages: last?.missedMessages ?? 0,
      encodings: measureEncodings(o.flowsPerProbe),
    };
  } finally {
    await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatBusBench(r: BusBenchResult | { skipped: string }): string[] {
  if ('skipped' in r) return [`bus: skipped (${r.skipped})`];
  const lines = [
    `bus: serve --nats with ${r.probes} probes x ${r.flowsPerProbe} active flows at 1 update/s, ${r.seconds} s: ` +
      `bus ${(r.busBytesPerSecond / 1e6).toFixed(2)} MB/s in ${r.busMessagesPerSecond} msg/s (publishing: ${r.publisherCpuMsPerSecond} ms CPU/s for all probes); serve CPU ${r.serveCpuPercent} % of a core, ` +
      `RSS ${r.serveRssMB} MB (peak ${r.servePeakRssMB} MB); nats-server CPU ${r.natsServerCpuPercent} %; ` +
      `while publishing: at least ${r.probesLiveMin} probes live, rollup lag median ${r.lagMedianMs} ms (worst ${r.lagMaxMs} ms), ` +
      `${r.activeFlowsShown} active flows shown; ${r.gaps} gaps (${r.missedMessages} messages missed)`,
  ];
  for (const e of r.encodings) {
    lines.push(`bus encoding ${e.name.padEnd(26)} ${(e.bytesPerProbeSecond / 1e3).toFixed(1).padStart(7)} kB per probe-second, encode ${e.encodeMsPerProbeSecond} ms, decode ${e.decodeMsPerProbeSecond} ms`);
  }
  return lines;
}

if (require.main === module) {
  runBusBench().then((r) => process.stdout.write(`${formatBusBench(r).join('\n')}\n`), (e: unknown) => {
    process.stderr.write(`bus bench: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
