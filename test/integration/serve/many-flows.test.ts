/** A replay with far more flows than the helper's 1 s flow deltas carry: main catches up from the helper's flow table. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureStatus } from '../../../src-main/api/types/capture';
import type { FlowPage } from '../../../src-main/api/types/flows';
import type { Stats } from '../../../src-main/api/types/stats';
import { getJson, REPO, startServe, waitFor } from '../../helpers/serve-process';

/** Flows in the generated capture: several times the 2,000 changed flows a delta holds, all within one second. */
const FLOWS = 12_000;
/** Packets of each flow the generator writes (gen-bench-capture --concurrent-flows). */
const PACKETS_PER_FLOW = 3;

let dir: string;
let capture: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-many-flows-'));
  capture = path.join(dir, 'flows.pcap');
  execFileSync(process.execPath, [path.join(REPO, 'dist/scripts/gen-bench-capture.js'), '--concurrent-flows', String(FLOWS), '--out', capture]);
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function replay(env: Record<string, string>, db: string): Promise<{ stats: Stats; page: FlowPage; ids: Set<string>; packets: Map<number, number> }> {
  const serve = await startServe(['--bind', '127.0.0.1:0', '--replay', capture, '--speed', '0', '--db', path.join(dir, db)], env);
  try {
    await waitFor('the replay to finish', async () => {
      const { body } = await getJson<CaptureStatus>(`${serve.url}/api/capture/status`);
      return body.state === 'finished' ? body : undefined;
    }, 60_000);
    const { body: stats } = await getJson<Stats>(`${serve.url}/api/stats`);
    const ids = new Set<string>();
    // How many logged flows have each packet count.
    const packets = new Map<number, number>();
    let page: FlowPage | null = null;
    for (let offset = 0; page === null || offset < page.total; offset += 1000) {
      page = (await getJson<FlowPage>(`${serve.url}/api/flows?scope=all&sort=firstSeen&dir=asc&limit=1000&offset=${offset}`)).body;
      for (const f of page.flows) {
        ids.add(`${f.a}:${f.aPort}>${f.b}:${f.bPort}`);
        const n = f.aToB.packets + f.bToA.packets;
        packets.set(n, (packets.get(n) ?? 0) + 1);
      }
      if (page.flows.length === 0) break;
    }
    return { stats, page: page ?? { total: 0, offset: 0, flows: [] }, ids, packets };
  } finally {
    await serve.stop();
  }
}

describe('netmon serve --replay of a capture with many flows', () => {
  it('serves every flow of the capture, not only those that fit in the deltas', async () => {
    const { stats, page, ids, packets } = await replay({}, 'all.sqlite');
    expect(stats.finishedFlows).toBe(FLOWS);
    expect(page.total).toBe(FLOWS);
    // Distinct conversations, each once: the catch-up did not duplicate flows the deltas had already brought.
    expect(ids.size).toBe(FLOWS);
    expect(stats.mainDrops.flowBook).toBe(0);
    // Each with every packet the generator gave it, whatever second's delta left it out.
    expect(Object.fromEntries(packets)).toEqual({ [PACKETS_PER_FLOW]: FLOWS });
  }, 120_000);

  it('keeps to the flow bound of the settings and counts the flows beyond it', async () => {
    const { stats, page, packets } = await replay({ NETMON_FLOWS_MAX_FLOWS: '5000' }, 'bounded.sqlite');
    expect(page.total).toBe(5000);
    // A full book asks for its flows by id at the end: each is logged with its final counts.
    expect(Object.fromEntries(packets)).toEqual({ [PACKETS_PER_FLOW]: 5000 });
    expect(stats.finishedFlows).toBe(5000);
    expect(stats.mainDrops.flowBook).toBe(FLOWS - 5000);
  }, 120_000);
});
