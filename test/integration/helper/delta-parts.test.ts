/**
 * A second with more changed flows than one delta part holds reaches the client in several parts: every changed flow
 * once, none left out, each part within the bound, `more` on all but the last part of a second.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventMap } from '../../../src-capture-helper/protocol/messages';
import type { HelperClient } from '../../../src-main/core/helper-client';
import { startHelperWithClient } from '../../helpers/helper-process';
import { writeUdpFlowsAt } from './generated-capture';

const FLOWS = 7000;
const PART = 1000;
const T0 = 1_700_000_000;

let client: HelperClient;
let stopHelper: () => Promise<void>;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-delta-parts-'));
  ({ client, stop: stopHelper } = await startHelperWithClient());
});
afterAll(async () => {
  await stopHelper();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('flow deltas in parts', () => {
  it(`sends all ${FLOWS} flows changed in a second, in parts of at most ${PART}`, async () => {
    const file = path.join(dir, 'flows.pcap');
    writeUdpFlowsAt(file, FLOWS, [0, 1, 2], 20);
    const sessionId = 'delta-parts';
    const parts: EventMap['flowDeltas'][] = [];
    const offDeltas = client.on('flowDeltas', (d, meta) => {
      if (meta.session === sessionId) parts.push(d);
    });
    const finished = new Promise<void>((resolve) => {
      const off = client.on('captureState', (s) => {
        if (s.sessionId === sessionId && s.state === 'finished') {
          off();
          resolve();
        }
      });
    });
    await client.request('start', { sessionId, source: { kind: 'file', path: file, speed: 1 } });
    await finished;
    offDeltas();

    expect(parts.reduce((n, p) => n + p.omitted, 0)).toBe(0);
    for (const second of [T0, T0 + 1, T0 + 2]) {
      const ofSecond = parts.filter((p) => p.second === second);
      if (second < T0 + 2) expect(ofSecond.length).toBe(Math.ceil(FLOWS / PART));
      for (const p of ofSecond) expect(p.updated.length).toBeLessThanOrEqual(PART);
      expect(ofSecond.map((p) => p.more === true)).toEqual(ofSecond.map((_, i) => i < ofSecond.length - 1));
      const ids = ofSecond.flatMap((p) => p.updated.map((r) => r.id));
      expect(new Set(ids).size).toBe(FLOWS);
      // The capture's end closes its last second twice; the second time sends the flows of the first again, as
      // flows that went quiet.
      if (second < T0 + 2) expect(ids.length).toBe(FLOWS);
    }
    // The last row of every flow holds its final counts (the capture's end sends its last second whole).
    const last = new Map<number, number>();
    for (const p of parts) for (const r of p.updated) last.set(r.id, r.packetsAB + r.packetsBA);
    expect(last.size).toBe(FLOWS);
    expect([...last.values()].every((n) => n === 3)).toBe(true);
  }, 30_000);
});
