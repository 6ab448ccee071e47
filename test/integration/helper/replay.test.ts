import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionStatus } from '../../../src-capture-helper/protocol/messages';
import type { HelperClient } from '../../../src-main/core/helper-client';
import type { RunningHelper } from '../../helpers/helper-process';
import { fixturesDir, startHelperWithClient } from '../../helpers/helper-process';

interface Truth {
  packets: number;
  bytes: number;
  protocols: Record<string, { packets: number; bytes: number }>;
  tls_sni_values: string[];
  http_host_values: string[];
}

const fixtures = fs.readdirSync(fixturesDir).filter((f) => f.endsWith('.truth.json')).map((f) => f.slice(0, -'.truth.json'.length)).sort();

let helper: RunningHelper;
let client: HelperClient;
let stopHelper: () => Promise<void>;

beforeAll(async () => {
  ({ helper, client, stop: stopHelper } = await startHelperWithClient());
});
afterAll(async () => {
  await stopHelper();
});

/** Replays a file through the helper process and gathers what a client sees. */
async function replay(file: string) {
  const rollups = { count: 0, packets: 0, bytes: 0, protocols: new Map<string, { packets: number; bytes: number }>() };
  let sessionId = '';
  const offRollup = client.on('rollup', (r, meta) => {
    if (meta.session !== sessionId) return;
    rollups.count++;
    rollups.packets += r.packets;
    rollups.bytes += r.bytes;
    for (const [p, c] of Object.entries(r.byProtocol)) {
      const acc = rollups.protocols.get(p) ?? { packets: 0, bytes: 0 };
      acc.packets += c.packets;
      acc.bytes += c.bytes;
      rollups.protocols.set(p, acc);
    }
  });
  const ended = new Promise<SessionStatus>((resolve) => {
    const off = client.on('captureState', (s) => {
      if (s.sessionId === sessionId && s.state !== 'running') {
        off();
        resolve(s);
      }
    });
  });
  sessionId = `replay-${fixtures.indexOf(file)}`;
  const started = await client.request('start', { sessionId, source: { kind: 'file', path: path.join(fixturesDir, file), speed: 0 } });
  expect(started).toMatchObject({ sessionId, state: 'running', capturePath: 'file' });
  const final = await ended;
  offRollup();
  return { final, rollups, names: await client.request('names', { sessionId }), stats: await client.request('stats', { sessionId }) };
}

describe('replaying the shared fixtures through the real helper process', () => {
  it.each(fixtures)('%s: session totals, 1 s rollups and names match the tshark truth', async (file) => {
    const truth = JSON.parse(fs.readFileSync(path.join(fixturesDir, `${file}.truth.json`), 'utf8')) as Truth;
    const { final, rollups, names, stats } = await replay(file);
    expect(final.state).toBe('finished');
    expect(final.packets).toBe(truth.packets);
    expect(final.bytes).toBe(truth.bytes);
    expect(rollups.packets).toBe(truth.packets);
    expect(rollups.bytes).toBe(truth.bytes);
    for (const [proto, counts] of Object.entries(truth.protocols)) {
      expect(rollups.protocols.get(proto) ?? { packets: 0, bytes: 0 }, proto).toEqual(counts);
    }
    expect(stats.session).toMatchObject({ packets: truth.packets, bytes: truth.bytes, protocols: truth.protocols });
    expect([...names.sni].sort()).toEqual([...truth.tls_sni_values].sort());
    expect([...names.httpHosts].sort()).toEqual([...truth.http_host_values].sort());
  });

  it('answers a replay of a missing file with a clear error and keeps serving', async () => {
    await expect(client.request('start', { source: { kind: 'file', path: '/nonexistent/capture.pcap', speed: 0 } }))
      .rejects.toMatchObject({ name: 'CaptureFileError', message: expect.stringContaining('/nonexistent/capture.pcap') });
    expect((await client.request('status', {})).pid).toBe(helper.child.pid);
  });
});
