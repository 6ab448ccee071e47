/** Harness for browser tests: a real `netmon serve` process (replaying a capture, or live on an interface) and
 *  Debian's Chromium driven by playwright-core. Screenshots go to test-results/. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const REPO = path.resolve(__dirname, '../..');
export const FIXTURES = path.resolve(REPO, '../shared/fixtures/pcap');
export const RESULTS = path.join(REPO, 'test-results', 'e2e');
const CLI = path.join(REPO, 'dist/src-main/cli/netmon.js');
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

export interface Served {
  url: string;
  /** The token serve requires (made at start unless given). */
  token: string;
  /** The dashboard's address with the token, as serve prints it: what a user opens. */
  dashboard: string;
  /** `Authorization: Bearer <token>` for requests from the test itself. */
  auth: Record<string, string>;
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** What is missing before a browser test can run, or null when it can. */
export function missingPrerequisite(): string | null {
  if (!fs.existsSync(CLI)) return `${path.relative(REPO, CLI)} is not built (npm run build)`;
  if (!fs.existsSync(DASHBOARD)) return `${path.relative(REPO, DASHBOARD)} is not built (npm run build:renderer)`;
  if (!fs.existsSync('/usr/bin/chromium')) return '/usr/bin/chromium is not installed';
  return null;
}

/** Starts `netmon serve` on a free loopback port with a private history database and waits until it listens. */
export async function startServe(opts: ServeOptions): Promise<Served> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-e2e-'));
  const args = [CLI, 'serve', '--bind', '127.0.0.1:0', '--db', opts.db ?? path.join(dir, 'history.sqlite')];
  if (opts.config) args.push('--config', opts.config);
  if (opts.replay) args.push('--replay', opts.replay, '--speed', String(opts.speed ?? 1));
  for (const i of opts.ifaces ?? []) args.push('--iface', i);
  if (opts.token) args.push('--token', opts.token);
  args.push(...(opts.extraArgs ?? []));
  if (opts.replayDir) args.push('--replay-dir', opts.replayDir);
  const proc = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, XDG_CONFIG_HOME: dir } });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`netmon serve did not start within 20 s:\n${out}`)), 20_000);
    const check = (): void => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m && (opts.token !== undefined || /#token=\S+/.test(out))) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout?.on('data', check);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`netmon serve exited with ${code}:\n${out}`));
    });
  });
  const token = opts.token ?? (/#token=(\S+)/.exec(out) as RegExpExecArray)[1];
  return {
    url,
    token,
    dashboard: `${url}/#token=${token}`,
    auth: { Authorization: `Bearer ${token}` },
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
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
