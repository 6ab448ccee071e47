/**
 * TCP connection quality against tshark's TCP analysis: generated captures
 * with known gaps (exact values) and every capture in ../shared/fixtures/pcap
 * (counts and handshake RTTs as tshark reports them on the same file).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../../src-capture-helper/capture-file/read-capture-file';
import type { TcpQualitySummary } from '../../../src-capture-helper/flows/tcp-quality-summary';
import { CaptureEngine } from '../../../src-capture-helper/pipeline/engine';
import type { Segment } from './tcp-quality-captures';
import { SCENARIOS, writeTcpCapture } from './tcp-quality-captures';

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures/pcap');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-tcp-quality-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Analysis {
  retransmissions: number;
  outOfOrder: number;
  zeroWindows: number;
  /** Handshake RTTs in ms, rounded to the microsecond and sorted. */
  serverRtts: number[];
  clientRtts: number[];
}

const us = (ms: number) => Math.round(ms * 1000) / 1000;
const sorted = (values: number[]) => values.map(us).sort((x, y) => x - y);

/**
 * Our analysis of a file. tshark keeps a TCP stream however long it idles;
 * the flow table ends a flow after its idle timeout (ldap.pcapng's stream 5
 * idles for days between segments), so the fixture comparison lifts the
 * timeouts to compare the analysis itself.
 */
function ours(file: string, neverIdle = false): Analysis {
  const forever = 1e12;
  const engine = new CaptureEngine(neverIdle ? { flows: { timeouts: { tcp: forever, tcpClosed: forever } } } : {});
  const read = readCaptureFile(file, engine);
  engine.finish(path.basename(file), read);
  const q: TcpQualitySummary = engine.qualitySummary;
  return { retransmissions: q.retransmissions, outOfOrder: q.outOfOrder, zeroWindows: q.zeroWindows, serverRtts: sorted(q.serverRtts), clientRtts: sorted(q.clientRtts) };
}

function tshark(file: string): Analysis {
  const fields = ['frame.number', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.analysis.retransmission', 'tcp.analysis.out_of_order', 'tcp.analysis.zero_window', 'tcp.analysis.ack_rtt', 'tcp.analysis.acks_frame'];
  const r = spawnSync('tshark', ['-n', '-r', file, '-Y', 'tcp', '-T', 'fields', '-E', 'occurrence=l', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8', env: { ...process.env, WIRESHARK_CONFIG_DIR: dir, TZ: 'UTC' }, maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  const rows = r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
  const synAckFrames = new Set(rows.filter((c) => c[1] === '1' && c[2] === '1').map((c) => c[0]));
  const a: Analysis = { retransmissions: 0, outOfOrder: 0, zeroWindows: 0, serverRtts: [], clientRtts: [] };
  for (const [frame, syn, ackFlag, retrans, ooo, zero, rtt, acks] of rows) {
    if (retrans === '1') a.retransmissions++;
    if (ooo === '1') a.outOfOrder++;
    if (zero === '1') a.zeroWindows++;
    if (rtt === '') continue;
    const ms = tsharkSeconds(rtt) * 1000;
    if (syn === '1' && ackFlag === '1') a.serverRtts.push(ms);
    else if (syn === '0' && synAckFrames.has(acks) && Number(acks) < Number(frame)) a.clientRtts.push(ms);
  }
  a.serverRtts = sorted(a.serverRtts);
  a.clientRtts = sorted(a.clientRtts);
  return a;
}

/** tshark prints a time delta as seconds '.' nanoseconds (%09d): an invalid timestamp's 1e9 ns prints ten digits. */
function tsharkSeconds(text: string): number {
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace('-', '').split('.');
  const value = Number(whole) + Number(fraction.padEnd(9, '0')) / 1e9;
  return negative ? -value : value;
}

function scenarioFile(name: string, segments: readonly Segment[]): string {
  const file = path.join(dir, `${name}.pcap`);
  writeTcpCapture(file, segments);
  return file;
}

describe('TCP quality on generated captures', () => {
  it('reads a 100 ms SYN -> SYN/ACK as 100 ms on the server side and the 30 ms to the ACK on the client side', () => {
    const a = ours(scenarioFile('handshake', SCENARIOS.handshake));
    expect(a.serverRtts).toEqual([100]);
    expect(a.clientRtts).toEqual([30]);
    expect(a.retransmissions + a.outOfOrder + a.zeroWindows).toBe(0);
  });

  it('counts a segment sent again as one retransmission', () => {
    const a = ours(scenarioFile('retransmission', SCENARIOS.retransmission));
    expect(a.retransmissions).toBe(1);
    expect(a.outOfOrder).toBe(0);
  });

  it('counts a segment overtaken by the next one as out of order, not retransmitted', () => {
    const a = ours(scenarioFile('out-of-order', SCENARIOS.outOfOrder));
    expect(a.outOfOrder).toBe(1);
    expect(a.retransmissions).toBe(0);
  });

  it('counts zero windows', () => {
    expect(ours(scenarioFile('zero-window', SCENARIOS.zeroWindow)).zeroWindows).toBe(2);
  });

  it('counts fast and spurious retransmissions as retransmissions', () => {
    expect(ours(scenarioFile('fast-spurious', SCENARIOS.fastAndSpurious)).retransmissions).toBe(2);
  });

  it('does not count keep-alives', () => {
    const a = ours(scenarioFile('keep-alive', SCENARIOS.keepAlive));
    expect(a.retransmissions + a.outOfOrder).toBe(0);
  });

  for (const [name, segments] of Object.entries(SCENARIOS)) {
    it(`agrees with tshark on ${name}`, () => {
      const file = scenarioFile(`tshark-${name}`, segments);
      expect(ours(file)).toEqual(tshark(file));
    });
  }
});

const fixtures = fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).filter((f) => /\.(pcap|pcapng|cap)$/.test(f)).sort() : [];

describe.skipIf(fixtures.length === 0)('TCP quality on the shared fixtures', () => {
  it.each(fixtures)('%s: retransmissions, out of order, zero windows and handshake RTTs as tshark counts them', (name) => {
    const file = path.join(FIXTURES, name);
    expect(ours(file, true)).toEqual(tshark(file));
  });
});
