/** The dashboard in Debian's Chromium against a real `netmon serve`, checked against tshark's truth for the capture. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { BrowserSession, Served } from './browser';
import { FIXTURES, missingPrerequisite, openBrowser, REPO, screenshot, startServe } from './browser';
import { serviceSuffix } from '../../src-shared/service-names';

interface ConvRow {
  a: string;
  port_a: number;
  b: string;
  port_b: number;
  bytes_a_to_b: number;
  bytes_b_to_a: number;
}
interface Truth {
  packets: number;
  bytes: number;
  conversations: { tcp: ConvRow[]; udp: ConvRow[] };
  http_host_values: string[];
}

const CAPTURE = path.join(FIXTURES, 'raw_ip.pcap');
const truth = JSON.parse(fs.readFileSync(`${CAPTURE}.truth.json`, 'utf8')) as Truth;
const conversations = [...truth.conversations.tcp, ...truth.conversations.udp];

/** "1,234 bytes, 5 packets" → 1234 */
const exactBytes = (title: string | null): number => Number((title ?? '').split(' bytes')[0].replace(/[^0-9]/g, ''));
const flowCount = async (page: Page): Promise<string> => (await page.getByTestId('flow-count').textContent()) ?? '';
const endpoint = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

describe('dashboard on a replayed capture', () => {
  let served: Served;
  let session: BrowserSession;

  beforeAll(async () => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`browser tests need the build: ${missing}`);
    served = await startServe({ replay: CAPTURE, speed: 0 });
    session = await openBrowser();
  });

  afterAll(async () => {
    await session?.close();
    await served?.stop();
  });

  it('shows the capture, and totals that add up to the file', async () => {
    const { page } = session;
    await page.goto(served.dashboard);
    await expect.poll(async () => page.getByTestId('capture-status').textContent(), { timeout: 20_000 }).toMatch(/raw_ip\.pcap/);
    await screenshot(page, 'interfaces');
    await page.getByRole('button', { name: 'Overview' }).click();
    await expect
      .poll(async () => {
        const inBytes = exactBytes(await page.getByTestId('total-in').getAttribute('title'));
        const outBytes = exactBytes(await page.getByTestId('total-out').getAttribute('title'));
        return inBytes + outBytes;
      }, { timeout: 20_000 })
      .toBe(truth.bytes);
    const protocols = page.getByRole('region', { name: 'Protocols' });
    expect(await protocols.getByRole('rowheader').allTextContents()).toEqual(expect.arrayContaining(['TCP', 'UDP']));
    await screenshot(page, 'overview');
  });

  it('lists every flow of the capture, with names seen on the wire', async () => {
    const { page } = session;
    await page.getByRole('button', { name: 'Flows' }).click();
    await expect.poll(() => flowCount(page), { timeout: 20_000 }).toBe(`${conversations.length} flows`);
    const grid = page.getByRole('grid', { name: 'Flows' });
    await expect.poll(async () => grid.locator('[role=row][data-flow-id]').count()).toBe(conversations.length);
    for (const host of truth.http_host_values) {
      await page.getByLabel('Search').fill(host);
      // The table filters a render after the keystroke (a deferred value), and the previous host's result also
      // reads "k of N flows": wait for the rows of this search, then check the count.
      const names = () => grid.locator('[role=row][data-flow-id] [role=gridcell]:nth-child(3)').allTextContents();
      await expect.poll(async () => {
        const shown = await names();
        return shown.length > 0 && shown.every((n) => n.includes(host));
      }).toBe(true);
      await expect.poll(() => flowCount(page)).toBe(`${(await names()).length} of ${conversations.length} flows`);
    }
    await page.getByLabel('Search').fill('');
    await expect.poll(() => flowCount(page)).toBe(`${conversations.length} flows`);
    await screenshot(page, 'flows');
  });

  it('filters by port and CIDR, and explains a bad filter', async () => {
    const { page } = session;
    const port80 = conversations.filter((c) => c.port_a === 80 || c.port_b === 80).length;
    await page.getByLabel('Port').fill('80');
    await expect.poll(() => flowCount(page)).toBe(`${port80} of ${conversations.length} flows`);
    await page.getByLabel('Port').fill('');
    const v6 = conversations.filter((c) => c.a.startsWith('2001:618:')).length;
    await page.getByLabel('Address or CIDR').fill('2001:618::/32');
    await expect.poll(() => flowCount(page)).toBe(`${v6} of ${conversations.length} flows`);
    await page.getByLabel('Address or CIDR').fill('10.0.0.0/99');
    await expect(await page.getByText("prefix length '99' must be a whole number from 0 to 32").count()).toBe(1);
    expect(await flowCount(page)).toBe(`${v6} of ${conversations.length} flows`);
    await page.getByLabel('Address or CIDR').fill('');
    await page.getByRole('checkbox', { name: 'UDP' }).check();
    await expect.poll(() => flowCount(page)).toBe(`${truth.conversations.udp.length} of ${conversations.length} flows`);
    await page.getByRole('checkbox', { name: 'UDP' }).uncheck();
  });

  it('sorts by any column: the biggest A→B conversation comes first', async () => {
    const { page } = session;
    const grid = page.getByRole('grid', { name: 'Flows' });
    const header = grid.getByRole('columnheader', { name: /Bytes A→B/ });
    await header.getByRole('button').click();
    expect(await header.getAttribute('aria-sort')).toBe('descending');
    const biggest = [...conversations].sort((x, y) => y.bytes_a_to_b - x.bytes_a_to_b)[0];
    const first = grid.locator('[role=row][data-flow-id]').first();
    const proto = truth.conversations.tcp.includes(biggest) ? 'tcp' : 'udp';
    // The sorted window comes from main: the first row changes when its answer arrives.
    await expect.poll(() => first.locator('[role=gridcell]').first().textContent()).toBe(endpoint(biggest.a, biggest.port_a) + serviceSuffix(proto, biggest.port_a));
    await header.getByRole('button').click();
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
  });

  it('selects rows with mouse and keyboard and opens the details of the focused flow', async () => {
    const { page } = session;
    const grid = page.getByRole('grid', { name: 'Flows' });
    const rows = grid.locator('[role=row][data-flow-id]');
    await rows.nth(0).click();
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+ArrowDown');
    await expect.poll(async () => page.getByTestId('selected-count').textContent()).toBe('3 selected');
    expect(await grid.locator('[aria-selected=true]').count()).toBe(3);
    await rows.nth(5).click({ modifiers: ['Control'] });
    await expect.poll(async () => page.getByTestId('selected-count').textContent()).toBe('4 selected');
    await page.keyboard.press('Space');
    await expect.poll(async () => page.getByTestId('selected-count').textContent()).toBe('3 selected');
    await page.keyboard.press('Control+a');
    await expect.poll(async () => page.getByTestId('selected-count').textContent()).toBe(`${conversations.length} selected`);
    await page.keyboard.press('Escape');
    await expect.poll(async () => page.getByTestId('selected-count').textContent()).toBe('0 selected');

    await rows.nth(0).click();
    const detail = page.getByRole('complementary');
    const a = (await rows.nth(0).locator('[role=gridcell]').first().textContent()) ?? '';
    const host = a.startsWith('[') ? a.slice(1, a.indexOf(']')) : a.split(':')[0];
    await expect.poll(async () => detail.textContent()).toContain(host);
    await screenshot(page, 'flow-details');
  });

  it('switches theme, and the page logged no errors', async () => {
    const { page, problems } = session;
    const theme = async (): Promise<string | null> => page.evaluate(() => document.documentElement.dataset.theme ?? null);
    // The browser reports a light OS theme, which the page follows until the user picks one.
    expect(await theme()).toBe('light');
    await page.getByRole('radio', { name: 'Dark' }).click();
    expect(await theme()).toBe('dark');
    await screenshot(page, 'flows-dark');
    await page.getByRole('button', { name: 'Overview' }).click();
    await screenshot(page, 'overview-dark');
    await page.getByRole('radio', { name: 'System' }).click();
    expect(await theme()).toBe('light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(theme).toBe('dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(theme).toBe('light');
    expect(problems).toEqual([]);
  });
});

