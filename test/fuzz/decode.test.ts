import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src-capture-helper/capture-file/read-capture-file';
import { packetBytes } from '../../src-capture-helper/pipeline/packet-sink';
import { decodePacket, LinkType } from '../../src-capture-helper/decode/decode-packet';
import { DecodedPacket, DecodeStatus, MAX_IP_LAYERS } from '../../src-capture-helper/decode/decoded-packet';
import { GENERATED_CAPTURES } from '../../scripts/truth-fixtures';

const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures/pcap');
const LINK_TYPES = Object.values(LinkType);

/** Every packet of every fixture, shared and generated (PKTAP, NFLOG, IPoIB, PPI, GRE, MPLS...), with its link type. */
const packets: [number, Uint8Array][] = [];
const collect = (file: string): void => {
  readCaptureFile(file, {
    packet(rec) {
      if (rec.linkType >= 0) packets.push([rec.linkType, Uint8Array.from(packetBytes(rec))]);
    },
  });
};
for (const f of readdirSync(FIXTURES).filter((n) => !n.endsWith('.json') && !n.endsWith('.md'))) collect(path.join(FIXTURES, f));
const generated = mkdtempSync(path.join(tmpdir(), 'netmon-fuzz-'));
for (const c of GENERATED_CAPTURES) {
  writeFileSync(path.join(generated, c.name), c.bytes());
  collect(path.join(generated, c.name));
}
rmSync(generated, { recursive: true, force: true });

/** What a decode found, with buffer offsets made relative to the record at `offset`. */
function summary(p: DecodedPacket, offset: number): unknown {
  const layers = p.layers.slice(0, p.layerCount).map((l) => {
    const fields: Record<string, unknown> = { ...l, src: Array.from(l.src), dst: Array.from(l.dst), finalDst: Array.from(l.finalDst), homeSrc: Array.from(l.homeSrc) };
    // An offset the decoder did not reach keeps its reset value, 0, wherever the record lies.
    for (const key of ['netOffset', 'l4Offset', 'payloadOffset'] as const) fields[key] = l[key] === 0 ? 0 : l[key] - offset;
    return fields;
  });
  return { status: p.status, reason: p.reason, vlan: p.vlan, etherType: p.etherType, l3Class: p.l3Class, l4Class: p.l4Class, layers };
}

function checkInvariants(out: DecodedPacket, data: Uint8Array): void {
  expect(Object.values(DecodeStatus)).toContain(out.status);
  expect(out.layerCount).toBeGreaterThanOrEqual(0);
  expect(out.layerCount).toBeLessThanOrEqual(MAX_IP_LAYERS);
  for (let i = 0; i < out.layerCount; i++) {
    const l = out.layers[i];
    expect(l.netOffset).toBeLessThanOrEqual(data.length);
    if (l.l4Valid) expect(l.payloadOffset + l.payloadLength).toBeLessThanOrEqual(data.length);
  }
  if (out.status !== DecodeStatus.ok) expect(out.reason).not.toBe('');
}

describe('decodePacket on hostile input', () => {
  const out = new DecodedPacket();

  it('random bytes on every link type never throw', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LINK_TYPES), fc.uint8Array({ maxLength: 256 }), fc.nat({ max: 1 << 20 }), (lt, data, extra) => {
        decodePacket(lt, data, out, data.length + extra);
        checkInvariants(out, data);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated and cut fixture packets never throw', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...packets),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(),
        ([lt, base], edits, cut) => {
          const b = Uint8Array.from(base);
          for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
          const data = b.subarray(0, cut % (b.length + 1));
          decodePacket(lt, data, out, base.length);
          checkInvariants(out, data);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('a record inside a larger buffer decodes as on its own, offsets shifted, never reading the bytes around it', () => {
    const alone = new DecodedPacket();
    const inside = new DecodedPacket();
    fc.assert(
      fc.property(
        fc.constantFrom(...packets),
        fc.nat(),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        ([lt, base], cut, before, after) => {
          const data = base.subarray(0, cut % (base.length + 1));
          const buffer = new Uint8Array(before.length + data.length + after.length);
          buffer.set(before, 0);
          buffer.set(data, before.length);
          buffer.set(after, before.length + data.length);
          decodePacket(lt, data, alone, base.length);
          decodePacket(lt, buffer, inside, base.length, before.length, data.length);
          expect(summary(inside, before.length)).toEqual(summary(alone, 0));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('the generated fixtures give packets of every link type the decoder knows beyond the shared set', () => {
    const seen = new Set(packets.map(([lt]) => lt));
    for (const lt of [LinkType.pktap, LinkType.pktapDarwin, LinkType.nflog, LinkType.ipoib, LinkType.ppi, LinkType.pflog, LinkType.enc, LinkType.ipnet, LinkType.sunAtm, LinkType.pppEther, LinkType.pppWithDir]) {
      expect(seen.has(lt), String(lt)).toBe(true);
    }
  });

  it('every fixture packet decodes within bounds', () => {
    for (const [lt, data] of packets) {
      decodePacket(lt, data, out);
      checkInvariants(out, data);
    }
  });
});
