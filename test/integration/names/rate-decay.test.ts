/**
 * A flow that goes silent reads zero from its first silent second, through
 * `netmon serve` replaying a generated capture in real time: a 2 s transfer,
 * then silence while another flow keeps the capture's clock going. Needs
 * `npm run build`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowDetails, FlowPage, FlowSummary } from '../../../src-main/api/types/flows';
import type { ServeProcess } from '../../helpers/serve-process';
import { getJson, startServe } from '../../helpers/serve-process';
import type { TimedPacket } from './name-capture';
import { udp, writeRawCapture } from './name-capture';

const TRANSFER_PORT = 5201;
const KEEPALIVE_PORT = 6000;
const TRANSFER_SECONDS = 2;
const CAPTURE_SECONDS = 9;

function packets(): TimedPacket[] {
  const out: TimedPacket[] = [];
  const payload = new Array<number>(1000).fill(0x55);
  for (let t = 0; t < TRANSFER_SECONDS; t += 0.05) out.push({ at: t, bytes: udp('198.18.0.1', 5001, '198.18.0.2', TRANSFER_PORT, payload) });
  for (let t = 0; t <= CAPTURE_SECONDS; t += 0.25) out.push({ at: t, bytes: udp('198.18.0.1', KEEPALIVE_PORT, '198.18.0.3', KEEPALIVE_PORT, [1, 2, 3, 4]) });
  return out;
}

const rate = (f: FlowSummary) => f.bpsAToB + f.bpsBToA;

describe('flow rates after the traffic stops', () => {
  let dir: string;
  let serve: ServeProcess;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-decay-'));
    const capture = path.join(dir, 'decay.pcap');
    writeRawCapture(capture, packets());
    serve = await startServe(['--bind', '127.0.0.1:0', '--replay', capture, '--speed', '1', '--db', path.join(dir, 'h.sqlite')], {
      NETMON_HISTORY_MINUTE_DAYS: '3650',
      NETMON_HISTORY_HOUR_DAYS: '36500',
      NETMON_HISTORY_FLOW_LOG_DAYS: '36500',
    });
  });
  afterAll(async () => {
    await serve?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows rate 0 for a flow within about two seconds of its last packet, while it is still active', async () => {
    let moving = false;
    let zero: { transfer: FlowSummary; keepalive: FlowSummary } | undefined;
    const deadline = Date.now() + (CAPTURE_SECONDS + 10) * 1000;
    while (zero === undefined && Date.now() < deadline) {
      const { body } = await getJson<FlowPage>(`${serve.url}/api/flows?scope=active&sort=rate&dir=desc&limit=10`);
      const transfer = body.flows.find((f) => f.bPort === TRANSFER_PORT);
      const keepalive = body.flows.find((f) => f.bPort === KEEPALIVE_PORT);
      if (transfer !== undefined && rate(transfer) > 0) moving = true;
      else if (moving && transfer !== undefined && keepalive !== undefined) {
        zero = { transfer, keepalive };
        // The silent flow no longer sorts above the one still sending.
        expect(body.flows.indexOf(keepalive)).toBeLessThan(body.flows.indexOf(transfer));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(moving, 'the transfer was seen with a rate').toBe(true);
    expect(zero, 'the transfer was seen active with rate 0').toBeDefined();
    if (zero === undefined) return;
    expect(zero.transfer.active).toBe(true);
    // Capture time when the zero was read (the keep-alive's last packet) minus the transfer's last packet.
    const silentMs = zero.keepalive.lastSeenMs - zero.transfer.lastSeenMs;
    expect(silentMs).toBeGreaterThan(0);
    expect(silentMs).toBeLessThanOrEqual(2500);
    // Its rate series ends in a zero too.
    const { body } = await getJson<FlowDetails>(`${serve.url}/api/flows/${encodeURIComponent(zero.transfer.id)}`);
    const last = body.series[body.series.length - 1];
    expect(last.bpsAToB + last.bpsBToA).toBe(0);
    expect(body.series.some((p) => p.bpsAToB > 0)).toBe(true);
  }, 40_000);
});
