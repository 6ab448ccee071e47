/** The windowed Flows view in Chromium against `netmon serve` holding 30,000 flows (a generated capture): the rows on
 *  screen are main's rows for that place in the list, deep or not, in each order and filter; a jump deep into the list
 *  asks for that window alone; Select all shown selects every flow the filter keeps, and their export holds exactly
 *  them (tshark). */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowPage, FlowQuery } from '../../src-main/api/types/flows';
import type { BrowserSession, Served } from './browser';
import { missingPrerequisite, openBrowser, REPO, startServe } from './browser';

const FLOWS = 30_000;
const ROW_HEIGHT = 28;

interface ShownRow {
  index: number;
  id: string;
}

/** The rows on screen: their place in the list (aria-rowindex counts the header as 1) and flow id. */
const shownRows = (page: Page): Promise<ShownRow[]> =>
  page.evaluate(() => {
    const grid = document.querySelector('[role=grid][aria-label=Flows]');
    if (!grid) return [];
    const box = grid.getBoundingClientRect();
    return [...grid.querySelectorAll('[role=row][data-flow-id]')]
      .filter((r) => {
        const b = r.getBoundingClientRect();
        return b.top >= box.top + 40 && b.bottom <= box.bottom;
      })
      .map((r) => ({ index: Number(r.getAttribute('aria-rowindex')) - 2, id: r.getAttribute('data-flow-id') ?? '' }))
      .sort((a, b) => a.index - b.index);
  });

