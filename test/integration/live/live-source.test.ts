import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNamespaces, createVethPair, type VethPair } from '../../helpers/netns';
import {
  TRAFFIC, readPcapFrames, requireBuilt, sendTraffic, startServers, tempDir, waitForExit, waitForOutput,
} from './live-traffic';

/**
 * Records every packet a live source delivers in namespace B, until a line
 * arrives on stdin, then writes them (timestamp, lengths, bytes) and the
 * source's stats to a JSON file.
 */
const RECORDER_JS = `
const fs = require('fs');
const [liveModule, iface, pathChoice, bpf, out] = process.argv.slice(1);
const { openLiveSource } = require(liveModule);
(async () => {
let src;
try { src = await openLiveSource({ interfaces: [iface], bpf }, pathChoice); }
catch (e) { process.stderr.write('OPEN-ERROR ' + JSON.stringify({ message: e.message, code: e.code }) + '\\n'); process.exit(3); }
const records = [], errors = [];
src.start({ packet(r) { records.push({ sec: r.tsSec, nsec: r.tsNsec, wire: r.wireLength, ifIndex: r.ifIndex, linkType: r.linkType, hex: Buffer.from(r.bytes.subarray(r.offset, r.offset + r.length)).toString('hex') }); } },
  (e) => errors.push(e));
process.stdout.write('recording ' + src.path + '\\n');
process.stdin.once('data', async () => {
  await src.stop(); const stats = src.stats();
  fs.writeFileSync(out, JSON.stringify({ path: src.path, caveats: src.caveats, records, stats, errors }));
  process.exit(0);
});
})();`;

interface Recorded {
  path: string;
  caveats: string[];
  records: { sec: number; nsec: number; wire: number; ifIndex: number; linkType: number; hex: string }[];
  stats: { path: string; interfaces: { packets: number; bytes: number; kernelDrops: number | null; received: number | null; helperDrops: number }[] };
  errors: unknown[];
}

interface Classified {
  icmpRequests: number;
  icmpReplies: number;
  icmpFrameLengths: number[];
  udpFrameLengths: number[];
  tcpSyn: number;
  tcpSynAck: number;
  tcpFin: number;
  tcpPayloadToServer: number;
  other: number;
}

/** A minimal Ethernet/IPv4 reading of the recorded bytes, independent of the helper's decoder. */
function classify(records: Recorded['records'], serverAddr: string): Classified {
  const c: Classified = {
    icmpRequests: 0, icmpReplies: 0, icmpFrameLengths: [], udpFrameLengths: [], tcpSyn: 0, tcpSynAck: 0, tcpFin: 0,
    tcpPayloadToServer: 0, other: 0,
  };
  const server = serverAddr.split('.').map(Number);
  for (const r of records) {
    const b = Buffer.from(r.hex, 'hex');
    if (b.readUInt16BE(12) !== 0x0800) {
      c.other++;
      continue;
    }
    const ihl = (b[14] & 0x0f) * 4;
    const proto = b[23];
    const toServer = [30, 31, 32, 33].every((o, i) => b[o] === server[i]);
    const l4 = 14 + ihl;
    if (proto === 1) {
      if (b[l4] === 8) c.icmpRequests++;
      else if (b[l4] === 0) c.icmpReplies++;
      c.icmpFrameLengths.push(r.wire);
    } else if (proto === 17) {
      c.udpFrameLengths.push(r.wire);
    } else if (proto === 6) {
      const flags = b[l4 + 13];
      if ((flags & 0x12) === 0x02) c.tcpSyn++;
      if ((flags & 0x12) === 0x12) c.tcpSynAck++;
      if (flags & 0x01) c.tcpFin++;
      const total = b.readUInt16BE(16);
      const payload = total - ihl - (b[l4 + 12] >> 4) * 4;
      if (toServer) c.tcpPayloadToServer += payload;
    } else {
      c.other++;
    }
  }
  return c;
}

const enabled = canCreateNamespaces();

