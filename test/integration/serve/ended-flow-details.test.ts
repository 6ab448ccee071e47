/** An ended flow's details and the second main's totals belong to, through `netmon serve`. Needs `npm run build`. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureStatus } from '../../../src-main/api/types/capture';
import type { FlowDetails, FlowPage } from '../../../src-main/api/types/flows';
import type { Stats } from '../../../src-main/api/types/stats';
import type { ServeProcess } from '../../helpers/serve-process';
import { FIXTURES, getJson, startServe, waitFor } from '../../helpers/serve-process';

const FIXTURE = 'raw_ip.pcap';
// The fixture's packets are years old: keep its flows through the retention that runs at start.
const RETENTION_ENV = { NETMON_HISTORY_MINUTE_DAYS: '3650', NETMON_HISTORY_HOUR_DAYS: '36500', NETMON_HISTORY_FLOW_LOG_DAYS: '36500' };

describe('netmon serve after a replay ended', () => {
  let dir: string;
  let serve: ServeProcess;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-ended-'));
    serve = await startServe(['--bind', '127.0.0.1:0', '--replay', path.join(FIXTURES, FIXTURE), '--speed', '0', '--db', path.join(dir, 'h.sqlite')], RETENTION_ENV);
    await waitFor('the replay to finish', async () => {
      const { body } = await getJson<CaptureStatus>(`${serve.url}/api/capture/status`);
      return body.state === 'finished' ? body : undefined;
    });
  });
  afterAll(async () => {
    await serve?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives the details of every ended flow: its final counts from the history, and its rates while it was live', async () => {
    const { body: page } = await getJson<FlowPage>(`${serve.url}/api/flows?limit=1000`);
    expect(page.flows.length).toBeGreaterThan(0);
    for (const listed of page.flows) {
      expect(listed.active).toBe(false);
      const { status, body } = await getJson<FlowDetails>(`${serve.url}/api/flows/${encodeURIComponent(listed.id)}`);
      expect(status).toBe(200);
      expect(body.flow).toEqual(listed);
      // Each flow was seen in at least one second of the replay; its bytes over those seconds add up to its total.
      expect(body.series.length).toBeGreaterThan(0);
    }
    const missing = await getJson<{ error: { code: string; message: string } }>(`${serve.url}/api/flows/nosuch%3A1`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/no flow with id "nosuch:1"/);
  });

  it('says which second its totals include: the last second of traffic in the file', async () => {
    const truth = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${FIXTURE}.truth.json`), 'utf8')) as { max_ts_ns: number; bytes: number };
    const { body: stats } = await getJson<Stats>(`${serve.url}/api/stats`);
    expect(stats.lastTickMs).toBe(Math.floor(truth.max_ts_ns / 1e9) * 1000);
    expect(stats.interfaces.reduce((sum, i) => sum + i.in.bytes + i.out.bytes, 0)).toBe(truth.bytes);
});
});
