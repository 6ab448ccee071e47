/**
 * The first screen of a `netmon serve` started with no capture option, in Chromium: nothing runs until
 * the person chooses; the demo is a button, marked as the demo while it plays, its alerts shown as not
 * sent; a capture file opened after it stays finished.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession, Served } from './browser';
import { FIXTURES, missingPrerequisite, openBrowser, screenshot, startServe } from './browser';

const nav = (page: Page, name: string) => page.locator('.nav-item', { hasText: name }).click();
const statusText = (page: Page) => page.getByTestId('capture-status').textContent();

let served: Served;
let session: BrowserSession;

beforeAll(async () => {
  const missing = missingPrerequisite();
  if (missing) throw new Error(`browser tests need the build: ${missing}`);
  served = await startServe({});
  // A rule with no channel: its demo events show in the Alerts screen.
  const rule = await fetch(`${served.url}/api/alerts/rules`, {
    method: 'POST',
    headers: { ...served.auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Demo traffic', metric: 'bps', threshold: '10k', windowSec: 2, forSec: 1 }),
  });
  expect(rule.status).toBe(200);
  session = await openBrowser({ width: 1280, height: 800 });
}, 60_000);

afterAll(async () => {
  await session?.close();
  await served?.stop();
});

describe('netmon serve started with no capture option', () => {
  it('opens idle on the Interfaces screen, inviting to pick an interface, open a file or play the demo', async () => {
    const { page } = session;
    await page.goto(served.dashboard);
    const panel = page.getByTestId('start-panel');
    await expect.poll(async () => panel.getByRole('heading').textContent(), { timeout: 20_000 }).toBe('Nothing is being captured yet');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Interfaces');
    expect(await page.getByRole('heading', { name: 'Open a capture file' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: /^Capture on / }).count()).toBeGreaterThan(0);
    // Nothing starts on its own.
    await page.waitForTimeout(2500);
    expect(await statusText(page)).toBe('Not capturing');
    expect(await page.getByRole('button', { name: 'Stop' }).count()).toBe(0);
    expect(await page.getByTestId('demo-pill').count()).toBe(0);
    await screenshot(page, 'start-idle-1280x800');
  }, 60_000);

  it('plays the demo from its button, marked as the demo, its alerts shown as not sent', async () => {
    const { page } = session;
    await page.getByRole('button', { name: '▶ Play the demo' }).click();
    await expect.poll(() => statusText(page), { timeout: 20_000 }).toMatch(/^Replaying demo\.pcapng/);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Overview');
    expect(await page.getByTestId('demo-pill').textContent()).toBe('demo: alerts not sent');
    await expect.poll(async () => page.getByTestId('active-flows').textContent(), { timeout: 20_000 }).not.toBe('0');
    await nav(page, 'Alerts');
    const event = page.getByTestId('alert-event').first();
    await event.waitFor({ timeout: 30_000 });
    expect(await event.textContent()).toContain('Demo traffic');
    expect(await event.getByText('demo: not sent').count()).toBe(1);
    await screenshot(page, 'start-demo-alert-1280x800');
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => statusText(page)).toBe('Not capturing');
  }, 90_000);

  it('after Stop and a reload: the start panel and Replay in the top bar; a file opened then stays finished', async () => {
    const { page } = session;
    await page.reload();
    await expect.poll(() => page.getByRole('button', { name: '▶ Replay demo.pcapng' }).count(), { timeout: 20_000 }).toBe(1);
    expect(await statusText(page)).toBe('Not capturing');
    await nav(page, 'Interfaces');
    expect(await page.getByTestId('start-panel').getByRole('heading').textContent()).toBe('Not capturing now');

    await page.locator('input[type=file]').setInputFiles(path.join(FIXTURES, 'Dns.pcap'));
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect.poll(() => statusText(page), { timeout: 20_000 }).toBe('Finished Dns.pcap');
    expect(await page.getByTestId('demo-pill').count()).toBe(0);
    // The demo used to start again a second after a replay finished.
    await page.waitForTimeout(3000);
    expect(await statusText(page)).toBe('Finished Dns.pcap');
    expect(session.problems).toEqual([]);
  }, 60_000);
});
