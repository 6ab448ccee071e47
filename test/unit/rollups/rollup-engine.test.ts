import { describe, expect, it } from 'vitest';
import { FlowTable } from '../../../src-capture-helper/flows/flow-table';
import { RollupEngine } from '../../../src-capture-helper/rollups/rollup-engine';
import type { RollupSnapshot } from '../../../src-capture-helper/rollups/rollup-types';
import type { PacketSpec } from '../flows/packets';
import { decodeFrame, packet } from '../flows/packets';

interface Sent {
  spec: PacketSpec;
  id: number;
  size: number;
  second: number;
}

/** Random traffic between a few hosts over `seconds` seconds on two interfaces. */
function traffic(seed: number, seconds: number, perSecond: number, hosts: number): PacketSpec[] {
  let s = seed;
  const rnd = (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 8) % n;
  };
  const out: PacketSpec[] = [];
  for (let sec = 0; sec < seconds; sec++) {
    for (let i = 0; i < perSecond; i++) {
      const a = rnd(hosts);
      let b = rnd(hosts);
      if (b === a) b = (a + 1) % hosts;
      const kind = rnd(4);
      out.push({
        src: kind === 3 ? `2001:db8::${a + 1}` : `10.0.0.${a + 1}`,
        dst: kind === 3 ? `2001:db8::${b + 1}` : `10.0.0.${b + 1}`,
        proto: kind === 0 ? 'tcp' : kind === 2 ? 'icmp' : 'udp',
        sport: 1000 + rnd(3),
        dport: 1000 + rnd(3),
        icmpId: rnd(3),
        flags: 'A',
        payload: rnd(1200),
        t: 5000 + sec + i / perSecond,
        ifIndex: rnd(2),
      });
    }
  }
  return out;
}

function run(specs: PacketSpec[], keepPerSecond = 100, topK = 10): { snaps: RollupSnapshot[]; sent: Sent[]; engine: RollupEngine; table: FlowTable } {
  const table = new FlowTable({ maxFlows: 10_000, timeouts: { tcp: 1e6, udp: 1e6, icmp: 1e6 } });
  const snaps: RollupSnapshot[] = [];
  const engine = new RollupEngine(table, { keepPerSecond, topK, onSnapshot: (x) => snaps.push(x) });
  const sent: Sent[] = [];
  for (const spec of specs) {
    const { pkt, rec } = packet(spec);
    const id = engine.observe(pkt, rec);
    sent.push({ spec, id, size: rec.wireLength, second: rec.tsSec });
  }
  engine.finish();
  return { snaps, sent, engine, table };
}

/** The brute force: every figure recomputed from the packet list alone. */
function expectedSecond(sent: Sent[], second: number) {
  const pk = sent.filter((p) => p.second === second);
  const initiator = new Map<number, string>();
  for (const p of sent) if (!initiator.has(p.id)) initiator.set(p.id, p.spec.src);
  const iface = new Map<number, { packetsIn: number; bytesIn: number; packetsOut: number; bytesOut: number }>();
  const flows = new Map<number, { packets: number; bytes: number }>();
  const hosts = new Map<string, { packets: number; bytes: number }>();
  for (const p of pk) {
    const i = iface.get(p.spec.ifIndex ?? 0) ?? { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 };
    if (initiator.get(p.id) === p.spec.src) {
      i.packetsOut++;
      i.bytesOut += p.size;
    } else {
      i.packetsIn++;
      i.bytesIn += p.size;
    }
    iface.set(p.spec.ifIndex ?? 0, i);
    const f = flows.get(p.id) ?? { packets: 0, bytes: 0 };
    f.packets++;
    f.bytes += p.size;
    flows.set(p.id, f);
    for (const h of new Set([p.spec.src, p.spec.dst])) {
      const x = hosts.get(h) ?? { packets: 0, bytes: 0 };
      x.packets++;
      x.bytes += p.size;
      hosts.set(h, x);
    }
  }
  return { packets: pk.length, bytes: pk.reduce((n, p) => n + p.size, 0), iface, flows, hosts };
}

