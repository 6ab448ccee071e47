import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { queryFlows } from '../../src-capture-helper/flows/flow-query';
import { FlowTable } from '../../src-capture-helper/flows/flow-table';
import { parseClientMessage, ProtocolError } from '../../src-capture-helper/protocol/envelope';
import { FlowFilterError } from '../../src-shared/flow-query';
import { RollupEngine } from '../../src-capture-helper/rollups/rollup-engine';
import type { PacketSpec } from '../unit/flows/packets';
import { decodeFrame, frameBytes } from '../unit/flows/packets';

const addr = fc.oneof(
  fc.constantFrom('10.0.0.1', '10.0.0.2', '192.168.5.5', '0.0.0.0', '255.255.255.255'),
  fc.constantFrom('2001:db8::1', '2001:db8::2', '::1', 'fe80::1'),
);

const spec: fc.Arbitrary<PacketSpec> = fc.record({
  src: addr,
  dst: addr,
  proto: fc.constantFrom('tcp', 'udp', 'icmp'),
  sport: fc.integer({ min: 0, max: 3 }),
  dport: fc.integer({ min: 0, max: 3 }),
  flags: fc.constantFrom('S', 'SA', 'A', 'FA', 'R', 'PA', ''),
  seq: fc.integer({ min: 0, max: 3 }),
  vlan: fc.constantFrom(-1, 1, 4095),
  t: fc.double({ min: 0, max: 400, noNaN: true }),
  icmpType: fc.constantFrom(0, 3, 8, 11, 128, 129, 1, 135, 250),
  icmpId: fc.integer({ min: 0, max: 2 }),
  payload: fc.integer({ min: 0, max: 60 }),
  ifIndex: fc.integer({ min: 0, max: 2 }),
});

/** A well-formed frame, one with random bytes flipped, or random bytes. */
const frame = fc.oneof(
  spec.map((s) => ({ bytes: frameBytes({ ...s, src: s.src.includes(':') === s.dst.includes(':') ? s.src : s.dst }), t: s.t ?? 0, ifIndex: s.ifIndex ?? 0 })),
  fc.tuple(spec, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 })).map(([s, flips]) => {
    const bytes = frameBytes({ ...s, src: s.src.includes(':') === s.dst.includes(':') ? s.src : s.dst });
    for (const [at, v] of flips) bytes[at % bytes.length] = v;
    return { bytes, t: s.t ?? 0, ifIndex: s.ifIndex ?? 0 };
  }),
  fc.record({ bytes: fc.uint8Array({ maxLength: 120 }), t: fc.double({ min: 0, max: 400, noNaN: true }), ifIndex: fc.constant(0) }),
);

describe('flow table under random traffic', () => {
  it('never throws, stays under its cap, and accounts for every packet exactly once', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 150 }), fc.integer({ min: 1, max: 20 }), fc.boolean(), (frames, maxFlows, sortTime) => {
        let finishedPackets = 0;
        let finishedFlows = 0;
        const table = new FlowTable({
          maxFlows,
          initialCapacity: 1,
          timeouts: { udp: 20, icmp: 5, tcpClosed: 1 },
          onFinish: (f) => {
            finishedPackets += f.packetsAB + f.packetsBA;
            finishedFlows++;
          },
        });
        const engine = new RollupEngine(table);
        if (sortTime) frames.sort((x, y) => x.t - y.t);
        for (const f of frames) {
          const { pkt, rec } = decodeFrame(f.bytes, f.t, f.ifIndex);
          engine.observe(pkt, rec);
          expect(table.activeCount).toBeLessThanOrEqual(maxFlows);
        }
        engine.finish();
        const rollupPackets = engine.window(60)?.packets ?? 0;
        let activePackets = 0;
        for (let s = 0; s < table.slotLimit; s++) {
          if (!table.isActive(s)) continue;
          const f = table.snapshot(s);
          activePackets += f.packetsAB + f.packetsBA;
        }
        const stats = table.getStats();
        expect(stats.packetsObserved).toBe(frames.length);
        expect(activePackets + finishedPackets + stats.nonIpPackets).toBe(frames.length);
        expect(stats.created).toBe(stats.active + finishedFlows);
        // Within one 60 s window of packet time every packet is in the rollups too.
        const span = frames.length ? Math.max(...frames.map((f) => Math.floor(f.t))) - Math.min(...frames.map((f) => Math.floor(f.t))) : 0;
        if (span < 60) expect(rollupPackets).toBe(frames.length);
        table.flush();
        expect(finishedPackets + stats.nonIpPackets).toBe(frames.length);
      }),
      { numRuns: 300 },
    );
  });
});

