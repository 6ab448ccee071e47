import * as path from 'node:path';
import type { CaptureReadResult } from '../src-capture-helper/capture-file/read-capture-file';
import { readCaptureFile } from '../src-capture-helper/capture-file/read-capture-file';
import { decodePacket } from '../src-capture-helper/decode/decode-packet';
import { DecodedPacket } from '../src-capture-helper/decode/decoded-packet';
import { FlowTable } from '../src-capture-helper/flows/flow-table';
import { CaptureEngine } from '../src-capture-helper/pipeline/engine';
import type { PacketRecord, PacketSink } from '../src-capture-helper/pipeline/packet-sink';
import { RollupEngine } from '../src-capture-helper/rollups/rollup-engine';
import { round } from './stats';

/** What one pass over a capture in this process cost. */
export interface InProcess {
  seconds: number;
  cpuSeconds: number;
  packets: number;
  packetsPerSecond: number;
  packetsPerCpuSecond: number;
  megabytesPerSecond: number;
  flowsCreated?: number;
}

export type Stage = 'decode' | 'flows' | 'engine';

/**
 * One pass over the file in this process: read+decode; read+decode+flows+rollups
 * (the live path); or the whole analyze engine (report, flows, names) and its report.
 */
export function inProcess(file: string, stage: Stage, fileBytes: number): InProcess {
  const pkt = new DecodedPacket();
  let sink: PacketSink;
  /** Ends the pass; returns the flows created, if the stage tracks flows. */
  let end: (read: CaptureReadResult) => number | undefined;
  switch (stage) {
    case 'decode':
      sink = { packet: (rec: PacketRecord) => decodePacket(rec.linkType, rec.bytes, pkt, rec.wireLength, rec.offset, rec.length) };
      end = () => undefined;
      break;
    case 'flows': {
      const table = new FlowTable({ maxFlows: 2_000_000 });
      const rollups = new RollupEngine(table);
      sink = { packet: (rec: PacketRecord) => { decodePacket(rec.linkType, rec.bytes, pkt, rec.wireLength, rec.offset, rec.length); rollups.observe(pkt, rec); } };
      end = () => {
        rollups.finish();
        table.flush();
        return table.getStats().created;
      };
      break;
    }
    case 'engine': {
      const engine = new CaptureEngine();
      sink = engine;
      end = (read) => engine.finish(path.basename(file), read).flows_total;
      break;
    }
    default:
      assertNever(stage);
  }
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const read = readCaptureFile(file, sink);
  const flowsCreated = end(read);
  const c = process.cpuUsage(c0);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = (c.user + c.system) / 1e6;
  return {
    seconds: round(s, 3),
    cpuSeconds: round(cpu, 3),
    packets: read.packets,
    packetsPerSecond: Math.round(read.packets / s),
    packetsPerCpuSecond: Math.round(read.packets / cpu),
    megabytesPerSecond: round(fileBytes / 1e6 / s, 1),
    ...(flowsCreated !== undefined ? { flowsCreated } : {}),
  };
}

function assertNever(value: never): never {
  throw new Error(`unexpected stage ${String(value)}`);
}
