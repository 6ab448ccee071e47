/** stats.get after a new capture: the totals are those of the capture running now, not of the one before. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureStatus } from '../../../src-main/api/types/capture';
import type { Stats } from '../../../src-main/api/types/stats';
import type { ServeProcess } from '../../helpers/serve-process';
import { FIXTURES, getJson, startServe, waitFor } from '../../helpers/serve-process';

const FIRST = 'Dns.pcap';
const SECOND = 'TwoHttpRequests.pcap';

function truthOf(name: string): { packets: number; bytes: number } {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.truth.json`), 'utf8')) as { packets: number; bytes: number };
}

let dir: string;
let serve: ServeProcess;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-capture-change-'));
  // The API may name replay files inside the replay directory only: the fixtures are it here.
  serve = await startServe(['--bind', '127.0.0.1:0', '--replay', path.join(FIXTURES, FIRST), '--speed', '0', '--replay-dir', FIXTURES, '--db', path.join(dir, 'h.sqlite')]);
});
afterAll(async () => {
  await serve?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function finishedCapture(file: string): Promise<void> {
  await waitFor(`the replay of ${file} to finish`, async () => {
    const { body } = await getJson<CaptureStatus>(`${serve.url}/api/capture/status`);
    return body.state === 'finished' && body.source?.kind === 'replay' && path.basename(body.source.file) === file ? body : undefined;
  });
}

function totals(stats: Stats): { ifaces: string[]; packets: number; bytes: number; protoPackets: number } {
  return {
    ifaces: stats.interfaces.map((i) => i.iface),
    packets: stats.interfaces.reduce((n, i) => n + i.in.packets + i.out.packets, 0),
    bytes: stats.interfaces.reduce((n, i) => n + i.in.bytes + i.out.bytes, 0),
    protoPackets: Object.values(stats.protocols).reduce((n, p) => n + p.packets, 0),
  };
}

describe('stats.get across captures', () => {
  it('lists only the interfaces and totals of the new capture once it starts', async () => {
    await finishedCapture(FIRST);
    const first = truthOf(FIRST);
    expect(totals((await getJson<Stats>(`${serve.url}/api/stats`)).body)).toEqual({
      ifaces: [FIRST], packets: first.packets, bytes: first.bytes, protoPackets: first.packets,
    });

    const start = await getJson<CaptureStatus>(`${serve.url}/api/capture/start`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'replay', file: path.join(FIXTURES, SECOND), speed: 0 }),
    });
    expect(start.status).toBe(200);
    await finishedCapture(SECOND);
    const second = truthOf(SECOND);
    const stats = (await getJson<Stats>(`${serve.url}/api/stats`)).body;
    expect(totals(stats)).toEqual({ ifaces: [SECOND], packets: second.packets, bytes: second.bytes, protoPackets: second.packets });
    expect(stats.evictedFlows).toBe(0);
  }, 60_000);
});
