/**
 * Test helper: replays a capture file (through the helper's own reader and
 * decoder) into a NameExtractor, with flow ids from a plain 5-tuple map (the
 * engine's flow table is not needed to test names).
 */
import path from 'node:path';
import { readCaptureFile } from '../../../src-capture-helper/capture-file/read-capture-file';
import { decodePacket } from '../../../src-capture-helper/decode/decode-packet';
import { DecodedPacket } from '../../../src-capture-helper/decode/decoded-packet';
import { NameExtractor } from '../../../src-capture-helper/names/name-extractor';

export const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures/pcap');

/** Replays a capture file through a fresh extractor. */
export function replay(file: string, extractor = new NameExtractor()): NameExtractor {
  const pkt = new DecodedPacket();
  const flows = new Map<string, number>();
  readCaptureFile(file, {
    packet(rec) {
      decodePacket(rec.linkType, rec.bytes, pkt, rec.wireLength, rec.offset, rec.length);
      let flowId = -1;
      if (pkt.layerCount > 0) {
        const l = pkt.layers[pkt.layerCount - 1];
        const a = `${Buffer.from(l.src).toString('hex')}/${l.srcPort}`;
        const b = `${Buffer.from(l.dst).toString('hex')}/${l.dstPort}`;
        const key = `${l.ipProto}|${a < b ? a + b : b + a}`;
        flowId = flows.get(key) ?? flows.size;
        flows.set(key, flowId);
      }
      extractor.observe(pkt, rec, flowId);
    },
  });
  return extractor;
}
