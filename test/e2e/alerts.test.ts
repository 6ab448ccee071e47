/**
 * The Alerts screen in Debian's Chromium against a real `netmon serve`: a
 * rule created in the dashboard (a refused threshold explained next to its
 * field first) fires and recovers on a replayed capture with a download burst.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PLAN, MAIN_TALKER, writeBurstCapture } from '../integration/alerts/burst-capture';
import type { SecondTruth } from '../integration/alerts/burst-capture';
import type { BrowserSession, Served } from './browser';
import { missingPrerequisite, openBrowser, screenshot, startServe } from './browser';

// A short capture, replayed in real time so the rule's firing state is visible for a few seconds.
const PLAN = { ...DEFAULT_PLAN, seconds: 14, burstFrom: 3, burstTo: 8 };

describe('alerts in the dashboard', () => {
  let dir: string;
  let capture: string;
  let truth: SecondTruth[];
  let served: Served;
  let session: BrowserSession;

  beforeAll(async () => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`browser tests need the build: ${missing}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-e2e-alerts-'));
    capture = path.join(dir, 'burst.pcap');
    truth = writeBurstCapture(capture, PLAN);
    served = await startServe({ replay: capture, speed: 0 });
    session = await openBrowser();
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    await served?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a negative threshold next to the field, then creates the rule', async () => {
    const { page } = session;
    await page.goto(served.dashboard);
    await expect.poll(async () => page.getByTestId('capture-status').textContent(), { timeout: 20_000 }).toMatch(/Finished burst\.pcap/);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Alerts' }).click();
    await page.getByRole('button', { name: 'New rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Name', { exact: true }).fill('Download burst');
    await form.getByLabel('Direction', { exact: true }).selectOption('in');
    await form.getByLabel('Threshold (k, M, G allowed)', { exact: true }).fill('-5');
    await form.getByLabel('Recovery threshold (optional)', { exact: true }).fill('1M');
    await form.getByLabel('Average over (s)', { exact: true }).fill('2');
    await form.getByLabel('For at least (s)', { exact: true }).fill('1');
    await form.getByLabel('Cooldown (s)', { exact: true }).fill('60');
    await form.getByLabel('Severity', { exact: true }).selectOption('critical');
    await form.getByLabel('Top talkers per event', { exact: true }).fill('3');
    await form.getByRole('button', { name: 'Create rule' }).click();
    const thresholdError = form.locator('label.invalid', { hasText: 'Threshold' }).locator('.field-error');
    await expect.poll(() => thresholdError.textContent()).toMatch(/must be zero or more, got -5/);
    await screenshot(page, 'alerts-rule-invalid');

    await form.getByLabel('Threshold (k, M, G allowed)', { exact: true }).fill('5M');
    await form.getByRole('button', { name: 'Create rule' }).click();
    await expect.poll(() => form.count()).toBe(0);
    const row = page.getByRole('table', { name: 'Rules' }).getByRole('row', { name: /Download burst/ });
    await expect.poll(() => row.getByTestId('rule-state').textContent()).toBe('ok');
    expect(await row.getByTestId('rule-sentence').textContent()).toBe('When incoming traffic exceeds 5.00 Mbit/s for 1 s, list it here (no channel)');
  });

  it('fires during the burst of a replay and recovers after it, with the events listed', async () => {
    const { page } = session;
    await page.getByRole('button', { name: 'Interfaces' }).click();
    const open = page.getByRole('region', { name: 'Open a capture file' });
    await open.getByLabel('Capture file (sent to the server)').setInputFiles(capture);
    await open.getByLabel('Speed').selectOption('1');
    await open.getByRole('button', { name: 'Open' }).click();
    // The file is sent to serve first; once it replays, the dashboard shows the overview.
    await page.getByRole('heading', { name: 'Overview' }).waitFor({ timeout: 20_000 });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Alerts' }).click();

    const state = page.getByRole('table', { name: 'Rules' }).getByRole('row', { name: /Download burst/ }).getByTestId('rule-state');
    await expect.poll(() => state.textContent(), { timeout: 20_000, interval: 200 }).toBe('firing');
    const events = page.getByTestId('alert-event');
    await expect.poll(() => events.count()).toBe(1);
    await screenshot(page, 'alerts-firing');
    await expect.poll(() => state.textContent(), { timeout: 20_000, interval: 200 }).toBe('ok');
    await expect.poll(() => events.count()).toBe(2);

    // Newest first: the recovery, then the firing with the burst's main talker among its top hosts.
    const texts = await events.allTextContents();
    expect(texts[0]).toMatch(/^recovered\s*Download burst/);
    expect(texts[1]).toMatch(/^firing\s*Download burst/);
    expect(texts[1]).toContain(MAIN_TALKER);
    expect(texts[1]).toContain(`${MAIN_TALKER}:443`);
    // The firing value is the capture's 2 s inbound average, above 5 Mbit/s.
    const burstIn = truth[PLAN.burstFrom + 1].inBytes * 8;
    expect(burstIn).toBeGreaterThan(5_000_000);
    expect(texts[1]).toMatch(/Mbit\/s/);
    await screenshot(page, 'alerts');
    expect(session.problems).toEqual([]);
  }, 60_000);
});
