import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowTable } from '../../../src-capture-helper/flows/flow-table';
import type { FinishReason, FlowSnapshot } from '../../../src-capture-helper/flows/flow-types';
import { FlowLabel } from '../../../src-capture-helper/flows/flow-types';
import type { PacketSpec } from './packets';
import { decodeFrame, frameBytes, packet } from './packets';

function feed(table: FlowTable, spec: PacketSpec): number {
  const { pkt, rec } = packet(spec);
  return table.observe(pkt, rec);
}

function recorder(): { finished: Array<{ flow: FlowSnapshot; reason: FinishReason }>; onFinish: (f: FlowSnapshot, r: FinishReason) => void } {
  const finished: Array<{ flow: FlowSnapshot; reason: FinishReason }> = [];
  return { finished, onFinish: (flow, reason) => finished.push({ flow, reason }) };
}

describe('flow key', () => {
  it('puts both directions of a TCP connection in one flow with the initiator as A', () => {
    const t = new FlowTable({ maxFlows: 100 });
    // The initiator has the higher address, so the canonical order flips it.
    const id1 = feed(t, { src: '10.0.0.9', dst: '10.0.0.1', sport: 40000, dport: 80, flags: 'S', payload: 10 });
    const id2 = feed(t, { src: '10.0.0.1', dst: '10.0.0.9', sport: 80, dport: 40000, flags: 'SA' });
    const id3 = feed(t, { src: '10.0.0.9', dst: '10.0.0.1', sport: 40000, dport: 80, flags: 'A', payload: 100 });
    expect(id2).toBe(id1);
    expect(id3).toBe(id1);
    const f = t.get(id1)!;
    expect(f).toMatchObject({ a: '10.0.0.9', portA: 40000, b: '10.0.0.1', portB: 80, proto: 'tcp', packetsAB: 2, packetsBA: 1 });
    // Bytes are whole frames: 14 Ethernet + 20 IP + 20 TCP + payload.
    expect(f.bytesAB).toBe(54 + 10 + 54 + 100);
    expect(f.bytesBA).toBe(54);
    expect(t.activeCount).toBe(1);
  });

  it('orders equal addresses by port and keeps self-traffic in one flow', () => {
    const t = new FlowTable({ maxFlows: 100 });
    const a = feed(t, { src: '127.0.0.1', dst: '127.0.0.1', proto: 'udp', sport: 5000, dport: 4000 });
    const b = feed(t, { src: '127.0.0.1', dst: '127.0.0.1', proto: 'udp', sport: 4000, dport: 5000 });
    expect(b).toBe(a);
    expect(t.get(a)).toMatchObject({ portA: 5000, portB: 4000, packetsAB: 1, packetsBA: 1 });
  });

  it('keys IPv6 by full address and keeps it apart from IPv4', () => {
    const t = new FlowTable({ maxFlows: 100 });
    const v6 = feed(t, { src: '2001:db8::2', dst: '2001:db8::1', proto: 'udp', sport: 53, dport: 53 });
    const v6back = feed(t, { src: '2001:db8::1', dst: '2001:db8::2', proto: 'udp', sport: 53, dport: 53 });
    const v6other = feed(t, { src: '2001:db8:0:1::2', dst: '2001:db8::1', proto: 'udp', sport: 53, dport: 53 });
    const v4 = feed(t, { src: '0.0.0.2', dst: '0.0.0.1', proto: 'udp', sport: 53, dport: 53 });
    expect(v6back).toBe(v6);
    expect(new Set([v6, v6other, v4]).size).toBe(3);
    expect(t.get(v6)).toMatchObject({ a: '2001:db8::2', b: '2001:db8::1', packetsAB: 1, packetsBA: 1 });
    expect(t.get(v4)?.a).toBe('0.0.0.2');
  });

  it('separates VLANs and protocols', () => {
    const t = new FlowTable({ maxFlows: 100 });
    const base = { src: '192.168.1.2', dst: '192.168.1.3', sport: 1000, dport: 2000 } as const;
    const ids = [
      feed(t, { ...base, proto: 'udp' }),
      feed(t, { ...base, proto: 'udp', vlan: 10 }),
      feed(t, { ...base, proto: 'udp', vlan: 20 }),
      feed(t, { ...base, proto: 'tcp', flags: 'S' }),
    ];
    expect(new Set(ids).size).toBe(4);
    expect(feed(t, { src: base.dst, dst: base.src, sport: 2000, dport: 1000, proto: 'udp', vlan: 10 })).toBe(ids[1]);
    expect(t.get(ids[2])?.vlan).toBe(20);
    expect(t.get(ids[0])?.vlan).toBe(-1);
  });

  it('returns -1 for frames without IP and counts them', () => {
    const t = new FlowTable({ maxFlows: 10 });
    const arp = new Uint8Array(42);
    arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06]);
    const { pkt, rec } = decodeFrame(arp);
    expect(t.observe(pkt, rec)).toBe(-1);
    expect(t.getStats()).toMatchObject({ packetsObserved: 1, nonIpPackets: 1, active: 0 });
  });

  it('keys ICMP echo by identifier and attaches ICMP errors to the quoted flow', () => {
    const t = new FlowTable({ maxFlows: 100 });
    const ping1 = feed(t, { src: '10.1.1.1', dst: '10.2.2.2', proto: 'icmp', icmpType: 8, icmpId: 7 });
    const pong1 = feed(t, { src: '10.2.2.2', dst: '10.1.1.1', proto: 'icmp', icmpType: 0, icmpId: 7 });
    const ping2 = feed(t, { src: '10.1.1.1', dst: '10.2.2.2', proto: 'icmp', icmpType: 8, icmpId: 8 });
    expect(pong1).toBe(ping1);
    expect(ping2).not.toBe(ping1);

    const udp = feed(t, { src: '10.1.1.1', dst: '10.3.3.3', proto: 'udp', sport: 33000, dport: 33434 });
    // A router answers "port unreachable" quoting the UDP packet (its IP header + 8 bytes).
    const quoted = frameBytes({ src: '10.1.1.1', dst: '10.3.3.3', proto: 'udp', sport: 33000, dport: 33434 }).subarray(14, 14 + 28);
    const err = feed(t, { src: '10.9.9.9', dst: '10.1.1.1', proto: 'icmp', icmpType: 3, icmpCode: 3, payload: quoted });
    expect(err).toBe(udp);
    expect(t.get(udp)).toMatchObject({ packetsAB: 1, packetsBA: 1 });
    expect(t.getStats().icmpErrorsAttached).toBe(1);

    // An error quoting a flow the table never saw becomes its own ICMP flow.
    const unknown = frameBytes({ src: '10.1.1.1', dst: '10.4.4.4', proto: 'udp', sport: 1, dport: 2 }).subarray(14, 14 + 28);
    const lone = feed(t, { src: '10.9.9.9', dst: '10.1.1.1', proto: 'icmp', icmpType: 3, icmpCode: 3, payload: unknown });
    expect(t.get(lone)).toMatchObject({ proto: 'icmp', a: '10.9.9.9', icmpFamily: 3 });
  });

  it('keys ICMPv6 echo by identifier', () => {
    const t = new FlowTable({ maxFlows: 100 });
    const req = feed(t, { src: 'fe80::1', dst: 'fe80::2', proto: 'icmp', icmpType: 128, icmpId: 42 });
    const rep = feed(t, { src: 'fe80::2', dst: 'fe80::1', proto: 'icmp', icmpType: 129, icmpId: 42 });
    expect(rep).toBe(req);
    expect(t.get(req)).toMatchObject({ proto: 'icmpv6', portA: 42, portB: 42, icmpFamily: 128, packetsBA: 1 });
  });
});