describe(`windowed flow table with ${FLOWS} flows`, () => {
  let dir: string;
  let served: Served;
  let session: BrowserSession;
  /** The flows.query requests the page sent over its WebSocket, in order. */
  const queries: FlowQuery[] = [];

  const serverPage = async (q: Record<string, string | number>): Promise<FlowPage> => {
    const params = new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)]));
    const res = await fetch(`${served.url}/api/flows?${params}`, { headers: served.auth });
    expect(res.status).toBe(200);
    return (await res.json()) as FlowPage;
  };

  /** Waits until the rows on screen start at `from` (or anywhere, for null) and are main's rows at their places in the
   *  list for `q` (`base`: where the list shown starts in main's list for `q`). */
  const expectServerOrder = async (page: Page, q: Record<string, string | number>, from: number | null, base = 0) => {
    let shown: ShownRow[] = [];
    let truth: string[] = [];
    await expect
      .poll(async () => {
        // Each read compares the rows with main's rows at the places they claim (a wheel scroll may still be moving).
        shown = await shownRows(page);
        if (shown.length < 10 || (from !== null && shown[0].index !== from) || !shown.every((r, i) => r.index === shown[0].index + i)) return false;
        truth = (await serverPage({ scope: 'all', ...q, offset: base + shown[0].index, limit: shown.length })).flows.map((f) => f.id);
        return shown.map((r) => r.id).join(' ') === truth.join(' ');
      }, { timeout: 30_000 })
      .toBe(true);
    return shown;
  };

  beforeAll(async () => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`browser tests need the build: ${missing}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-window-'));
    const capture = path.join(dir, 'flows.pcap');
    execFileSync(process.execPath, [path.join(REPO, 'dist/scripts/gen-bench-capture.js'), '--concurrent-flows', String(FLOWS), '--out', capture]);
    served = await startServe({ replay: capture, speed: 0 });
    session = await openBrowser({ width: 1600, height: 1000 });
    session.page.on('websocket', (ws) =>
      ws.on('framesent', (frame) => {
        const text = typeof frame.payload === 'string' ? frame.payload : frame.payload.toString();
        const message = JSON.parse(text) as { channel?: string; params?: FlowQuery };
        if (message.channel === 'flows.query' && message.params) queries.push(message.params);
      }),
    );
    // The whole replay first: the list is final, so what the page shows can be compared with main's pages.
    const deadline = Date.now() + 120_000;
    const state = async () => ((await (await fetch(`${served.url}/api/capture/status`, { headers: served.auth })).json()) as { state: string }).state;
    while ((await state()) !== 'finished') {
      if (Date.now() > deadline) throw new Error('the replay did not finish within 120 s');
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 180_000);

  afterAll(async () => {
    await session?.close();
    await served?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows main\'s rows for each place in the list, deep or not, and jumps without fetching the pages before', async () => {
    const { page } = session;
    await page.goto(served.dashboard);
    await page.getByRole('button', { name: 'Flows' }).click();
    await expect.poll(() => page.getByTestId('flow-count').textContent(), { timeout: 30_000 }).toBe('30,000 flows');
    const grid = page.getByRole('grid', { name: 'Flows' });
    expect(await grid.getAttribute('aria-rowcount')).toBe(String(FLOWS + 1));
    // The default order: rate, biggest first.
    await expectServerOrder(page, { sort: 'rate', dir: 'desc' }, 0);
    // Only the rows in view are in the page.
    expect(await grid.locator('[role=row][data-flow-id]').count()).toBeLessThan(100);

    // A jump deep into the list (the scroll bar dragged there): one window, asked for by its place.
    const before = queries.length;
    await grid.evaluate((el, top) => (el.scrollTop = top), 21_000 * ROW_HEIGHT);
    await expectServerOrder(page, { sort: 'rate', dir: 'desc' }, 21_000);
    const jump = queries.slice(before);
    expect(jump.length).toBeLessThanOrEqual(3);
    expect(jump.some((q) => q.offset >= 21_000 - 200 && q.after === undefined)).toBe(true);

    // Wheel on from there: the next windows continue from a loaded row (keyset), and still match main.
    const box = await grid.boundingBox();
    await page.mouse.move((box?.x ?? 0) + 400, (box?.y ?? 0) + 300);
    const wheelFrom = queries.length;
    for (let i = 0; i < 60; i++) await page.mouse.wheel(0, 200);
    const wheeled = await expectServerOrder(page, { sort: 'rate', dir: 'desc' }, null);
    expect(wheeled[0].index).toBeGreaterThan(21_000 + 300);
    expect(queries.slice(wheelFrom).some((q) => q.after !== undefined)).toBe(true);
    expect(session.problems).toEqual([]);
  }, 120_000);

  it('sorts and filters in main: the top and a deep window match main\'s order', async () => {
    const { page } = session;
    const grid = page.getByRole('grid', { name: 'Flows' });
    // Endpoint A: address, then port, ascending first. The list starts over from its top.
    await grid.getByRole('columnheader', { name: /Endpoint\s*A/ }).getByRole('button').click();
    await expect.poll(() => grid.getByRole('columnheader', { name: /Endpoint.*A/ }).getAttribute('aria-sort')).toBe('ascending');
    await expectServerOrder(page, { sort: 'a', dir: 'asc' }, 0);
    await grid.evaluate((el, top) => (el.scrollTop = top), 12_345 * ROW_HEIGHT);
    const deep = await expectServerOrder(page, { sort: 'a', dir: 'asc' }, 12_345);
    // The generated flows run from port 10000 up, one client: place i is port 10000 + i.
    const deepFlow = await serverPage({ scope: 'all', sort: 'a', dir: 'asc', offset: deep[0].index, limit: 1 });
    expect(deepFlow.flows[0].aPort).toBe(10_000 + 12_345);

    // Ports 20000-20999 are places 10000-10999 of the unfiltered list in this order.
    await page.getByLabel('Port').fill('20000-20999');
    await expect.poll(() => page.getByTestId('flow-count').textContent(), { timeout: 30_000 }).toBe('1,000 of 30,000 flows');
    await expectServerOrder(page, { sort: 'a', dir: 'asc' }, 0, 10_000);
    // Its last rows.
    await grid.evaluate((el) => (el.scrollTop = el.scrollHeight));
    const tail = await expectServerOrder(page, { sort: 'a', dir: 'asc' }, null, 10_000);
    expect(tail[tail.length - 1].index).toBe(999);
    expect(session.problems).toEqual([]);
  }, 120_000);

  it('selects every flow the filter keeps, and exports exactly those', async () => {
    const { page } = session;
    await page.getByRole('button', { name: 'Select all shown' }).click();
    await expect.poll(() => page.getByTestId('selected-count').textContent(), { timeout: 30_000 }).toBe('1,000 selected');
    // Rows out of view are selected too: the first and last of the list.
    await page.getByRole('grid', { name: 'Flows' }).evaluate((el) => (el.scrollTop = 0));
    await expect.poll(() => page.locator('[role=row][aria-rowindex="2"]').getAttribute('aria-selected'), { timeout: 10_000 }).toBe('true');

    await page.locator('.nav-item', { hasText: 'Export' }).click();
    await page.getByRole('radio', { name: /Selected flows \(1,000\)/ }).check();
    await page.getByLabel('Format').selectOption('pcap');
    const downloading = page.waitForEvent('download');
    await page.locator('.export-view').getByRole('button', { name: 'Export', exact: true }).click();
    const download = await downloading;
    const file = path.join(dir, download.suggestedFilename());
    await download.saveAs(file);
    await expect.poll(() => page.locator('.export-summary').textContent(), { timeout: 30_000 }).toMatch(/Saved 3,000 packets/);

    // tshark: 1000 TCP conversations, the client ports 20000-20999, three packets each (the handshakes).
    const r = spawnSync('tshark', ['-n', '-r', file, '-q', '-z', 'conv,tcp'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(r.status, r.stderr).toBe(0);
    const ports = r.stdout.split('\n').flatMap((line) => {
      const m = /^\S+:(\d+)\s+<->\s+\S+:(\d+)\s+(\d+)\s+\d+\s+\S+\s+(\d+)\s+\d+\s+\S+\s+(\d+)/.exec(line);
      if (!m) return [];
      const client = Number(m[1]) === 443 ? Number(m[2]) : Number(m[1]);
      expect(Number(m[3]) + Number(m[4])).toBe(3);
      return [client];
    });
    expect(ports.sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => 20_000 + i));
    expect(session.problems).toEqual([]);
  }, 120_000);
});
