import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../../src-main/core/helper-client';
import { writeOnePacketPerSecond } from './generated-capture';
import type { RunningHelper } from '../../helpers/helper-process';
import { startHelper } from '../../helpers/helper-process';
import { stalledClient } from './raw-client';

const SECONDS = 3000;
let helper: RunningHelper;

beforeAll(async () => {
  // Large enough that the reading client survives a scheduling stall of a few hundred ms on a busy machine.
  helper = await startHelper(['--max-queue-kib', '1024']);
});
afterAll(async () => {
  await helper.stop();
});

describe('a slow reader of the real helper process', () => {
  it('loses counted rollups and flow deltas while a reading client receives every second', async () => {
    const file = path.join(helper.dir, 'one-per-second.pcap');
    const frame = writeOnePacketPerSecond(file, SECONDS, 1000);

    const fast = await HelperClient.connect({ socketPath: helper.socketPath, token: helper.token });
    const slow = await stalledClient(helper.socketPath, helper.token);
    const fastSeen = { rollup: 0, flowDeltas: 0, log: 0, packets: 0, dropNotices: 0 };
    fast.on('rollup', (r) => {
      fastSeen.rollup++;
      fastSeen.packets += r.packets;
    });
    fast.on('flowDeltas', () => fastSeen.flowDeltas++);
    fast.on('log', () => fastSeen.log++);
    fast.on('eventsDropped', () => fastSeen.dropNotices++);
    const finished = new Promise<void>((resolve) => fast.on('captureState', (s) => s.state === 'finished' && resolve()));

    // 3000 s of packet time in 4 s, in 16 KiB bursts: far more events than a stalled client's buffers hold.
    await fast.request('start', { sessionId: 'slow-reader', source: { kind: 'file', path: file, speed: 750 } });
    await finished;
    await new Promise((r) => setTimeout(r, 200));

    expect(fastSeen.rollup).toBe(SECONDS);
    expect(fastSeen.packets).toBe(SECONDS);
    expect(fastSeen.dropNotices).toBe(0);
    const stats = await fast.request('stats', { sessionId: 'slow-reader' });
    expect(stats.session?.bytes).toBe(SECONDS * frame);
    expect(stats.helper.eventsDroppedSlowClients).toBeGreaterThan(0);

    const got = await slow.resume();
    const count = (name: string) => got.filter((e) => e.name === name).length;
    const notices = got.filter((e) => e.name === 'eventsDropped').map((e) => e.payload as { dropped: number; total: number });
    expect(notices.length).toBeGreaterThan(0);
    const dropped = notices[notices.length - 1].total;
    expect(dropped).toBe(stats.helper.eventsDroppedSlowClients);
    // Every droppable event the reading client got either reached the slow one or was counted as dropped.
    expect(count('rollup') + count('flowDeltas') + count('log') + dropped).toBe(fastSeen.rollup + fastSeen.flowDeltas + fastSeen.log);
    // Events that are never dropped still arrive, in order.
    expect(got.filter((e) => e.name === 'captureState').map((e) => (e.payload as { state: string }).state)).toEqual(['running', 'finished']);
    fast.close();
  });
});