describe('TCP lifecycle', () => {
  const c = { src: '10.0.0.1', dst: '10.0.0.2', sport: 50000, dport: 443 } as const;
  const s = { src: '10.0.0.2', dst: '10.0.0.1', sport: 443, dport: 50000 } as const;

  it('walks SYN, SYN-ACK, established, FIN, closed', () => {
    const t = new FlowTable({ maxFlows: 10 });
    const id = feed(t, { ...c, flags: 'S', seq: 100 });
    expect(t.get(id)?.state).toBe('syn');
    feed(t, { ...s, flags: 'SA', seq: 900 });
    expect(t.get(id)?.state).toBe('synAck');
    feed(t, { ...c, flags: 'A', seq: 101 });
    expect(t.get(id)?.state).toBe('established');
    feed(t, { ...c, flags: 'FA', seq: 101 });
    expect(t.get(id)?.state).toBe('fin');
    feed(t, { ...s, flags: 'FA', seq: 901 });
    expect(t.get(id)?.state).toBe('closed');
    // The last ACK still belongs to the closed flow.
    expect(feed(t, { ...c, flags: 'A', seq: 102 })).toBe(id);
    expect(t.get(id)).toMatchObject({ tcpFlagsA: 0x13, tcpFlagsB: 0x13, packetsAB: 4, packetsBA: 2 });
  });

  it('starts a new flow when the 4-tuple is reused with a new ISN, not for a retransmitted SYN', () => {
    const { finished, onFinish } = recorder();
    const t = new FlowTable({ maxFlows: 10, onFinish });
    const first = feed(t, { ...c, flags: 'S', seq: 100, t: 1 });
    expect(feed(t, { ...c, flags: 'S', seq: 100, t: 2 })).toBe(first);
    feed(t, { ...s, flags: 'R', t: 2.1 });
    expect(t.get(first)?.state).toBe('rst');
    const second = feed(t, { ...c, flags: 'S', seq: 5000, t: 3 });
    expect(second).not.toBe(first);
    expect(t.get(first)).toBeUndefined();
    expect(t.get(second)).toMatchObject({ state: 'syn', packetsAB: 1, packetsBA: 0, firstSec: 3 });
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ reason: 'reused', flow: { id: first, packetsAB: 2, packetsBA: 1, state: 'rst' } });
    expect(t.getStats().reused).toBe(1);
  });

  it('takes a flow first seen mid-stream as established', () => {
    const t = new FlowTable({ maxFlows: 10 });
    const id = feed(t, { ...s, flags: 'PA', payload: 500 });
    expect(t.get(id)).toMatchObject({ state: 'established', a: '10.0.0.2' });
  });
});

