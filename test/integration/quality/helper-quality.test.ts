/**
 * TCP quality through the real helper process, as main receives it: a
 * generated capture with a 100 ms SYN -> SYN/ACK and one retransmission,
 * replayed by the helper; its flow rows and rollups carry the figures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMap, FlowRow, SessionStatus } from '../../../src-capture-helper/protocol/messages';
import type { HelperClient } from '../../../src-main/core/helper-client';
import { startHelperWithClient } from '../../helpers/helper-process';
import { SCENARIOS, writeTcpCapture } from './tcp-quality-captures';

let client: HelperClient;
let stopHelper: () => Promise<void>;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-helper-quality-'));

beforeAll(async () => {
  ({ client, stop: stopHelper } = await startHelperWithClient());
});
afterAll(async () => {
  await stopHelper();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('TCP quality from the helper', () => {
  it('sends each flow\'s handshake RTT and retransmissions in its rows, and the second they happened in the rollups', async () => {
    const file = path.join(dir, 'retransmission.pcap');
    writeTcpCapture(file, SCENARIOS.retransmission);
    const sessionId = 'quality-1';
    const rows: FlowRow[] = [];
    const qualities: NonNullable<EventMap['rollup']['quality']>[] = [];
    const offDeltas = client.on('flowDeltas', (d, meta) => {
      if (meta.session === sessionId) rows.push(...d.updated, ...d.ended);
    });
    const offRollup = client.on('rollup', (r, meta) => {
      if (meta.session === sessionId && r.quality !== undefined) qualities.push(r.quality);
    });
    const ended = new Promise<SessionStatus>((resolve) => {
      const off = client.on('captureState', (s) => {
        if (s.sessionId === sessionId && s.state !== 'running') {
          off();
          resolve(s);
        }
      });
    });
    await client.request('start', { sessionId, source: { kind: 'file', path: file, speed: 0 } });
    expect((await ended).state).toBe('finished');
    offDeltas();
    offRollup();

    const last = rows.filter((r) => r.proto === 'tcp').at(-1);
    expect(last?.quality).toEqual({
      rttServerMs: expect.closeTo(100, 3), rttClientMs: expect.closeTo(30, 3), rttMs: expect.closeTo(130, 3),
      retransmissions: 1, outOfOrder: 0, zeroWindows: 0,
    });
    // The whole capture lies in one second of packet time.
    expect(qualities).toHaveLength(1);
    expect(qualities[0]).toMatchObject({ retransmissions: 1, handshakes: 1, rttSumMs: expect.closeTo(130, 3) });
    expect(qualities[0].flows).toEqual([{ flowId: last?.id, retransmissions: 1, rttMs: expect.closeTo(130, 3) }]);

    const page = await client.request('flows', { sessionId, offset: 0, limit: 10 });
    expect(page.flows[0].quality?.retransmissions).toBe(1);
  });
});
