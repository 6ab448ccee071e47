import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../../src-capture-helper/capture-file/read-capture-file';
import { decodePacket } from '../../../src-capture-helper/decode/decode-packet';
import { DecodedPacket } from '../../../src-capture-helper/decode/decoded-packet';
import { FlowTable } from '../../../src-capture-helper/flows/flow-table';
import type { FlowSnapshot } from '../../../src-capture-helper/flows/flow-types';
import type { ExportFormat } from '../../../src-capture-helper/spool/export-stream';
import { SessionSpool } from '../../../src-capture-helper/spool/session-spool';
import type { SpoolSettings } from '../../../src-capture-helper/spool/spool-settings';
import { collect, essentials, ownedPacket, parseCapture } from '../../unit/spool/spool-helpers';
import type { TestPacket } from '../../unit/spool/spool-helpers';
import { tsharkConversations } from '../../helpers/tshark-conversations';

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures/pcap');
const FIXTURE = path.join(FIXTURES, 'raw_ip.pcap');

interface ConvRow {
  a: string;
  port_a: number;
  b: string;
  port_b: number;
  frames: number;
  bytes: number;
  tshark_bytes: string;
}
const truth = JSON.parse(fs.readFileSync(`${FIXTURE}.truth.json`, 'utf8')) as { packets: number; conversations: { tcp: ConvRow[]; udp: ConvRow[] } };

let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-spool-it-'));
});
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

interface Replay {
  spool: SessionSpool;
  flows: Map<number, FlowSnapshot>;
}

/** The fixture through the helper's reader, decoder and flow table into a session spool, as a capture session does. */
function replay(settings: Partial<SpoolSettings> = {}): Replay {
  // The fixture spans years of packet time: a replay keeps size limits only.
  settings = { maxAgeSeconds: 0, ...settings };
  const runtimeDir = fs.mkdtempSync(path.join(work, 'rt-'));
  const spool = new SessionSpool({ settings, runtimeDir, interfaceName: () => 'raw_ip.pcap' });
  const flows = new Map<number, FlowSnapshot>();
  const table = new FlowTable({ maxFlows: 10_000, clock: 'packet', onFinish: (f) => flows.set(f.id, f) });
  const pkt = new DecodedPacket();
  const read = readCaptureFile(FIXTURE, {
    packet(rec) {
      decodePacket(rec.linkType, rec.bytes, pkt, rec.wireLength, rec.offset, rec.length);
      const id = pkt.layerCount > 0 ? table.observe(pkt, rec) : -1;
      spool.packet(rec, id);
    },
  });
  expect(read.complete).toBe(true);
  table.flush();
  return { spool, flows };
}

function flowOf(r: Replay, proto: 'tcp' | 'udp', row: ConvRow): FlowSnapshot {
  const found = [...r.flows.values()].filter((f) => f.proto === proto && f.a === row.a && f.portA === row.port_a && f.b === row.b && f.portB === row.port_b);
  expect(found).toHaveLength(1);
  return found[0];
}