function sortedTop<K>(m: Map<K, { packets: number; bytes: number }>, k: number): Array<[K, number, number]> {
  return [...m.entries()]
    .map(([key, v]) => [key, v.packets, v.bytes] as [K, number, number])
    .sort((x, y) => y[2] - x[2] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .slice(0, k);
}

describe('RollupEngine', () => {
  const specs = traffic(11, 12, 60, 8);
  const { snaps, sent, engine } = run(specs);

  it('emits one snapshot per second with totals, interfaces, protocols and exact top lists', () => {
    expect(snaps.map((s) => s.second)).toEqual(Array.from({ length: 12 }, (_, i) => 5000 + i));
    for (const snap of snaps) {
      const e = expectedSecond(sent, snap.second);
      expect(snap.packets).toBe(e.packets);
      expect(snap.bytes).toBe(e.bytes);
      for (const row of snap.interfaces) {
        const want = e.iface.get(Number(row.iface.slice(2))) ?? { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 };
        expect(row).toMatchObject(want);
      }
      const protoSum = ['tcp', 'udp', 'icmp', 'icmpv6', 'other'].reduce((n, k) => n + snap.byProtocol[k as 'tcp'].packets, 0);
      expect(protoSum).toBe(e.packets);
      expect(snap.byProtocol.ipv4.packets + snap.byProtocol.ipv6.packets).toBe(e.packets);
      expect(snap.byProtocol.icmpv6.packets).toBe(sent.filter((p) => p.second === snap.second && p.spec.proto === 'icmp' && p.spec.src.includes(':')).length);
      expect(snap.topFlows.map((f) => [f.flowId, f.packets, f.bytes])).toEqual(sortedTop(e.flows, 10));
      expect(snap.topHosts.map((h) => [h.addr, h.packets, h.bytes])).toEqual(sortedTop(e.hosts, 10));
    }
  });

  it('sums 10 s and 60 s windows exactly when every talker fits in the kept lists', () => {
    for (const seconds of [1, 10, 60]) {
      const w = engine.window(seconds)!;
      const n = Math.min(seconds, 12);
      const inWindow = sent.filter((p) => p.second >= 5012 - n);
      expect(w).toMatchObject({ seconds: n, fromSecond: 5012 - n, second: 5011, packets: inWindow.length, topHostsMaxErrorBytes: 0, topFlowsMaxErrorBytes: 0 });
      expect(w.bytes).toBe(inWindow.reduce((a, p) => a + p.size, 0));
      const flows = new Map<number, { packets: number; bytes: number }>();
      for (const p of inWindow) {
        const f = flows.get(p.id) ?? { packets: 0, bytes: 0 };
        f.packets++;
        f.bytes += p.size;
        flows.set(p.id, f);
      }
      expect(w.topFlows.map((f) => [f.flowId, f.packets, f.bytes])).toEqual(sortedTop(flows, 10));
    }
  });

  it('bounds the error of window top lists when seconds have more talkers than it keeps', () => {
    const many = traffic(5, 10, 200, 40);
    const r = run(many, 5, 5);
    const w = r.engine.window(10)!;
    expect(w.topFlowsMaxErrorBytes).toBeGreaterThan(0);
    const truth = new Map<number, number>();
    for (const p of r.sent) truth.set(p.id, (truth.get(p.id) ?? 0) + p.size);
    for (const f of w.topFlows) {
      const real = truth.get(f.flowId)!;
      expect(f.bytes).toBeLessThanOrEqual(real);
      expect(real - f.bytes).toBeLessThanOrEqual(w.topFlowsMaxErrorBytes);
    }
    // The true biggest flow cannot be missing: anything left out is below the window's kept values plus the error.
    const best = [...truth.entries()].sort((x, y) => y[1] - x[1])[0];
    const smallestListed = Math.min(...w.topFlows.map((f) => f.bytes));
    expect(w.topFlows.some((f) => f.flowId === best[0]) || best[1] <= smallestListed + w.topFlowsMaxErrorBytes).toBe(true);
  });

  it('emits empty seconds across a gap so windows decay, and counts a flow that ends mid-second', () => {
    const table = new FlowTable({ maxFlows: 1 });
    const snaps: RollupSnapshot[] = [];
    const engine = new RollupEngine(table, { onSnapshot: (s) => snaps.push(s), maxGapSeconds: 3 });
    const feed = (spec: PacketSpec) => {
      const { pkt, rec } = packet(spec);
      return engine.observe(pkt, rec);
    };
    const a = feed({ src: '10.0.0.1', dst: '10.0.0.2', proto: 'udp', sport: 1, dport: 2, payload: 100, t: 100 });
    // The table holds one flow: this evicts `a` within the same second; its traffic must still count.
    feed({ src: '10.0.0.3', dst: '10.0.0.4', proto: 'udp', sport: 1, dport: 2, payload: 10, t: 100.5 });
    feed({ src: '10.0.0.3', dst: '10.0.0.4', proto: 'udp', sport: 1, dport: 2, t: 110 });
    engine.finish();
    expect(snaps.map((s) => s.second)).toEqual([100, 107, 108, 109, 110]);
    expect(snaps[0].topFlows[0]).toMatchObject({ flowId: a, packets: 1, bytes: 142 });
    expect(snaps[0].topHosts.map((h) => h.addr).sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
    expect(snaps[1].packets).toBe(0);
    expect(engine.window(3)?.packets).toBe(1);
  });

  it('uses local addresses for in/out, reports drops per second, and counts non-IP frames', () => {
    const table = new FlowTable({ maxFlows: 100 });
    const snaps: RollupSnapshot[] = [];
    const engine = new RollupEngine(table, { clock: 'external', localAddresses: ['10.0.0.2'], interfaceName: () => 'eth0', onSnapshot: (s) => snaps.push(s) });
    engine.tick(10);
    const feed = (spec: PacketSpec) => {
      const { pkt, rec } = packet(spec);
      return engine.observe(pkt, rec);
    };
    // The remote host opens the connection: by address it is still "in" to the local host.
    feed({ src: '10.0.0.9', dst: '10.0.0.2', sport: 5, dport: 22, flags: 'S' });
    feed({ src: '10.0.0.2', dst: '10.0.0.9', sport: 22, dport: 5, flags: 'SA' });
    const arp = new Uint8Array(60);
    arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06]);
    const { pkt, rec } = decodeFrame(arp);
    expect(engine.observe(pkt, rec)).toBe(-1);
    engine.setDrops(0, 7, 1);
    engine.tick(11);
    engine.setDrops(0, 10, 1);
    engine.tick(12);
    expect(snaps[0]).toMatchObject({ second: 10, packets: 3, interfaces: [{ iface: 'eth0', packetsIn: 2, packetsOut: 1, kernelDrops: 7, helperDrops: 1 }] });
    expect(snaps[0].byProtocol.other.packets).toBe(1);
    expect(snaps[1]).toMatchObject({ second: 11, packets: 0, interfaces: [{ kernelDrops: 3, helperDrops: 0 }] });
  });
});
