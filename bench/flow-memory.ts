/**
 * Bytes per active flow and per-packet cost of the flow table alone, run as
 * `node --expose-gc dist/bench/flow-memory.js [FLOWS]` (bench/run.ts starts it
 * as a child so its heap starts clean). Prints one JSON line.
 *
 * Packets are filled straight into a DecodedPacket (no decoder), so the
 * figures are the table's own.
 */
import { DecodedPacket, L4Kind, NetKind, TcpFlag } from '../src-capture-helper/decode/decoded-packet';
import { FlowTable } from '../src-capture-helper/flows/flow-table';
import type { PacketRecord } from '../src-capture-helper/pipeline/packet-sink';

export interface FlowMemoryResult {
  flows: number;
  activeFlows: number;
  /** (heapUsed + arrayBuffers) growth per active flow, after a forced GC. */
  bytesPerFlowHeap: number;
  /** RSS growth per active flow. */
  bytesPerFlowRss: number;
  /** Creating flows (first packet of each): nanoseconds per packet. */
  nsPerPacketNewFlow: number;
  /** Packets of existing flows: nanoseconds per packet. */
  nsPerPacketExisting: number;
}

function fill(pkt: DecodedPacket, i: number, reply: boolean): void {
  const L = pkt.layers[0];
  pkt.layerCount = 1;
  pkt.vlan = -1;
  L.net = NetKind.ipv4;
  L.ipProto = 6;
  L.l4 = L4Kind.tcp;
  L.l4Valid = true;
  L.isFragment = false;
  const client = 0x0a000000 + Math.floor(i / 50000) + 1;
  const port = 10000 + (i % 50000);
  L.src4 = reply ? 0xcb007101 : client;
  L.dst4 = reply ? client : 0xcb007101;
  L.srcPort = reply ? 443 : port;
  L.dstPort = reply ? port : 443;
  L.tcpFlags = reply ? TcpFlag.syn | TcpFlag.ack : TcpFlag.syn;
  L.tcpSeq = i;
  L.tcpAck = reply ? i + 1 : 0;
}

function heapNow(): { heap: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.arrayBuffers, rss: m.rss };
}

export function measureFlowMemory(flows: number): FlowMemoryResult {
  const pkt = new DecodedPacket();
  const rec: PacketRecord = { ifIndex: 0, linkType: 1, tsSec: 1_700_000_000, tsNsec: 0, hasTimestamp: true, wireLength: 60, bytes: new Uint8Array(0), offset: 0, length: 0 };
  const before = heapNow();
  const table = new FlowTable({ maxFlows: flows, initialCapacity: flows });
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < flows; i++) {
    fill(pkt, i, false);
    rec.tsNsec = i % 1_000_000_000;
    table.observe(pkt, rec);
  }
  const newNs = Number(process.hrtime.bigint() - t0) / flows;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < flows; i++) {
    fill(pkt, i, true);
    table.observe(pkt, rec);
  }
  const existingNs = Number(process.hrtime.bigint() - t0) / flows;
  const after = heapNow();
  const active = table.activeCount;
  return {
    flows,
    activeFlows: active,
    bytesPerFlowHeap: Math.round((after.heap - before.heap) / active),
    bytesPerFlowRss: Math.round((after.rss - before.rss) / active),
    nsPerPacketNewFlow: Math.round(newNs),
    nsPerPacketExisting: Math.round(existingNs),
  };
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 1_000_000);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write('usage: flow-memory.js [FLOWS]\n');
    process.exitCode = 2;
  } else {
    process.stdout.write(`${JSON.stringify(measureFlowMemory(n))}\n`);
  }
}