function run(cmd: string, args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function endpoint(addr: string, port: number): string {
  return `${addr}:${port}`;
}

function filterOf(proto: 'tcp' | 'udp', row: ConvRow): string {
  const ip = row.a.includes(':') ? 'ipv6' : 'ip';
  return `(${ip}.addr==${row.a} && ${ip}.addr==${row.b} && ${proto}.port==${row.port_a} && ${proto}.port==${row.port_b})`;
}

const tcpRow = truth.conversations.tcp[0];
const udpRow = truth.conversations.udp[0];

describe('export of replayed fixture flows', () => {
  for (const format of ['pcapng', 'pcap'] as ExportFormat[]) {
    it(`holds exactly the two selected flows with the fixture's frames and bytes, byte for byte (${format})`, async () => {
      const r = replay();
      const tcp = flowOf(r, 'tcp', tcpRow);
      const udp = flowOf(r, 'udp', udpRow);
      const exp = r.spool.export({ flowIds: [tcp.id, udp.id], format });
      const bytes = await collect(exp);
      const out = path.join(work, `two-flows.${format}`);
      fs.writeFileSync(out, bytes);

      const info = run('capinfos', [out]);
      expect(info.status).toBe(0);
      expect(info.stderr.trim()).toBe('');
      expect(info.stdout).toMatch(format === 'pcapng' ? /Wireshark\/\.\.\. - pcapng/ : /Wireshark\/tcpdump\/\.\.\. - nanosecond pcap/);
      expect(info.stdout).toMatch(new RegExp(`Number of packets:\\s+${tcpRow.frames + udpRow.frames}\\b`));

      const tcpConv = tsharkConversations(out, 'tcp');
      expect(tcpConv).toEqual([{ a: endpoint(tcpRow.a, tcpRow.port_a), b: endpoint(tcpRow.b, tcpRow.port_b), frames: tcpRow.frames, bytes: tcpRow.tshark_bytes }]);
      const udpConv = tsharkConversations(out, 'udp');
      expect(udpConv).toEqual([{ a: endpoint(udpRow.a, udpRow.port_a), b: endpoint(udpRow.b, udpRow.port_b), frames: udpRow.frames, bytes: udpRow.tshark_bytes }]);

      const { packets } = parseCapture(bytes);
      expect(packets.reduce((a, p) => a + p.wireLength, 0)).toBe(tcpRow.bytes + udpRow.bytes);
      expect(exp.summary).toMatchObject({ packets: tcpRow.frames + udpRow.frames, bytes: tcpRow.bytes + udpRow.bytes, missingPackets: 0, cancelled: false });

      // The same packets tshark cuts from the fixture, timestamp, length and bytes.
      const ref = path.join(work, `ref-${format}.pcapng`);
      const cut = run('tshark', ['-n', '-r', FIXTURE, '-Y', `${filterOf('tcp', tcpRow)} || ${filterOf('udp', udpRow)}`, '-w', ref]);
      expect(cut.status).toBe(0);
      const refPackets = parseCapture(fs.readFileSync(ref)).packets;
      expect(refPackets).toHaveLength(tcpRow.frames + udpRow.frames);
      expect(packets.map(essentials)).toEqual(refPackets.map(essentials));
      r.spool.close();
    });
  }

  it('exports the whole capture as the fixture holds it', async () => {
    const r = replay();
    const bytes = await collect(r.spool.export({ flowIds: [], format: 'pcapng' }));
    const original: TestPacket[] = [];
    readCaptureFile(FIXTURE, { packet: (rec) => original.push(ownedPacket(rec)) });
    const { packets, result } = parseCapture(bytes);
    expect(result.interfaces.map((i) => [i.linkType, i.name, i.tsresol])).toEqual([[101, 'raw_ip.pcap', '10^-9']]);
    expect(packets).toHaveLength(truth.packets);
    expect(packets.map(essentials)).toEqual(original.map(essentials));
    const out = path.join(work, 'all.pcapng');
    fs.writeFileSync(out, bytes);
    const info = run('capinfos', ['-c', out]);
    expect(info.status).toBe(0);
    expect(info.stdout).toMatch(new RegExp(`Number of packets:\\s+${truth.packets}\\b`));
    r.spool.close();
  });

  it('after the spool rotated, reports how many packets of the selected flows are missing', async () => {
    const r = replay({ segmentBytes: 4096, memoryBytes: 8192, maxBytes: 8192, snaplen: 4000, maxAgeSeconds: 0 });
    const stats = r.spool.stats();
    expect(stats.rotatedPackets).toBeGreaterThan(0);
    expect(stats.packetsInSpool + stats.rotatedPackets).toBe(truth.packets);
    const tcp = flowOf(r, 'tcp', tcpRow);
    const udp = flowOf(r, 'udp', udpRow);
    const exp = r.spool.export({ flowIds: [tcp.id, udp.id], format: 'pcapng' });
    const { packets } = parseCapture(await collect(exp));
    const s = exp.summary;
    expect(s?.missingExact).toBe(true);
    expect(s?.missingPackets).toBeGreaterThan(0);
    expect((s?.packets ?? 0) + (s?.missingPackets ?? 0)).toBe(tcpRow.frames + udpRow.frames);
    expect((s?.bytes ?? 0) + (s?.missingBytes ?? 0)).toBe(tcpRow.bytes + udpRow.bytes);
    expect(packets).toHaveLength(s?.packets ?? -1);
    r.spool.close();
  });
});