describe('dashboard during a real-time replay', () => {
  it('moves the chart and the counters every second', async () => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`browser tests need the build: ${missing}`);
    const served = await startServe({ replay: path.join(REPO, 'assets/demo.pcapng'), speed: 1 });
    const session = await openBrowser({ colorScheme: 'dark' });
    try {
      const { page } = session;
      await page.goto(served.dashboard);
      await page.getByRole('button', { name: 'Overview' }).click();
      const chartPath = page.locator('.chart .recharts-area-curve').first();
      await chartPath.waitFor({ timeout: 20_000 });
      const total = async (): Promise<number> =>
        exactBytes(await page.getByTestId('total-in').getAttribute('title')) + exactBytes(await page.getByTestId('total-out').getAttribute('title'));
      const before = { d: await chartPath.getAttribute('d'), total: await total() };
      await page.waitForTimeout(3000);
      expect(await chartPath.getAttribute('d')).not.toBe(before.d);
      expect(await total()).toBeGreaterThan(before.total);
      await screenshot(page, 'overview-live');
      await page.getByRole('button', { name: 'Pause' }).click();
      const frozen = await chartPath.getAttribute('d');
      await page.waitForTimeout(2500);
      expect(await chartPath.getAttribute('d')).toBe(frozen);
      await page.getByRole('button', { name: 'Resume' }).click();
      await page.waitForTimeout(1500);
      expect(await chartPath.getAttribute('d')).not.toBe(frozen);
      expect(session.problems).toEqual([]);
    } finally {
      await session.close();
      await served.stop();
    }
  });
});
