/** A paced replay hands packets out by their timestamps: one rollup per second of capture time, spaced by 1/speed s of wall time. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperClient } from '../../../src-main/core/helper-client';
import { repoRoot, startHelperWithClient } from '../../helpers/helper-process';

const DEMO = path.join(repoRoot, 'assets/demo.pcapng');

let client: HelperClient;
let stopHelper: () => Promise<void>;

beforeAll(async () => {
  ({ client, stop: stopHelper } = await startHelperWithClient());
});
afterAll(async () => {
  await stopHelper();
});

/** Replays the demo capture at `speed` for `wallMs` and returns each rollup's capture second and wall arrival time. */
async function ticks(sessionId: string, speed: number, wallMs: number): Promise<{ second: number; atMs: number }[]> {
  const seen: { second: number; atMs: number }[] = [];
  const off = client.on('rollup', (r, meta) => {
    if (meta.session === sessionId) seen.push({ second: r.second, atMs: performance.now() });
  });
  try {
    await client.request('start', { sessionId, source: { kind: 'file', path: DEMO, speed } });
    await new Promise((resolve) => setTimeout(resolve, wallMs));
    await client.request('stop', { sessionId });
  } finally {
    off();
  }
  return seen;
}

/** How far each tick arrived from where capture time puts it (relative to the first tick), in ms. */
function drifts(seen: { second: number; atMs: number }[], speed: number): number[] {
  return seen.map((t) => Math.abs(t.atMs - seen[0].atMs - ((t.second - seen[0].second) * 1000) / speed));
}

describe('paced replay of assets/demo.pcapng', () => {
  it('delivers one rollup per capture second, about 1 s apart at speed 1', async () => {
    // The stop closes the second in progress: leave out the tick it pushes.
    const seen = (await ticks('paced-1', 1, 5500)).slice(0, -1);
    expect(seen.length).toBeGreaterThanOrEqual(4);
    const gaps = seen.slice(1).map((t, i) => t.atMs - seen[i].atMs);
    for (const gap of gaps) expect(gap).toBeGreaterThan(700);
    expect(Math.max(...drifts(seen, 1))).toBeLessThan(250);
    // Consecutive seconds of capture time, each once.
    expect(seen.map((t) => t.second)).toEqual(seen.map((_, i) => seen[0].second + i));
  }, 20_000);

  it('spaces the rollups by 1/speed at a higher speed', async () => {
    const seen = (await ticks('paced-5', 5, 2500)).slice(0, -1);
    expect(seen.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...drifts(seen, 5))).toBeLessThan(120);
  }, 20_000);
});
