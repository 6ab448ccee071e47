/** Main's side of the flow deltas: a second comes in parts; the views and the alerts hear of it once it is whole. */
import { describe, expect, it } from 'vitest';
import type { EventMap, FlowRow } from '../../../src-capture-helper/protocol/messages';
import type { EventChannel, EventPayload } from '../../../src-main/api/contract';
import { FlowSync } from '../../../src-main/core/flow-sync';
import type { HelperPort } from '../../../src-main/core/helper-port';
import { createLogger } from '../../../src-main/core/log';

const T0 = 1_700_000_000;

function row(id: number, packets: number): FlowRow {
  return {
    id, iface: 'eth0', proto: 'udp', ipProto: 17, a: '10.0.0.1', portA: 1024 + id, b: '192.0.2.1', portB: 53, vlan: -1,
    packetsAB: packets, bytesAB: packets * 100, packetsBA: 0, bytesBA: 0, firstSeen: T0, lastSeen: T0 + packets, state: 'active',
    tcpFlags: 0, active: true,
  };
}

function part(second: number, ids: number[], more: boolean, extra: Partial<EventMap['flowDeltas']> = {}): EventMap['flowDeltas'] {
  return { second, updated: ids.map((id) => row(id, second - T0 + 1)), ended: [], omitted: 0, ...(more ? { more } : {}), ...extra };
}

function makeSync(helper: HelperPort | null = null): { sync: FlowSync; deltas: EventPayload<'flows.delta'>[]; flushes: () => number } {
  const deltas: EventPayload<'flows.delta'>[] = [];
  let flushes = 0;
  const sync = new FlowSync({
    maxFlows: 10_000,
    log: createLogger({ level: 'fatal' }),
    now: () => 0,
    helper: () => helper,
    currentSession: () => 's',
    running: () => true,
    emit: <E extends EventChannel>(channel: E, payload: EventPayload<E>) => {
      if (channel === 'flows.delta') deltas.push(payload as EventPayload<'flows.delta'>);
    },
    withGeo: (f) => f,
    flushAlerts: () => void flushes++,
    writeFinished: () => undefined,
    historyWriteFailed: () => undefined,
  });
  return { sync, deltas, flushes: () => flushes };
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('flow sync', () => {
  it('takes every part of a second into the book, and tells the views and the alerts once the last is in', () => {
    const { sync, deltas, flushes } = makeSync();
    sync.onFlowDeltas(part(T0, range(0, 1000), true, { ended: [{ ...row(5000, 1), active: false, state: 'closed' }] }), 's');
    sync.onFlowDeltas(part(T0, range(1000, 1000), true), 's');
    expect(deltas).toEqual([]);
    expect(flushes()).toBe(0);
    sync.onFlowDeltas(part(T0, range(2000, 500), false), 's');
    expect(deltas).toEqual([{ captureId: 's', tsMs: T0 * 1000, updated: 2500, finished: 1, omitted: 0 }]);
    expect(flushes()).toBe(1);
    expect(sync.flows.size).toBe(2500);
    expect(sync.deltaOmittedFlows).toBe(0);
  });

  it('closes a second whose last part never came when a later second begins, and when the capture ends', () => {
    const { sync, deltas, flushes } = makeSync();
    sync.onFlowDeltas(part(T0, range(0, 1000), true), 's');
    sync.onFlowDeltas(part(T0 + 1, range(0, 1000), true), 's');
    expect(deltas.map((d) => [d.tsMs, d.updated])).toEqual([[T0 * 1000, 1000]]);
    expect(flushes()).toBe(1);
    expect(sync.flows.get('s:0')?.aToB.packets).toBe(2);
    sync.stopSync();
    expect(deltas.map((d) => [d.tsMs, d.updated])).toEqual([[T0 * 1000, 1000], [(T0 + 1) * 1000, 1000]]);
    expect(flushes()).toBe(2);
  });

  it('applies nothing of a catch-up still in flight when the capture ends: its flows went to the log once', async () => {
    let answer: (page: unknown) => void = () => undefined;
    const helper = { request: async () => new Promise((resolve) => (answer = resolve)) } as unknown as HelperPort;
    const { sync } = makeSync(helper);
    // The helper left 500 flows out of this second: main catches up from its table.
    sync.onFlowDeltas(part(T0, range(0, 1000), false, { omitted: 500 }), 's');
    const catchUp = sync.catchUpFlows('s');
    // The capture ends while the helper's page is on its way.
    sync.stopSync();
    sync.endAll();
    expect(sync.flows.size).toBe(0);
    answer({ total: 1500, offset: 0, flows: range(0, 1500).map((id) => row(id, 1)) });
    await catchUp;
    expect(sync.flows.size).toBe(0);
  });
});