/** A value for a field: what the field takes, near misses and garbage of every JSON type. */
const fieldValue = fc.oneof(
  fc.constantFrom('tcp', 'udp', 'icmp', 'established', 'ended', '10.0.0.0/8', '2001:db8::/33', '10.0.0.1/99', '::', '', 'zz', 'a'.repeat(300)),
  fc.array(fc.constantFrom('tcp', 'udp', 'syn', 'rst', 'active', 'closed', 'bogus'), { maxLength: 4 }),
  fc.array(fc.tuple(fc.integer({ min: -5, max: 70_000 }), fc.integer({ min: -5, max: 70_000 })), { maxLength: 3 }),
  fc.integer({ min: -1, max: 70_000 }),
  fc.double(),
  fc.constantFrom(null, true, {}, [], { nested: 1 }),
);
const filterArb = fc.dictionary(
  fc.constantFrom('proto', 'ip', 'port', 'ports', 'state', 'shown', 'fromMs', 'toMs', 'text', 'name', 'country', 'ids', 'session', '__proto__', 'cidr'),
  fieldValue,
  { maxKeys: 4 },
);

describe('the helper\'s flows request under garbage', () => {
  it('refuses what it cannot answer with a clear error, and answers the rest within its page', () => {
    const table = new FlowTable({ maxFlows: 64, initialCapacity: 1, timeouts: { udp: 20, icmp: 5, tcpClosed: 1 } });
    const engine = new RollupEngine(table);
    for (const f of fc.sample(frame, { numRuns: 200, seed: 3 })) {
      const { pkt, rec } = decodeFrame(f.bytes, f.t, f.ifIndex);
      engine.observe(pkt, rec);
    }
    // Requests of the right shape (values still hostile: bad blocks, backward ranges, fields the table lacks) ...
    const shaped = fc.record({
      filter: fc.record(
        {
          proto: fc.subarray(['tcp', 'udp', 'icmp', 'icmpv6', 'other']),
          ip: fc.constantFrom('10.0.0.0/8', '10.0.0.1', '2001:db8::/32', '::/0', '10.0.0.1/99', 'fe80::1%eth0', 'x'),
          port: fc.integer({ min: 0, max: 3 }),
          ports: fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 2 }),
          state: fc.subarray(['syn', 'established', 'fin', 'rst', 'closed', 'active']),
          text: fc.constantFrom('10.0', 'udp'),
        },
        { requiredKeys: [] },
      ),
      sort: fc.constantFrom('id', 'table', 'bytes', 'packets', 'a', 'b', 'aPort', 'bPort', 'proto', 'state', 'firstSeen', 'lastSeen', 'rate'),
      dir: fc.constantFrom('asc', 'desc'),
      offset: fc.integer({ min: 0, max: 70 }),
      limit: fc.integer({ min: 1, max: 50 }),
    });
    // ... and anything at all in the fields a request has.
    const garbage = fc.record(
      {
        filter: filterArb,
        sort: fc.constantFrom('id', 'table', 'bytes', 'a', 'b', 'bPort', 'state', 'lastSeen', 'rate', 'name', 'nope'),
        dir: fc.constantFrom('asc', 'desc', 'up'),
        offset: fc.integer({ min: -1, max: 100 }),
        limit: fc.integer({ min: 0, max: 50 }),
        afterId: fc.integer({ min: -1, max: 100 }),
        ids: fc.oneof(
          fc.array(fc.integer({ min: -5, max: 2 ** 40 }), { maxLength: 60 }),
          fc.array(fc.jsonValue(), { maxLength: 4 }),
          fc.constant(Array.from({ length: 1001 }, (_, i) => i)),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(shaped, garbage), (p) => {
        let request;
        try {
          request = parseClientMessage({ json: Buffer.from(JSON.stringify({ t: 'req', id: 1, method: 'flows', params: { sessionId: 's', ...p } })), attachment: Buffer.alloc(0) });
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
          return;
        }
        if (request.t !== 'req' || request.method !== 'flows') throw new Error('not a flows request');
        const q = request.params;
        try {
          const page = queryFlows(table, { filter: q.filter, sort: q.sort, dir: q.dir, offset: q.offset, limit: q.limit, afterId: q.afterId, ids: q.ids });
          expect(page.flows.length).toBeLessThanOrEqual(q.limit);
          expect(page.total).toBeLessThanOrEqual(table.activeCount);
        } catch (err) {
          // What the helper's service turns into an `invalid` answer naming the field.
          if (!(err instanceof FlowFilterError || err instanceof RangeError || err instanceof TypeError)) throw err;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
