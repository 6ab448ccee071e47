/**
 * Every screen as a person sees it at 1280×800 and 1920×1080, light and dark, in Chromium against `netmon serve`:
 * nothing cut without a tooltip, every flow column in view, the buttons lead where they say.
 * A finished replay of the demo capture holds still for the layout checks; a real-time replay runs for the checks
 * of a live capture (chart, the second the numbers belong to, Stop and Start).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { FlowPage, FlowSummary } from '../../src-main/api/types/flows';
import type { BrowserSession, Served } from './browser';
import { columnsOutOfView, cutWithoutTitle, gridCellFit, missingPrerequisite, openBrowser, REPO, screenshot, startServe } from './browser';
import { serviceSuffix } from '../../src-shared/service-names';

const DEMO = path.join(REPO, 'assets/demo.pcapng');
const SIZES = [
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
] as const;
const THEMES = ['light', 'dark'] as const;

const nav = (page: Page, name: string) => page.locator('.nav-item', { hasText: name }).click();
const flowCount = async (page: Page): Promise<string> => (await page.getByTestId('flow-count').textContent()) ?? '';
const rows = (page: Page) => page.getByRole('grid', { name: 'Flows' }).locator('[role=row][data-flow-id]');
const endpoint = (ip: string, port: number | null): string => (port === null ? ip : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

async function expectReadable(page: Page, where: string): Promise<void> {
  expect(await cutWithoutTitle(page), `${where}: text cut without a tooltip`).toEqual([]);
}

describe('every screen at 1280×800 and 1920×1080, light and dark', () => {
  let served: Served;
  let flows: FlowSummary[];

  beforeAll(async () => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`browser tests need the build: ${missing}`);
    served = await startServe({ replay: DEMO, speed: 0 });
    for (let waited = 0; ; waited += 100) {
      const { state } = (await (await fetch(`${served.url}/api/capture/status`, { headers: served.auth })).json()) as { state: string };
      if (state === 'finished') break;
      if (waited > 30_000) throw new Error(`the replay did not finish: ${state}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    flows = ((await (await fetch(`${served.url}/api/flows?limit=1000`, { headers: served.auth })).json()) as FlowPage).flows;
    expect(flows.length).toBeGreaterThan(3);
  }, 60_000);

  afterAll(async () => {
    await served?.stop();
  });

  for (const size of SIZES) {
    for (const theme of THEMES) {
      const tag = `${size.width}x${size.height}-${theme}`;
      it(`${tag}: every screen readable, every column there, every button leads where it says`, async () => {
        const session: BrowserSession = await openBrowser({ colorScheme: theme, ...size });
        try {
          const { page } = session;
          await page.goto(served.dashboard);
          await expect.poll(async () => page.getByTestId('capture-status').textContent(), { timeout: 20_000 }).toMatch(/Finished demo\.pcapng/);
          expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);

          // The theme: three choices whichever theme shows, and System follows the system.
          const themes = page.getByRole('radiogroup', { name: /Theme/ });
          for (const name of ['Light', 'Dark', 'System']) await expect.poll(() => themes.getByRole('radio', { name }).count()).toBe(1);
          expect(await themes.getByRole('radio', { name: 'System' }).getAttribute('aria-checked')).toBe('true');

          // Interfaces.
          await nav(page, 'Interfaces');
          await page.getByRole('heading', { name: 'Interfaces' }).waitFor();
          await expectReadable(page, `${tag} interfaces`);
          await screenshot(page, `interfaces-${tag}`);

          // Overview: numbers of the finished file, a stopped capture's zero rates, the chart's unit and legend.
          await nav(page, 'Overview');
          await page.locator('.chart .recharts-area-curve').first().waitFor({ timeout: 20_000 });
          expect(await page.getByTestId('rate-in').textContent()).toBe('0 bit/s');
          expect(await page.getByTestId('active-flows').textContent()).toBe('0');
          expect(await page.getByTestId('chart-unit').textContent()).toBe('bit/s');
          expect(await page.getByLabel('Legend').textContent()).toBe('InOut');
          await expectReadable(page, `${tag} overview`);
          await screenshot(page, `overview-${tag}`);

          // A top host opens the flow table on that host's flows.
          const host = page.getByRole('region', { name: /Top hosts/ }).getByRole('button').first();
          const hostIp = /^Show host (?:.* \()?([0-9a-f.:]+)(?: · [^)]*)?\)? in the flow table$/.exec((await host.getAttribute('aria-label')) ?? '')?.[1] ?? '';
          expect(hostIp).not.toBe('');
          await host.click();
          await page.getByRole('heading', { name: 'Flows' }).waitFor();
          expect(await page.getByLabel('Address or CIDR').inputValue()).toBe(hostIp);
          const ofHost = flows.filter((f) => f.a === hostIp || f.b === hostIp);
          await expect.poll(() => flowCount(page)).toBe(`${ofHost.length} of ${flows.length} flows`);

          // A top flow opens the table on that one flow, selected, with its details.
          await nav(page, 'Overview');
          const topFlow = page.getByRole('region', { name: /Top flows/ }).getByRole('button').first();
          await topFlow.click();
          await expect.poll(() => flowCount(page)).toBe(`1 of ${flows.length} flows`);
          expect(await page.getByRole('group', { name: 'Only one flow' }).count()).toBe(1);
          expect(await rows(page).first().getAttribute('aria-selected')).toBe('true');
          await page.getByTestId('flow-detail').waitFor();
          await page.getByRole('button', { name: 'Show every flow again' }).click();
          await expect.poll(() => flowCount(page)).toBe(`${flows.length} flows`);
          await page.getByRole('button', { name: 'Close flow details' }).click();

          // Flows: every column in view, with and without the details open; every cut value has its tooltip.
          await expect.poll(() => rows(page).count()).toBe(flows.length);
          expect(await columnsOutOfView(page, 'Flows')).toEqual([]);
          await expectReadable(page, `${tag} flows`);
          for (const f of flows) {
            const cells = page.locator(`[role=row][data-flow-id="${f.id}"] [role=gridcell]`);
            // ICMP has no ports: its endpoints are bare addresses.
            expect(await cells.nth(0).textContent()).toBe(endpoint(f.a, f.aPort) + serviceSuffix(f.proto, f.aPort));
            expect(await cells.nth(4).textContent()).toBe('ended');
          }
          await screenshot(page, `flows-${tag}`);

          // An ended flow's details: its chart from the history, its totals, its name, and "Export this flow".
          const named = flows.find((f) => f.names.sni !== null) ?? flows[0];
          await page.locator(`[role=row][data-flow-id="${named.id}"]`).click();
          const detail = page.getByTestId('flow-detail');
          await detail.getByText('This flow ended').waitFor();
          await detail.locator('.recharts-area-curve').first().waitFor();
          expect(await detail.textContent()).not.toMatch(/No rate history/);
          expect(await detail.textContent()).not.toMatch(/active, ended/);
          if (named.names.sni) expect(await detail.textContent()).toContain(`${named.names.sni} (TLS/QUIC SNI)`);
          expect(await columnsOutOfView(page, 'Flows')).toEqual([]);
          // Every cell shows its text whole or cut with an ellipsis; cells that fit do not clip (a clip costs every frame
          // of a scroll).
          const fit = await gridCellFit(page, 'Flows');
          expect(fit.spilling).toEqual([]);
          expect(fit.clipped).toBeLessThan(fit.cells / 2);
          await expectReadable(page, `${tag} flow details`);
          await screenshot(page, `flow-details-${tag}`);
          await detail.getByRole('button', { name: 'Export this flow' }).click();
          await page.getByRole('heading', { name: 'Export' }).waitFor();
          expect(await page.getByRole('radio', { name: /Selected flows \(1\)/ }).isChecked()).toBe(true);

          // Export selected: the selection goes to Export.
          await nav(page, 'Flows');
          await rows(page).nth(0).click();
          await rows(page).nth(1).click({ modifiers: ['Control'] });
          await page.getByRole('button', { name: 'Export selected…' }).click();
          await page.getByRole('heading', { name: 'Export' }).waitFor();
          expect(await page.getByRole('radio', { name: /Selected flows \(2\)/ }).isChecked()).toBe(true);

          // Export: ISO date entry, checked as typed.
          const from = page.getByLabel('From (optional)');
          const exportButton = page.locator('.export-view').getByRole('button', { name: 'Export', exact: true });
          await from.fill('01/01/2025 12:00');
          expect(await from.getAttribute('aria-invalid')).toBe('true');
          await page.getByText('is not a date and time like 2025-01-31 14:03:27').waitFor();
          expect(await exportButton.isDisabled()).toBe(true);
          await from.fill('2025-01-01 12:00:10');
          expect(await from.getAttribute('aria-invalid')).toBe('false');
          await page.getByLabel('To (optional)').fill('2025-01-01 12:00:05');
          await page.getByText('"From" is after "To"').waitFor();
          expect(await exportButton.isDisabled()).toBe(true);
          await page.getByLabel('To (optional)').fill('2025-01-01 12:00:50');
          expect(await exportButton.isDisabled()).toBe(false);
          await expectReadable(page, `${tag} export`);
          await screenshot(page, `export-${tag}`);

          // The state filter offers "ended": every flow of a finished file.
          await nav(page, 'Flows');
          await page.getByRole('checkbox', { name: 'ended' }).check();
          await expect.poll(() => flowCount(page)).toBe(`${flows.length} of ${flows.length} flows`);
          await page.getByRole('checkbox', { name: 'ended' }).uncheck();

          // System follows the system once chosen; Light and Dark stay put.
          const other = theme === 'light' ? 'dark' : 'light';
          await themes.getByRole('radio', { name: other === 'dark' ? 'Dark' : 'Light' }).click();
          expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(other);
          await themes.getByRole('radio', { name: 'System' }).click();
          expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
          expect(session.problems).toEqual([]);
        } finally {
          await session.close();
        }
      }, 120_000);
    }
  }
});

describe('a capture while it runs, stops and starts again', () => {
  let served: Served;
  let session: BrowserSession;

  beforeAll(async () => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`browser tests need the build: ${missing}`);
    served = await startServe({ replay: DEMO, speed: 1 });
    session = await openBrowser({ width: 1280, height: 800 });
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    await served?.stop();
  });

  it('draws nothing before the capture started, and the cards and top tables speak of the same second', async () => {
    const { page } = session;
    await page.goto(served.dashboard);
    await nav(page, 'Overview');
    const area = page.locator('.chart .recharts-area-curve').first();
    await area.waitFor({ timeout: 20_000 });
    await page.waitForTimeout(3000);
    // The 5 minute window began long before this capture: the curve starts well right of the plot's left edge.
    const { curveLeft, plotLeft, plotWidth } = await page.evaluate(() => {
      const curve = document.querySelector('.chart .recharts-area-curve') as SVGGraphicsElement;
      const grid = document.querySelector('.chart .recharts-cartesian-grid') as SVGGraphicsElement;
      return { curveLeft: curve.getBoundingClientRect().left, plotLeft: grid.getBoundingClientRect().left, plotWidth: grid.getBoundingClientRect().width };
    });
    expect(curveLeft - plotLeft).toBeGreaterThan(plotWidth * 0.5);

    const second = async (): Promise<string[]> =>
      page.evaluate(() => {
        const at = (s: string | null | undefined) => /(\d\d:\d\d:\d\d)/.exec(s ?? '')?.[1] ?? 'none';
        return [
          at(document.querySelector('[aria-label="Current traffic"]')?.getAttribute('title')),
          at(document.querySelector('[data-testid="active-note"]')?.textContent),
          at(document.querySelector('section[aria-labelledby="top-host"] td.num')?.getAttribute('title')),
          at(document.querySelector('section[aria-labelledby="top-flow"] td.num')?.getAttribute('title')),
        ];
      });
    await expect.poll(async () => new Set(await second()).size, { timeout: 10_000 }).toBe(1);
    expect((await second())[0]).not.toBe('none');
    await page.getByRole('button', { name: 'Pause' }).click();
    const paused = await second();
    await page.waitForTimeout(2200);
    expect(await second()).toEqual(paused);
    expect(new Set(paused).size).toBe(1);
    await page.getByRole('button', { name: 'Resume' }).click();
    await screenshot(page, 'overview-live-1280x800');
  }, 60_000);

  it('after Stop: zero rates and no active flow, even after a reload; Start takes the same source again', async () => {
    const { page } = session;
    await expect.poll(async () => page.getByTestId('active-flows').textContent()).not.toBe('0');
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(async () => page.getByTestId('capture-status').textContent()).toBe('Not capturing');
    const stopped = async () => [await page.getByTestId('rate-in').textContent(), await page.getByTestId('rate-out').textContent(), await page.getByTestId('active-flows').textContent()];
    await expect.poll(stopped).toEqual(['0 bit/s', '0 bit/s', '0']);
    await page.reload();
    await expect.poll(async () => page.getByTestId('capture-status').textContent(), { timeout: 20_000 }).toBe('Not capturing');
    await nav(page, 'Overview');
    await expect.poll(stopped).toEqual(['0 bit/s', '0 bit/s', '0']);
    // Every flow ended with the capture: none is live or has a rate.
    await nav(page, 'Flows');
    await expect.poll(async () => rows(page).count()).toBeGreaterThan(0);
    const states = await rows(page).locator('[role=gridcell]:nth-child(5)').allTextContents();
    expect(new Set(states)).toEqual(new Set(['ended']));
    const rates = await rows(page).locator('[role=gridcell]:nth-child(10)').allTextContents();
    expect(new Set(rates)).toEqual(new Set(['0 bit/s']));

    const start = page.getByRole('button', { name: '▶ Replay demo.pcapng' });
    await start.click();
    await expect.poll(async () => page.getByTestId('capture-status').textContent(), { timeout: 20_000 }).toMatch(/^Replaying demo\.pcapng/);
    expect(await start.count()).toBe(0);
    await nav(page, 'Overview');
    await expect.poll(async () => page.getByTestId('active-flows').textContent(), { timeout: 20_000 }).not.toBe('0');
    expect(session.problems).toEqual([]);
  }, 60_000);
});
