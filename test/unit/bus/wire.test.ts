import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FlowRow } from '../../../src-capture-helper/protocol/messages';
import type { Envelope } from '../../../src-main/bus/wire';
import { codecs, decodeEnvelope, decodeExportReply, decodeExportRequest, encodeEnvelope, encodeWire, probeOfSubject, subjects, WireError, WIRE_VERSION } from '../../../src-main/bus/wire';

function row(id: number, extra: Partial<FlowRow> = {}): FlowRow {
  return {
    id, iface: 'eth0', proto: 'tcp', ipProto: 6, a: '192.0.2.1', portA: 40000 + id, b: '198.51.100.7', portB: 443, vlan: -1,
    packetsAB: 10, bytesAB: 1500, packetsBA: 8, bytesBA: 9000, firstSeen: 1_700_000_000.25, lastSeen: 1_700_000_001.5,
    state: 'established', tcpFlags: 0x18, active: true, ...extra,
  };
}

function envelope<K extends Envelope['kind']>(kind: K, body: Envelope<K>['body'], seq = 1): Envelope<K> {
  return { v: WIRE_VERSION, probe: 'edge-1', boot: 'abc123', seq, sentMs: 1_700_000_002_000, session: 'feedbeef', kind, body };
}

describe('bus wire format', () => {
  it('carries flow deltas with names through the wire, row for row', () => {
    const sent = envelope('flows', { second: 1_700_000_001, updated: [row(1, { sni: 'example.org', nameB: 'example.org' }), row(2)], ended: [row(3, { active: false, state: 'closed' })], omitted: 4 });
    const got = decodeEnvelope(encodeEnvelope(sent));
    expect(got).toEqual(sent);
  });

  it("carries a flow's process, and refuses a row whose process is out of bounds", () => {
    const app = { label: 'system (user 0)', pid: null, name: null, exe: null, uid: 0, user: 'root', system: true };
    const sent = envelope('flows', { second: 1_700_000_001, updated: [row(1, { app: { label: 'curl', pid: 4242, name: 'curl', exe: '/usr/bin/curl', uid: 1000, user: 'alice', system: false } }), row(2, { app })], ended: [], omitted: 0 });
    expect(decodeEnvelope(encodeEnvelope(sent))).toEqual(sent);
    const bad = envelope('flows', { second: 1, updated: [row(1, { app: { ...app, uid: -1 } })], ended: [], omitted: 0 });
    expect(() => decodeEnvelope(encodeEnvelope(bad))).toThrow(/app/);
  });

  it('carries rollups and heartbeats', () => {
    const rollup = envelope('rollup', {
      second: 1_700_000_001, packets: 3, bytes: 300,
      interfaces: [{ iface: 'eth0', packetsIn: 1, bytesIn: 100, packetsOut: 2, bytesOut: 200, kernelDrops: 0, helperDrops: 0 }],
      byProtocol: { tcp: { packets: 3, bytes: 300 } }, topHosts: [{ addr: '192.0.2.1', packets: 3, bytes: 300 }],
      topFlows: [{ flowId: 1, label: 'a → b', packets: 3, bytes: 300 }], activeFlows: 1, newFlows: 1,
    });
    expect(decodeEnvelope(encodeEnvelope(rollup))).toEqual(rollup);
    const hb = envelope('hb', { session: 'feedbeef', state: 'running', interfaces: ['eth0'], busDropped: 2, busBuffered: 5, reconnects: 1, uptimeMs: 1234 });
    expect(decodeEnvelope(encodeEnvelope(hb))).toEqual(hb);
  });

  it('refuses another schema version, a wrong shape and garbage with a clear reason', () => {
    const hb = envelope('hb', { session: null, state: 'starting', interfaces: [], busDropped: 0, busBuffered: 0, reconnects: 0, uptimeMs: 0 });
    expect(() => decodeEnvelope(codecs.msgpack.encode({ ...hb, v: 2 }))).toThrow(/unsupported schema version 2/);
    expect(() => decodeEnvelope(codecs.msgpack.encode({ ...hb, probe: 'a.b' }))).toThrow(WireError);
    expect(() => decodeEnvelope(codecs.msgpack.encode({ ...hb, body: { ...hb.body, busDropped: -1 } }))).toThrow(/busDropped/);
    expect(() => decodeEnvelope(codecs.msgpack.encode({ ...envelope('flows', { second: 1, updated: [], ended: [], omitted: 0 }), body: { second: 1, updated: [[1, 2]], ended: [], omitted: 0 } }))).toThrow(WireError);
    expect(() => decodeEnvelope(new Uint8Array([0xc1]))).toThrow(/undecodable/);
  });

  it('never throws anything but WireError on arbitrary bytes or values', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      try {
        decodeEnvelope(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(WireError);
      }
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.anything(), (value) => {
      let bytes: Uint8Array;
      try {
        bytes = encodeWire(value);
      } catch {
        return;
      }
      for (const decode of [decodeEnvelope, decodeExportRequest, decodeExportReply]) {
        try {
          decode(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(WireError);
        }
      }
    }), { numRuns: 1000 });
  });

  it('names subjects under netmon.<probe>. and reads the probe back only from a data subject', () => {
    expect(subjects.data('edge-1', 'rollup')).toBe('netmon.edge-1.rollup');
    expect(probeOfSubject('netmon.edge-1.rollup')).toBe('edge-1');
    expect(probeOfSubject('netmon.edge-1.export.cancel')).toBeNull();
    expect(probeOfSubject('other.edge-1.rollup')).toBeNull();
  });

  it('checks export requests and replies', () => {
    const request = { v: WIRE_VERSION, sessionId: 'feedbeef', flowIds: [1, 2], format: 'pcapng', exportId: 7 };
    expect(decodeExportRequest(encodeWire(request))).toEqual(request);
    expect(() => decodeExportRequest(encodeWire({ ...request, exportId: 0 }))).toThrow(WireError);
    const chunk = { kind: 'chunk', seq: 0, packetsDone: 1, packetsTotal: 2, bytesDone: 60, bytesTotal: 120, data: new Uint8Array([1, 2, 3]) };
    expect(decodeExportReply(encodeWire(chunk))).toEqual(chunk);
    expect(() => decodeExportReply(encodeWire({ ...chunk, data: 'text' }))).toThrow(WireError);
  });
});
