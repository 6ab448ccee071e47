import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../../src-capture-helper/capture-file/read-capture-file';
import type { PacketRecord } from '../../../src-capture-helper/pipeline/packet-sink';

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures/pcap');
const captures = readdirSync(FIXTURES).filter((f) => f.endsWith('.truth.json')).map((f) => f.slice(0, -'.truth.json'.length));

interface Totals {
  packets: number;
  bytes: number;
  captured: number;
  noTs: number;
  first: bigint | null;
  last: bigint | null;
  perLink: Map<number, number>;
}

function totalsOf(file: string, chunkSize?: number) {
  const t: Totals = { packets: 0, bytes: 0, captured: 0, noTs: 0, first: null, last: null, perLink: new Map() };
  const result = readCaptureFile(path.join(FIXTURES, file), {
    packet(rec: PacketRecord) {
      t.packets++;
      t.bytes += rec.wireLength;
      t.captured += rec.length;
      t.perLink.set(rec.linkType, (t.perLink.get(rec.linkType) ?? 0) + 1);
      if (!rec.hasTimestamp) {
        t.noTs++;
        return;
      }
      const ns = BigInt(rec.tsSec) * 1_000_000_000n + BigInt(rec.tsNsec);
      if (t.first === null) t.first = ns;
      t.last = ns;
    },
  }, chunkSize === undefined ? {} : { chunkSize });
  return { t, result };
}

/** tshark prints seconds.%09d without normalising the fraction (JSON numbers would lose precision). */
function tsharkTime(s: string): bigint {
  const [sec, frac] = s.split('.');
  return BigInt(sec) * 1_000_000_000n + BigInt(frac);
}

describe('readCaptureFile against tshark', () => {
  for (const name of captures) {
    it(name, () => {
      const truth = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.truth.json`), 'utf8'));
      const { t, result } = totalsOf(name);
      expect(t.packets).toBe(truth.packets);
      expect(result.packets).toBe(truth.packets);
      expect(t.bytes).toBe(truth.bytes);
      expect(t.captured).toBe(truth.captured_bytes);
      expect(t.noTs).toBe(truth.packets_without_timestamp);
      expect(result.complete).toBe(truth.read.complete);
      // tshark's first/last timestamps skip records without one.
      const stamped = truth.packets - truth.packets_without_timestamp;
      if (stamped > 0 && truth.first_ts_ns !== null) {
        expect(t.first).toBe(tsharkTime(truth.first_ts));
        expect(t.last).toBe(tsharkTime(truth.last_ts));
      }
      expect(result.format).toBe(truth.format.container);
      if (truth.read.complete) expect(result.interfaces.map((i) => i.linkType)).toEqual(truth.format.interfaces.map((i: { linktype: number }) => i.linktype));
    });
  }
});

describe('readCaptureFile in small chunks', () => {
  it('gives the same records whatever the chunk size', () => {
    for (const name of captures) {
      const whole = totalsOf(name);
      const pieces = totalsOf(name, 64);
      expect(pieces.t, name).toEqual(whole.t);
      expect(pieces.result.complete, name).toBe(whole.result.complete);
    }
  });
});
