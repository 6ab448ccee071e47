import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRow } from '../../../src-capture-helper/protocol/messages';
import type { HelperClient } from '../../../src-main/core/helper-client';
import { writeOnePacketPerSecond } from './generated-capture';
import type { RunningHelper } from '../../helpers/helper-process';
import { fixturesDir, startHelperWithClient } from '../../helpers/helper-process';
import { tsharkConversations } from '../../helpers/tshark-conversations';

let helper: RunningHelper;
let client: HelperClient;
let stopHelper: () => Promise<void>;
let nextExportId = 1;

beforeAll(async () => {
  ({ helper, client, stop: stopHelper } = await startHelperWithClient());
});
afterAll(async () => {
  await stopHelper();
});

/** Replays a file to its end; returns every flow as the flow deltas last described it (as main keeps them). */
async function replayToEnd(sessionId: string, file: string): Promise<Map<number, FlowRow>> {
  const rows = new Map<number, FlowRow>();
  const offDeltas = client.on('flowDeltas', (d, meta) => {
    if (meta.session !== sessionId) return;
    for (const row of [...d.updated, ...d.ended]) rows.set(row.id, row);
  });
  const finished = new Promise<void>((resolve) => {
    const off = client.on('captureState', (s) => {
      if (s.sessionId === sessionId && s.state !== 'running') {
        off();
        resolve();
      }
    });
  });
  await client.request('start', { sessionId, source: { kind: 'file', path: file, speed: 0 } });
  await finished;
  offDeltas();
  return rows;
}

/** Runs an export and writes the streamed chunks to a file, as main does. */
async function exportTo(out: string, params: { sessionId: string; flowIds: number[]; format: 'pcap' | 'pcapng' }, onChunk?: (exportId: number, seq: number) => void) {
  const exportId = nextExportId++;
  const chunks: Buffer[] = [];
  const progress: number[] = [];
  const off = client.on('exportChunk', (c, meta) => {
    if (c.exportId !== exportId) return;
    expect(c.seq).toBe(chunks.length);
    chunks.push(Buffer.from(meta.attachment));
    progress.push(c.packetsDone);
    onChunk?.(exportId, c.seq);
  });
  const summary = await client.request('export', { ...params, exportId }, { timeoutMs: 60_000 });
  off();
  fs.writeFileSync(out, Buffer.concat(chunks));
  return { summary, chunks: chunks.length, progress };
}

describe('export through the real helper process', () => {
  it('exports exactly the selected flows, as pcapng and as pcap, readable by tshark', async () => {
    const rows = await replayToEnd('export-tls', path.join(fixturesDir, 'tls.pcap'));
    const tcp = [...rows.values()].filter((f) => f.proto === 'tcp').sort((x, y) => y.bytesAB + y.bytesBA - (x.bytesAB + x.bytesBA));
    expect(tcp.length).toBeGreaterThanOrEqual(3);
    const chosen = tcp.slice(0, 2);
    const wantPackets = chosen.reduce((n, f) => n + f.packetsAB + f.packetsBA, 0);
    const wantBytes = chosen.reduce((n, f) => n + f.bytesAB + f.bytesBA, 0);
    for (const format of ['pcapng', 'pcap'] as const) {
      const out = path.join(helper.dir, `two-flows.${format}`);
      const { summary, progress } = await exportTo(out, { sessionId: 'export-tls', flowIds: chosen.map((f) => f.id), format });
      expect(summary).toMatchObject({ packets: wantPackets, bytes: wantBytes, missingPackets: 0, cancelled: false, fileBytes: fs.statSync(out).size });
      expect(progress[progress.length - 1]).toBe(wantPackets);
      expect(tsharkConversations(out, 'tcp').map((c) => c.frames).sort()).toEqual(chosen.map((f) => f.packetsAB + f.packetsBA).sort());
      expect(tsharkConversations(out, 'udp')).toEqual([]);
      expect(execFileSync('capinfos', ['-c', '-M', out], { encoding: 'utf8' })).toMatch(new RegExp(`Number of packets:\\s+${wantPackets}\\b`));
    }
  });

  it('exports a whole replayed capture packet for packet as tcpdump reads the original', async () => {
    const original = path.join(fixturesDir, 'dns_tcp.pcap');
    await replayToEnd('export-all', original);
    const out = path.join(helper.dir, 'all.pcap');
    const { summary } = await exportTo(out, { sessionId: 'export-all', flowIds: [], format: 'pcap' });
    expect(summary.packets).toBe(11);
    const dump = (f: string) => execFileSync('tcpdump', ['-r', f, '-n', '-tt', '-xx'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(dump(out)).toBe(dump(original));
  });

  it('stops an export on exportCancel and reports it cancelled', async () => {
    const file = path.join(helper.dir, 'big.pcap');
    writeOnePacketPerSecond(file, 3000, 1400);
    await replayToEnd('export-cancel', file);
    let cancelled = false;
    const out = path.join(helper.dir, 'cancelled.pcapng');
    const { summary, chunks } = await exportTo(out, { sessionId: 'export-cancel', flowIds: [], format: 'pcapng' }, (exportId, seq) => {
      if (seq === 0 && !cancelled) {
        cancelled = true;
        void client.request('exportCancel', { exportId }).then((r) => expect(r.cancelled).toBe(true));
      }
    });
    // How many chunks go out before the cancel lands depends on the machine's load; that it lands before the end does not.
    expect(summary.cancelled).toBe(true);
    expect(summary.packets).toBeLessThan(3000);
    expect(chunks).toBeGreaterThan(0);
  });

  it('refuses an export of an unknown session with a clear error', async () => {
    await expect(client.request('export', { sessionId: 'nope', exportId: 999, flowIds: [], format: 'pcap' }))
      .rejects.toMatchObject({ name: 'NoSuchSession' });
  });
});
