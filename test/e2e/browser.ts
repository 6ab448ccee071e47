/** Harness for browser tests: a real `netmon serve` process (replaying a capture, or live on an interface) and
 *  Debian's Chromium driven by playwright-core. Screenshots go to test-results/. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ServeProcess } from '../helpers/serve-process';
import { CLI, FIXTURES, REPO, startServe as startServeProcess } from '../helpers/serve-process';

export { FIXTURES, REPO };
export const RESULTS = path.join(REPO, 'test-results', 'e2e');
const DASHBOARD = path.join(REPO, 'dist/renderer/index.html');

export interface ServeOptions {
  replay?: string;
  speed?: number;
  ifaces?: string[];
  token?: string;
  /** A settings file (`--config`): what the Settings screen writes. */
  config?: string;
  /** The history database, to start serve again on the same one (default: a fresh one in a private directory). */
  db?: string;
  /** More arguments for serve (`--nats URL --config FILE`). */
  extraArgs?: string[];
  /** Where `POST /api/capture/start` may name replay files. */
  replayDir?: string;
}

export interface Served extends Omit<ServeProcess, 'token'> {
  /** The token serve requires (made at start unless given). */
  token: string;
  /** The dashboard's address with the token, as serve prints it: what a user opens. */
  dashboard: string;
}

/** What is missing before a browser test can run, or null when it can. */
export function missingPrerequisite(): string | null {
  if (!fs.existsSync(CLI)) return `${path.relative(REPO, CLI)} is not built (npm run build)`;
  if (!fs.existsSync(DASHBOARD)) return `${path.relative(REPO, DASHBOARD)} is not built (npm run build:renderer)`;
  if (!fs.existsSync('/usr/bin/chromium')) return '/usr/bin/chromium is not installed';
  return null;
}

/** Starts `netmon serve` (test/helpers/serve-process.ts) on a free loopback port with a private history database
 *  and settings directory, and waits until it listens. */
export async function startServe(opts: ServeOptions): Promise<Served> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-e2e-'));
  const args = ['--bind', '127.0.0.1:0', '--db', opts.db ?? path.join(dir, 'history.sqlite')];
  if (opts.config) args.push('--config', opts.config);
  if (opts.replay) args.push('--replay', opts.replay, '--speed', String(opts.speed ?? 1));
  for (const i of opts.ifaces ?? []) args.push('--iface', i);
  if (opts.token) args.push('--token', opts.token);
  args.push(...(opts.extraArgs ?? []));
  if (opts.replayDir) args.push('--replay-dir', opts.replayDir);
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true });
  const serve = await startServeProcess(args, { XDG_CONFIG_HOME: dir }).catch((err: unknown) => {
    removeDir();
    throw err;
  });
  const token = serve.token;
  if (token === null) throw new Error('serve started without a token');
  return {
    ...serve,
    token,
    dashboard: `${serve.url}/#token=${token}`,
    stop: async () => {
      const code = await serve.stop();
      removeDir();
      return code;
    },
  };
}

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors and failed requests seen so far. */
  problems: string[];
  close(): Promise<void>;
}

export async function openBrowser(opts: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {}): Promise<BrowserSession> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1440, height: opts.height ?? 900 },
    colorScheme: opts.colorScheme ?? 'light',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return {
    browser,
    context,
    page,
    problems,
    close: async () => {
      await context.close();
      await browser.close();
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Text a person cannot read in full: every visible element whose content is wider than its box and cut (not
 * scrollable), with no tooltip (`title`) on it or around it. Returns a line per offender: its text and where.
 */
export async function cutWithoutTitle(page: Page, scope = 'body'): Promise<string[]> {
  return page.evaluate((selector) => {
    const offenders: string[] = [];
    const root = document.querySelector(selector);
    if (!root) return [`no ${selector}`];
    for (const el of root.querySelectorAll<HTMLElement>('*')) {
      if (!(el instanceof HTMLElement) || el.scrollWidth <= el.clientWidth + 1) continue;
      const style = getComputedStyle(el);
      if (style.overflowX === 'auto' || style.overflowX === 'scroll' || style.overflowX === 'visible') continue;
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
      if ((el.closest('[title]')?.getAttribute('title') ?? '').trim() !== '') continue;
      offenders.push(`${el.tagName.toLowerCase()}.${el.className}: "${(el.textContent ?? '').trim().slice(0, 60)}" (${el.scrollWidth} > ${el.clientWidth})`);
    }
    return offenders;
  }, scope);
}

/**
 * The body cells of a grid: how many clip their text, and those whose text is wider than the cell without being
 * clipped and ended with an ellipsis (drawn over the next cell): one line each, its text and widths.
 */
export async function gridCellFit(page: Page, gridName: string): Promise<{ cells: number; clipped: number; spilling: string[] }> {
  return page.evaluate((name) => {
    const grid = document.querySelector(`[role=grid][aria-label="${name}"]`);
    const cells = grid === null ? [] : [...grid.querySelectorAll<HTMLElement>('[role=row][data-flow-id] [role=gridcell]')];
    let clipped = 0;
    const spilling: string[] = [];
    for (const cell of cells) {
      const style = getComputedStyle(cell);
      const clips = style.overflowX === 'hidden' && style.textOverflow === 'ellipsis';
      if (clips) clipped++;
      else if (cell.scrollWidth > cell.clientWidth + 1) spilling.push(`"${cell.textContent ?? ''}" (${cell.scrollWidth} > ${cell.clientWidth})`);
    }
    return { cells: cells.length, clipped, spilling };
  }, gridName);
}

/** Column headers of a grid that lie outside its visible box (cut off or only reachable by scrolling). */
export async function columnsOutOfView(page: Page, gridName: string): Promise<string[]> {
  return page.evaluate((name) => {
    const grid = document.querySelector(`[role=grid][aria-label="${name}"]`);
    if (!grid) return [`no grid ${name}`];
    const box = grid.getBoundingClientRect();
    return [...grid.querySelectorAll('[role=columnheader]')]
      .filter((h) => {
        const r = h.getBoundingClientRect();
        return r.left < box.left - 1 || r.right > box.left + grid.clientWidth + 1;
      })
      .map((h) => h.textContent ?? '');
  }, gridName);
}