describe.skipIf(!enabled)('live capture on a veth pair between two namespaces', () => {
  let liveModule: string;
  let pair: VethPair | undefined;
  const children: ChildProcess[] = [];
  let dir: string;

  beforeAll(() => {
    liveModule = requireBuilt('live/live-capture.js');
    dir = tempDir('netmon-live-');
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    pair?.destroy();
    pair = undefined;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function recordKnownTraffic(pathChoice: 'netmon-capture' | 'cap'): Promise<{ rec: Recorded; truth: ReturnType<typeof readPcapFrames> }> {
    pair = createVethPair();
    const out = path.join(dir, `${pathChoice}.json`);
    const pcap = path.join(dir, `${pathChoice}.pcap`);
    const servers = startServers(pair);
    children.push(servers);
    await waitForOutput(servers, /servers-ready/);
    const tcpdump = pair.spawn(pair.nsB, 'tcpdump', ['-i', pair.ifB, '-n', '-U', '--immediate-mode', '--time-stamp-precision=nano', '-w', pcap], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(tcpdump);
    await waitForOutput(tcpdump, /listening on/);
    const recorder = pair.spawn(pair.nsB, process.execPath, ['-e', RECORDER_JS, liveModule, pair.ifB, pathChoice, '', out], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(recorder);
    await waitForOutput(recorder, /recording/);
    sendTraffic(pair);
    recorder.stdin?.write('stop\n');
    expect(await waitForExit(recorder)).toBe(0);
    // tcpdump writes each packet as it comes (-U, immediate mode); give it a moment for the last ones.
    await new Promise((r) => setTimeout(r, 200));
    tcpdump.kill('SIGINT');
    await waitForExit(tcpdump);
    const rec = JSON.parse(fs.readFileSync(out, 'utf8')) as Recorded;
    return { rec, truth: readPcapFrames(pcap) };
  }

  function expectKnownTraffic(c: Classified): void {
    expect(c.icmpRequests).toBe(TRAFFIC.pings);
    expect(c.icmpReplies).toBe(TRAFFIC.pings);
    expect(c.icmpFrameLengths).toEqual(Array(TRAFFIC.pings * 2).fill(TRAFFIC.pingFrame));
    expect(c.udpFrameLengths).toEqual(TRAFFIC.udpPayloads.map((n) => 14 + 20 + 8 + n));
    expect(c.tcpSyn).toBe(1);
    expect(c.tcpSynAck).toBe(1);
    expect(c.tcpFin).toBe(2);
    expect(c.tcpPayloadToServer).toBe(TRAFFIC.tcpBytes);
    expect(c.other).toBe(0);
  }

  it('netmon-capture path: every packet with libpcap nanosecond timestamps and wire lengths, as tcpdump saw them', async () => {
    const { rec, truth } = await recordKnownTraffic('netmon-capture');
    expect(rec.path).toBe('netmon-capture');
    expect(rec.errors).toEqual([]);
    expectKnownTraffic(classify(rec.records, pair!.addrB));
    // Same frames in the same order as tcpdump's capture of the link.
    expect(rec.records.map((r) => r.wire)).toEqual(truth.map((t) => t.wireLength));
    // Kernel timestamps: each packet socket is stamped on its own, so they agree
    // with tcpdump's within microseconds rather than exactly; and they are in ns.
    rec.records.forEach((r, i) => {
      const deltaNs = (r.sec - truth[i].sec) * 1e9 + (r.nsec - truth[i].nsec);
      expect(Math.abs(deltaNs)).toBeLessThan(1_000_000);
    });
    expect(rec.records.some((r) => r.nsec % 1000 !== 0)).toBe(true);
    expect(rec.records.every((r) => r.ifIndex === 0 && r.linkType === 1)).toBe(true);
    const st = rec.stats.interfaces[0];
    expect(st.packets).toBe(truth.length);
    expect(st.bytes).toBe(truth.reduce((s, t) => s + t.wireLength, 0));
    expect(st.kernelDrops).toBe(0);
    expect(st.helperDrops).toBe(0);
    expect(st.received).toBe(truth.length);
  });

  it('cap fallback: same packets and lengths, stamped by the helper clock, and says so', async () => {
    const { rec, truth } = await recordKnownTraffic('cap');
    expect(rec.path).toBe('cap');
    expect(rec.caveats.join(' ')).toMatch(/timestamps are taken by the helper/);
    expectKnownTraffic(classify(rec.records, pair!.addrB));
    expect(rec.records.map((r) => r.wire)).toEqual(truth.map((t) => t.wireLength));
    // Helper-clock stamps: after the kernel's, by less than a second, never going backwards.
    rec.records.forEach((r, i) => {
      const delta = r.sec + r.nsec / 1e9 - (truth[i].sec + truth[i].nsec / 1e9);
      expect(delta).toBeGreaterThanOrEqual(-0.001);
      expect(delta).toBeLessThan(1);
    });
    expect(rec.stats.interfaces[0].kernelDrops).toBeNull();
  });

  for (const pathChoice of ['netmon-capture', 'cap'] as const) {
    it(`${pathChoice} path: a bad BPF filter is a clear error with libpcap's reason`, async () => {
      pair = createVethPair();
      const recorder = pair.spawn(pair.nsB, process.execPath, ['-e', RECORDER_JS, liveModule, pair.ifB, pathChoice, 'tcp port', '/dev/null'], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      children.push(recorder);
      const output = await waitForOutput(recorder, /OPEN-ERROR/);
      expect(await waitForExit(recorder)).toBe(3);
      const err = JSON.parse(output.slice(output.indexOf('OPEN-ERROR ') + 11).split('\n')[0]) as { message: string; code: string };
      expect(err.code).toBe('EBPF');
      expect(err.message).toBe("invalid capture filter 'tcp port': can't parse filter expression: syntax error");
    });
  }

  it('netmon-capture path: an interface that vanishes mid-capture is an error to JS, not a crash', async () => {
    pair = createVethPair();
    const out = path.join(dir, 'vanish.json');
    const recorder = pair.spawn(pair.nsB, process.execPath, ['-e', RECORDER_JS, liveModule, pair.ifB, 'netmon-capture', '', out], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(recorder);
    await waitForOutput(recorder, /recording/);
    pair.exec(pair.nsA, 'ip', ['link', 'del', pair.ifA]);
    await new Promise((r) => setTimeout(r, 300));
    recorder.stdin?.write('stop\n');
    expect(await waitForExit(recorder)).toBe(0);
    const rec = JSON.parse(fs.readFileSync(out, 'utf8')) as Recorded;
    expect(rec.errors).toHaveLength(1);
    expect(rec.errors[0]).toMatchObject({ iface: pair.ifB, code: 'ENODEV' });
  });

  it('a missing interface is refused with ENODEV on both paths', () => {
    for (const pathChoice of ['netmon-capture', 'cap'] as const) {
      const r = spawnSync(process.execPath, ['-e', RECORDER_JS, liveModule, 'netmon-nope0', pathChoice, '', '/dev/null'], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(3);
      expect(r.stderr).toContain('"code":"ENODEV"');
      expect(r.stderr).toContain('netmon-nope0');
    }
  });
});