describe('eviction', () => {
  it('expires idle flows per protocol on packet time and reports them', () => {
    const { finished, onFinish } = recorder();
    const t = new FlowTable({ maxFlows: 100, onFinish });
    const udp = feed(t, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 1, dport: 2, t: 1000 });
    const tcp = feed(t, { src: '10.0.0.1', dst: '10.0.0.2', sport: 3, dport: 4, flags: 'S', t: 1000.5 });
    const icmp = feed(t, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'icmp', icmpId: 1, t: 1001 });
    // 20 s later: only ICMP (10 s) has expired.
    feed(t, { src: '10.5.0.1', dst: '10.5.0.2', proto: 'udp', sport: 9, dport: 9, t: 1020 });
    expect(finished.map((f) => f.flow.id)).toEqual([icmp]);
    // 40 s after the first UDP packet: UDP expired too, TCP stays (120 s).
    feed(t, { src: '10.5.0.1', dst: '10.5.0.2', proto: 'udp', sport: 9, dport: 9, t: 1040 });
    expect(finished.map((f) => f.flow.id)).toEqual([icmp, udp]);
    expect(t.get(tcp)).toBeDefined();
    // At 1121 s the TCP flow (last seen 1000.5 s) and the filler UDP flow (1040 s) are both idle.
    const filler = feed(t, { src: '10.6.0.1', dst: '10.6.0.2', proto: 'udp', sport: 9, dport: 9, t: 1121 });
    expect(finished.map((f) => f.flow.id).slice(0, 3)).toEqual([icmp, udp, tcp]);
    expect(finished).toHaveLength(4);
    expect(finished.every((f) => f.reason === 'idle')).toBe(true);
    expect(t.getStats()).toMatchObject({ evictedIdle: 4, active: 1 });
    expect(t.get(filler)?.firstSec).toBe(1121);
  });

  it('keeps a flow alive while packets arrive and evicts closed TCP flows after the linger time', () => {
    const t = new FlowTable({ maxFlows: 100, timeouts: { udp: 5, tcpClosed: 2 } });
    const udp = feed(t, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 1, dport: 2, t: 0 });
    for (let s = 4; s <= 40; s += 4) feed(t, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 2, dport: 1, t: s });
    expect(t.get(udp)?.packetsBA).toBe(10);
    const tcp = feed(t, { src: '10.0.0.1', dst: '10.0.0.2', sport: 5, dport: 6, flags: 'R', t: 41 });
    feed(t, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 2, dport: 1, t: 42 });
    expect(t.get(tcp)).toBeDefined();
    feed(t, { src: '10.0.0.2', dst: '10.0.0.1', proto: 'udp', sport: 2, dport: 1, t: 43.5 });
    expect(t.get(tcp)).toBeUndefined();
  });

  it('expires on the caller clock in external mode, not on packet time', () => {
    const t = new FlowTable({ maxFlows: 100, clock: 'external' });
    const id = feed(t, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 1, dport: 2, t: 100 });
    feed(t, { src: '10.0.0.3', dst: '10.0.0.4', proto: 'udp', sport: 1, dport: 2, t: 1000 });
    expect(t.get(id)).toBeDefined();
    t.advanceTime(129);
    expect(t.get(id)).toBeDefined();
    t.advanceTime(131);
    expect(t.get(id)).toBeUndefined();
    expect(t.getStats().evictedIdle).toBe(1);
  });

  it('caps the table by evicting the least recently seen flow and counts it', () => {
    const { finished, onFinish } = recorder();
    const t = new FlowTable({ maxFlows: 3, onFinish });
    const f = (i: number, time: number) => feed(t, { src: `10.0.0.${i}`, dst: '10.9.9.9', proto: 'udp', sport: 1, dport: 2, t: time });
    const a = f(1, 1);
    const b = f(2, 2);
    const c = f(3, 3);
    f(1, 4); // a is now the most recent
    const d = f(4, 5);
    expect(finished.map((x) => [x.flow.id, x.reason])).toEqual([[b, 'capacity']]);
    const e = f(5, 6);
    expect(finished.map((x) => x.flow.id)).toEqual([b, c]);
    expect(t.activeCount).toBe(3);
    expect([a, d, e].every((id) => t.get(id) !== undefined)).toBe(true);
    expect(t.getStats().evictedCapacity).toBe(2);
  });

  it('flush reports every remaining flow once', () => {
    const { finished, onFinish } = recorder();
    const t = new FlowTable({ maxFlows: 100, onFinish });
    for (let i = 0; i < 20; i++) feed(t, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: i, dport: 53 });
    t.flush();
    expect(finished).toHaveLength(20);
    expect(new Set(finished.map((x) => x.flow.id)).size).toBe(20);
    expect(finished.every((x) => x.reason === 'flush')).toBe(true);
    expect(t.activeCount).toBe(0);
  });
});

