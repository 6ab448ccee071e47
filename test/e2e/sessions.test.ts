/** The Flows table of a capture session in Chromium: the current capture's flows, and an earlier capture picked from the history. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureStatus } from '../../src-main/api/types/capture';
import type { BrowserSession, Served } from './browser';
import { FIXTURES, missingPrerequisite, openBrowser, startServe } from './browser';
import { truthConversations } from '../helpers/truth-conversations';

const FIRST = 'Dns.pcap';
const SECOND = 'TwoHttpRequests.pcap';

const conversations = (name: string) => truthConversations(FIXTURES, name);
const endpoint = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
/** An endpoint cell: the endpoint, the service name of a well-known port (` https`), then the country of a public address (` · US`). */
const endpointCell = (ip: string, port: number): RegExp => new RegExp(`^${endpoint(ip, port).replace(/[.[\]]/g, '\\$&')}(?: [A-Za-z0-9._+-]+)?(?: · [A-Z]{2})?$`);

describe('capture sessions in the Flows view', () => {
  let served: Served;
  let session: BrowserSession;

  beforeAll(async () => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`browser tests need the build: ${missing}`);
    served = await startServe({ replay: path.join(FIXTURES, FIRST), speed: 0, replayDir: FIXTURES });
    session = await openBrowser();
  });

  afterAll(async () => {
    await session?.close();
    await served?.stop();
  });

  async function status(): Promise<CaptureStatus> {
    return (await (await fetch(`${served.url}/api/capture/status`, { headers: served.auth })).json()) as CaptureStatus;
  }

  it('shows the current capture only, and an earlier one when picked', async () => {
    await expect.poll(async () => (await status()).state, { timeout: 20_000 }).toBe('finished');
    const first = (await status()).captureId;
    const started = await fetch(`${served.url}/api/capture/start`, {
      method: 'POST',
      headers: { ...served.auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'replay', file: path.join(FIXTURES, SECOND), speed: 0 }),
    });
    expect(started.status).toBe(200);
    await expect.poll(async () => {
      const s = await status();
      return s.captureId !== first && s.state === 'finished';
    }, { timeout: 20_000 }).toBe(true);

    const { page } = session;
    await page.goto(served.dashboard);
    await page.getByRole('button', { name: 'Flows' }).click();
    const count = page.getByTestId('flow-count');
    const grid = page.getByRole('grid', { name: 'Flows' });
    await expect.poll(async () => count.textContent(), { timeout: 20_000 }).toBe(`${conversations(SECOND).length} flows`);
    for (const c of conversations(SECOND)) await expect.poll(async () => grid.getByText(endpointCell(c.b, c.port_b)).count()).toBeGreaterThan(0);

    // The earlier capture, from the history: its own flows, none of the current one's.
    const picker = page.getByLabel('Capture');
    const options = await picker.locator('option').allTextContents();
    expect(options[0]).toBe('Current capture');
    expect(options).toHaveLength(2);
    expect(options[1]).toContain(FIRST);
    expect(options[1]).toContain(`${conversations(FIRST).length} flows`);
    await picker.selectOption({ index: 1 });
    await expect.poll(async () => count.textContent(), { timeout: 10_000 }).toBe(`${conversations(FIRST).length} flows`);
    for (const c of conversations(FIRST)) {
      const text = `${endpoint(c.a, c.port_a)} ${endpoint(c.b, c.port_b)}`;
      await expect.poll(async () => (await grid.textContent()) ?? '', { timeout: 5000, message: text }).toContain(endpoint(c.a, c.port_a));
    }
    for (const c of conversations(SECOND)) expect(await grid.getByText(endpointCell(c.b, c.port_b)).count()).toBe(0);

    await picker.selectOption({ index: 0 });
    await expect.poll(async () => count.textContent(), { timeout: 10_000 }).toBe(`${conversations(SECOND).length} flows`);
  }, 90_000);
});
