/**
 * The Applications view in Chromium through `netmon serve`: finished flows with their process, written to the
 * history through HistoryDb before serve starts, listed per application for that capture session; a click opens the
 * Flows view on that session filtered by the application, with the Application column and details; a capture file
 * says why it has no applications.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureStatus } from '../../src-main/api/types/capture';
import type { FlowApplication, FlowSummary } from '../../src-main/api/types/flows';
import { HistoryDb } from '../../src-main/core/history-db';
import type { BrowserSession, Served } from './browser';
import { FIXTURES, missingPrerequisite, openBrowser, startServe } from './browser';

const NOW = Date.now();
const CURL: FlowApplication = { label: 'curl', pid: 4100, name: 'curl', exe: '/usr/bin/curl', uid: 1000, user: 'alice', system: false };
const PYTHON: FlowApplication = { label: 'python3', pid: 4200, name: 'python3', exe: '/usr/bin/python3.12', uid: 1001, user: 'bob', system: false };
const SYSTEM: FlowApplication = { label: 'system (user 0)', pid: null, name: null, exe: null, uid: 0, user: 'root', system: true };

let n = 0;
function flow(app: FlowApplication | undefined, b: string, bytesAB: number, bytesBA: number, sni: string | null = null): FlowSummary {
  n++;
  return {
    id: `lv1:${n}`, iface: 'eth0', vlan: null, proto: 'tcp', ipProto: 6, a: '10.77.0.2', aPort: 40_000 + n, b, bPort: 443,
    names: { a: null, b: null, sni, httpHost: null, dnsQuery: null, name: sni, source: sni === null ? null : 'sni' },
    aToB: { bytes: bytesAB, packets: 3 }, bToA: { bytes: bytesBA, packets: 4 }, firstSeenMs: NOW - 60_000 + n * 1000, lastSeenMs: NOW - 30_000 + n * 1000,
    state: 'fin', tcpFlags: 0x1b, icmp: null, bpsAToB: 0, bpsBToA: 0, active: false, ...(app === undefined ? {} : { app }),
  };
}

const FLOWS = [
  flow(CURL, '93.184.216.34', 2000, 900_000, 'example.com'),
  flow({ ...CURL, pid: 4101 }, '93.184.216.34', 1000, 300_000, 'example.com'),
  flow({ ...CURL, pid: 4102 }, '198.51.100.7', 500, 20_000),
  flow(PYTHON, '203.0.113.60', 40_000, 1000),
  flow(SYSTEM, '203.0.113.9', 3000, 9000),
  flow(undefined, '8.8.8.8', 80, 120),
];

describe('the Applications view', () => {
  let dir: string;
  let served: Served;
  let session: BrowserSession;

  beforeAll(async () => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`browser tests need the build: ${missing}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-e2e-apps-'));
    const db = new HistoryDb(path.join(dir, 'history.sqlite'));
    db.startSession({ id: 'lv1', kind: 'live', source: 'eth0', startedAtMs: NOW - 120_000 });
    db.recordFinishedFlows(FLOWS);
    db.endSession('lv1', NOW - 10_000);
    db.close();
    served = await startServe({ db: path.join(dir, 'history.sqlite'), replay: path.join(FIXTURES, 'Dns.pcap'), speed: 0 });
    session = await openBrowser({ width: 1920, height: 1000 });
  });

  afterAll(async () => {
    await session?.close();
    await served?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function status(): Promise<CaptureStatus> {
    return (await (await fetch(`${served.url}/api/capture/status`, { headers: served.auth })).json()) as CaptureStatus;
  }

  it('lists a session\'s applications and opens the flows of one, filtered, with their process', async () => {
    await expect.poll(async () => (await status()).state, { timeout: 20_000 }).toBe('finished');
    const { page } = session;
    await page.goto(served.dashboard);
    await page.getByRole('button', { name: 'Applications' }).click();
    // The current capture is a file: the view says why it lists nothing.
    await expect.poll(async () => page.getByTestId('applications-empty').textContent(), { timeout: 10_000 }).toContain('A capture file holds no applications');

    // The earlier captures leave out the current one once the page knows it; pick the live one by its session id,
    // since its position in the list moves when the current capture's id arrives.
    const picker = page.getByLabel('Capture');
    const options = async () => picker.locator('option').evaluateAll((all) => all.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent ?? '' })));
    await expect.poll(async () => (await options()).filter((o) => o.value !== '' && o.value !== '*').map((o) => o.value), { timeout: 10_000 }).toEqual(['lv1']);
    expect((await options()).find((o) => o.value === 'lv1')?.text).toMatch(/^Live eth0 · .* · 6 flows$/);
    await picker.selectOption('lv1');
    const table = page.getByRole('table', { name: 'Applications' });
    await expect.poll(async () => table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-application'))), { timeout: 10_000 })
      .toEqual(['curl', 'python3', 'system (user 0)']);
    const curl = table.locator('tr[data-application="curl"]');
    expect((await curl.locator('td').allTextContents()).slice(0, 3)).toEqual(['3.42 KiB', '1.16 MiB', '3']);
    expect(await curl.locator('.app-host').allTextContents()).toEqual(['example.com', '198.51.100.7']);
    expect(await curl.getByRole('button').getAttribute('title')).toBe('curl, user alice (uid 1000)\n/usr/bin/curl\npid 4102, 4101, 4100');
    const system = table.locator('tr[data-application="system (user 0)"]').getByRole('button');
    expect(await system.getAttribute('class')).toContain('app-system');
    expect(await system.getAttribute('title')).toContain('whose process this user may not inspect');
    await expect.poll(async () => page.getByTestId('applications-count').textContent()).toBe('3 applications · 1 flow (200 B) without a program');

    await curl.getByRole('button').click();
    const count = page.getByTestId('flow-count');
    await expect.poll(async () => count.textContent(), { timeout: 10_000 }).toBe('3 of 6 flows');
    expect(await page.getByLabel('Application').inputValue()).toBe('curl');
    const grid = page.getByRole('grid', { name: 'Flows' });
    const appCells = async () => grid.locator('[role="row"].body [role="gridcell"]').evaluateAll((cells) =>
      cells.filter((c) => /^(curl|python3|system \(user 0\))?$/.test(c.textContent ?? '') && (c.getAttribute('title') ?? '').length > 30).map((c) => c.textContent));
    await expect.poll(appCells).toEqual(['curl', 'curl', 'curl']);

    // Typed by hand, any case; a system socket is shown as such.
    await page.getByLabel('Application').fill('SYSTEM (user 0)');
    await expect.poll(async () => count.textContent()).toBe('1 of 6 flows');
    await expect.poll(appCells).toEqual(['system (user 0)']);
    const systemCell = grid.locator('[role="gridcell"].app-system');
    expect(await systemCell.textContent()).toBe('system (user 0)');
    expect(await systemCell.getAttribute('title')).toBe('system (user 0): a socket of user root (uid 0) whose process this user may not inspect');
    await page.getByLabel('Application').fill('python3');
    await expect.poll(async () => count.textContent()).toBe('1 of 6 flows');
    // The count reads the same as for the filter before: wait for the row itself to change before clicking it.
    await expect.poll(appCells).toEqual(['python3']);
    await grid.locator('[role="row"].body').first().click();
    await expect.poll(async () => page.getByTestId('flow-detail').textContent()).toContain('python3, pid 4200, user bob (uid 1001), /usr/bin/python3.12');
    expect(session.problems).toEqual([]);
  }, 90_000);
});