describe('idle order', () => {
  /**
   * A reference for the eviction order: flows in a list, least recently used
   * first; once a second of packet time the head is finished while idle past
   * the timeout (stopping at the first flow that is not, as a linked list
   * walked from its head does, even when packet times go backwards); at the
   * cap the head is finished before a new flow enters.
   */
  class ReferenceTable {
    readonly order: string[] = [];
    readonly last = new Map<string, number>();
    readonly finished: string[] = [];
    private now = -Infinity;
    private nextExpiry = -Infinity;
    constructor(
      private readonly maxFlows: number,
      private readonly timeout: number,
    ) {}
    packet(key: string, sec: number, ms: number): void {
      const t = sec + (ms * 1e6) / 1e9;
      if (t > this.now) this.now = t;
      if (sec >= this.nextExpiry) {
        while (this.order.length > 0 && this.last.get(this.order[0])! < this.now - this.timeout) this.end(this.order[0]);
        this.nextExpiry = sec + 1;
      }
      if (this.last.has(key)) {
        this.order.splice(this.order.indexOf(key), 1);
        this.last.set(key, Math.max(this.last.get(key)!, t));
      } else {
        if (this.order.length >= this.maxFlows) this.end(this.order[0]);
        this.last.set(key, t);
      }
      this.order.push(key);
    }
    private end(key: string): void {
      this.order.splice(this.order.indexOf(key), 1);
      this.last.delete(key);
      this.finished.push(key);
    }
  }

  it('finishes idle and capacity-evicted flows in order of last use, also when packet times go backwards', () => {
    const pkt = fc.record({ host: fc.integer({ min: 1, max: 6 }), port: fc.integer({ min: 1, max: 4 }), sec: fc.integer({ min: 0, max: 120 }), ms: fc.integer({ min: 0, max: 999 }) });
    fc.assert(
      fc.property(fc.array(pkt, { maxLength: 400 }), fc.integer({ min: 1, max: 30 }), (pkts, maxFlows) => {
        const finished: string[] = [];
        const table = new FlowTable({ maxFlows, initialCapacity: 1, timeouts: { udp: 7 }, onFinish: (f) => finished.push(`${f.b}:${f.portA}`) });
        const ref = new ReferenceTable(maxFlows, 7);
        for (const p of pkts) {
          feed(table, { src: '10.0.0.1', dst: `10.0.1.${p.host}`, proto: 'udp', sport: p.port, dport: 53, t: p.sec + p.ms / 1000 });
          ref.packet(`10.0.1.${p.host}:${p.port}`, p.sec, p.ms);
        }
        expect(finished).toEqual(ref.finished);
        expect(table.activeCount).toBe(ref.order.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('table mechanics', () => {
  it('grows past its initial capacity and finds every flow again after deletions', () => {
    const t = new FlowTable({ maxFlows: 100_000, initialCapacity: 16, timeouts: { udp: 10 } });
    const ids = new Map<number, number>();
    for (let i = 0; i < 5000; i++) ids.set(i, feed(t, { src: `10.${i >> 8}.${i & 255}.1`, dst: '10.255.0.1', proto: 'udp', sport: i, dport: 53, t: i < 2500 ? 0 : 20 }));
    // The first half expired when time jumped to 20 s; the rest must still resolve by key.
    expect(t.activeCount).toBe(2500);
    for (let i = 2500; i < 5000; i++) {
      expect(feed(t, { src: '10.255.0.1', dst: `10.${i >> 8}.${i & 255}.1`, proto: 'udp', sport: 53, dport: i, t: 21 })).toBe(ids.get(i));
    }
    // Expired slots were reused rather than growing the arrays to 5000.
    expect(t.getStats().capacity).toBeLessThan(5000);
    expect(t.getStats().created).toBe(5000);
  });

  it('never resolves the id of a finished flow to the flow that reuses its slot', () => {
    const t = new FlowTable({ maxFlows: 1 });
    const a = feed(t, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 1, dport: 2 });
    const b = feed(t, { src: '10.0.0.3', dst: '10.0.0.4', proto: 'udp', sport: 1, dport: 2 });
    expect(b).not.toBe(a);
    expect(t.get(a)).toBeUndefined();
    expect(t.setLabel(a, FlowLabel.sni, 7)).toBe(false);
    expect(t.setLabel(b, FlowLabel.sni, 7)).toBe(true);
    expect(t.get(b)?.labels[FlowLabel.sni]).toBe(7);
    expect(t.getLabel(b, FlowLabel.httpHost)).toBe(-1);
  });

  it('reports changes and ends since a cursor', () => {
    const t = new FlowTable({ maxFlows: 100, timeouts: { udp: 5 } });
    const a = feed(t, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 1, dport: 2, t: 0 });
    const b = feed(t, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 3, dport: 4, t: 0 });
    const first = t.changesSince(0);
    expect(first.changed.sort()).toEqual([a, b].sort());
    feed(t, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 3, dport: 4, t: 4 });
    const second = t.changesSince(first.cursor);
    expect(second.changed).toEqual([b]);
    expect(second.ended).toEqual([]);
    feed(t, { src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 3, dport: 4, t: 8 });
    const third = t.changesSince(second.cursor, 0);
    expect(third).toMatchObject({ changed: [], omitted: 1, ended: [a], endedLost: 0 });
    // A consumer with an older cursor still sees everything since then.
    expect(t.changesSince(first.cursor).ended).toEqual([a]);
  });

  it('under a limit, hands out every changed flow in turn instead of the same first ones each time', () => {
    const t = new FlowTable({ maxFlows: 100 });
    const ids = Array.from({ length: 10 }, (_, i) => feed(t, { src: '10.0.0.1', dst: `10.0.2.${i + 1}`, proto: 'udp', sport: 1, dport: 2 }));
    let cursor = t.changesSince(0).cursor;
    const seen = new Set<number>();
    for (let round = 0; round < 3; round++) {
      // Every flow changes every round; 4 fit in a delta.
      for (let i = 0; i < 10; i++) feed(t, { src: '10.0.0.1', dst: `10.0.2.${i + 1}`, proto: 'udp', sport: 1, dport: 2, t: round + 1 });
      const c = t.changesSince(cursor, 4);
      expect(c.changed).toHaveLength(4);
      expect(c.omitted).toBe(6);
      for (const id of c.changed) seen.add(id);
      cursor = c.cursor;
    }
    expect([...seen].sort((x, y) => x - y)).toEqual([...ids].sort((x, y) => x - y));
  });

  it('rejects a bad configuration with a clear error', () => {
    expect(() => new FlowTable({ maxFlows: 0 })).toThrow(/maxFlows/);
    expect(() => new FlowTable({ maxFlows: 10, timeouts: { udp: -1 } })).toThrow(/timeout udp/);
  });
});
