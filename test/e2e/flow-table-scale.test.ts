/** The flow table with a generated capture of 100k concurrent flows: scroll, filter and sort costs in Chromium,
 *  measured and printed (figures, not timed assertions: the machine is shared; bench/flows-view.ts measures 1M). */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession, Served } from './browser';
import { missingPrerequisite, openBrowser, REPO, screenshot, startServe } from './browser';

const FLOWS = 100_000;

interface FrameStats {
  frames: number;
  p50: number;
  p95: number;
  max: number;
}

describe(`flow table with a ${FLOWS / 1000}k-flow capture`, () => {
  let dir: string;
  let served: Served;
  let session: BrowserSession;
  let serverTotal: number;

  beforeAll(async () => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`browser tests need the build: ${missing}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-scale-'));
    const capture = path.join(dir, 'flows.pcap');
    execFileSync(process.execPath, [path.join(REPO, 'dist/scripts/gen-bench-capture.js'), '--concurrent-flows', String(FLOWS), '--out', capture]);
    served = await startServe({ replay: capture, speed: 0 });
    session = await openBrowser({ width: 1600, height: 1000 });
  });

  afterAll(async () => {
    await session?.close();
    await served?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the count and first rows main serves, then scrolls, filters and sorts (figures printed)', async () => {
    const { page } = session;
    // Main finishes the replay first; then the page opens and loads what main serves (the figure measured).
    await expect
      .poll(async () => {
        const res = await fetch(`${served.url}/api/stats`, { headers: served.auth });
        const stats = (await res.json()) as { capture: { state: string } };
        return stats.capture.state;
      }, { timeout: 60_000 })
      .toBe('finished');
    const res = await fetch(`${served.url}/api/flows?limit=1&scope=all`, { headers: served.auth });
    serverTotal = ((await res.json()) as { total: number }).total;
    const loadStart = Date.now();
    await page.goto(served.dashboard);
    await page.getByRole('button', { name: 'Flows' }).click();
    const countText = page.getByTestId('flow-count');
    await expect.poll(async () => (await countText.textContent())?.replace(/[^0-9]/g, ''), { timeout: 120_000 }).toBe(String(serverTotal));
    // The count is main's total for the list; its first window of rows comes with it.
    const grid = page.getByRole('grid', { name: 'Flows' });
    const rows = grid.locator('[role=row][data-flow-id]');
    await expect.poll(() => rows.count(), { timeout: 60_000 }).toBeGreaterThan(0);
    const loadMs = Date.now() - loadStart;
    const rendered = await rows.count();
    // Virtualised: only the rows in view (plus overscan) exist, however many flows there are.
    expect(rendered).toBeLessThan(100);

    const scroll: FrameStats = await grid.evaluate(
      (el) =>
        new Promise<FrameStats>((resolve) => {
          const gaps: number[] = [];
          let last = performance.now();
          let n = 0;
          const step = (): void => {
            const now = performance.now();
            gaps.push(now - last);
            last = now;
            el.scrollTop += 28 * 40;
            if (++n < 120) requestAnimationFrame(step);
            else {
              gaps.shift();
              gaps.sort((a, b) => a - b);
              const q = (p: number): number => gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))];
              resolve({ frames: gaps.length, p50: q(0.5), p95: q(0.95), max: gaps[gaps.length - 1] });
            }
          };
          requestAnimationFrame(step);
        }),
    );
    const afterScroll = await grid.locator('[role=row][data-flow-id]').first().getAttribute('aria-rowindex');
    expect(Number(afterScroll)).toBeGreaterThan(1000);

    // Filter: time from the keystroke to the count showing the filtered result.
    const filterMs = await page.evaluate(async () => {
      const input = document.querySelector<HTMLInputElement>('input[type=search]');
      const count = document.querySelector('[data-testid=flow-count]');
      if (!input || !count) throw new Error('filter input or count missing');
      const before = count.textContent;
      const start = performance.now();
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
      setter?.call(input, ':443');
      input.dispatchEvent(new Event('input', { bubbles: true }));
      const deadline = start + 30_000;
      while (count.textContent === before && performance.now() < deadline) await new Promise((r) => requestAnimationFrame(r));
      return performance.now() - start;
    });
    await expect.poll(async () => countText.textContent(), { timeout: 60_000 }).toMatch(/ of /);
    await screenshot(page, 'flows-scale');

    // Sort: time from the click until the first row is the one main lists first in the new order (the rows come
    // from main's window). Endpoint A ascending lists the first flow first, as the default order does: descending
    // is the change to see.
    await grid.getByRole('columnheader', { name: /Endpoint\s*A/ }).getByRole('button').click();
    await expect.poll(() => grid.getByRole('columnheader', { name: /Endpoint.*A/ }).getAttribute('aria-sort')).toBe('ascending');
    const descFirst = ((await (await fetch(`${served.url}/api/flows?limit=1&scope=all&sort=a&dir=desc`, { headers: served.auth })).json()) as { flows: Array<{ id: string }> }).flows[0].id;
    const sortMs = await page.evaluate(async (expected) => {
      const header = [...document.querySelectorAll('[role=columnheader]')].find((h) => h.textContent?.replace(/[▲▼]/g, '') === 'Endpoint A');
      const button = header?.querySelector('button');
      if (!header || !button) throw new Error('no Endpoint A header');
      const start = performance.now();
      button.click();
      const deadline = start + 30_000;
      const first = (): string | null | undefined => document.querySelector('[role=grid] [role=row][aria-rowindex="2"]')?.getAttribute('data-flow-id');
      while (first() !== expected && performance.now() < deadline) await new Promise((r) => requestAnimationFrame(r));
      return performance.now() - start;
    }, descFirst);
    expect(await grid.locator('[role=row][aria-rowindex="2"]').getAttribute('data-flow-id')).toBe(descFirst);

    console.log(
      `[flow table] ${serverTotal} flows served by main (capture has ${FLOWS}); table loaded in ${loadMs} ms; ` +
        `scroll ${scroll.frames} frames of 40 rows: p50 ${scroll.p50.toFixed(1)} ms, p95 ${scroll.p95.toFixed(1)} ms, max ${scroll.max.toFixed(1)} ms; ` +
        `text filter to result ${filterMs.toFixed(0)} ms; sort by address to its first row ${sortMs.toFixed(0)} ms; ${rendered} rows in the DOM`,
    );
    expect(session.problems).toEqual([]);
  }, 300_000);
});
