import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowPage, FlowSummary } from '../../src-main/api/types/flows';
import type { BrowserSession, Served } from './browser';
import { FIXTURES, missingPrerequisite, openBrowser, screenshot, startServe } from './browser';
import { tsharkConversations } from '../helpers/tshark-conversations';

const CAPTURE = path.join(FIXTURES, 'raw_ip.pcap');

interface ConvRow { a: string; port_a: number; b: string; port_b: number; frames: number; bytes: number; tshark_bytes: string }
const truth = JSON.parse(fs.readFileSync(`${CAPTURE}.truth.json`, 'utf8')) as { conversations: { tcp: ConvRow[]; udp: ConvRow[] } };

describe('export in the browser', () => {
  let served: Served;
  let session: BrowserSession;
  let work: string;

  beforeAll(async () => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`browser tests need the build: ${missing}`);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-e2e-export-'));
    served = await startServe({ replay: CAPTURE, speed: 0 });
    session = await openBrowser();
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    await served?.stop();
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  it('exports the flows selected in the table; the download holds exactly them', async () => {
    const { page } = session;
    const [tcpRow, udpRow] = [truth.conversations.tcp[0], truth.conversations.udp[0]];
    // Every flow of the replay first: a loaded machine may still be replaying when serve listens.
    const flowCount = truth.conversations.tcp.length + truth.conversations.udp.length;
    const allFlows = async () => ((await (await fetch(`${served.url}/api/flows?scope=all&limit=1000`, { headers: served.auth })).json()) as FlowPage).flows;
    await expect.poll(async () => (await allFlows()).length, { timeout: 30_000 }).toBe(flowCount);
    const flows = await allFlows();
    const idOf = (proto: string, row: ConvRow) => {
      const found = flows.filter((f: FlowSummary) => f.proto === proto && f.a === row.a && f.aPort === row.port_a && f.b === row.b && f.bPort === row.port_b);
      expect(found).toHaveLength(1);
      return found[0].id;
    };
    const ids = [idOf('tcp', tcpRow), idOf('udp', udpRow)];

    await page.goto(served.dashboard);
    await page.getByRole('button', { name: 'Flows' }).click();
    await expect.poll(async () => page.getByTestId('flow-count').textContent(), { timeout: 30_000 }).toBe(`${flows.length} flows`);
    const grid = page.getByRole('grid', { name: 'Flows' });
    await grid.locator(`[role=row][data-flow-id="${ids[0]}"]`).click();
    await grid.locator(`[role=row][data-flow-id="${ids[1]}"]`).click({ modifiers: ['Control'] });
    await expect.poll(async () => grid.locator('[role=row][aria-selected=true]').count()).toBe(2);

    await page.locator('.nav-item', { hasText: 'Export' }).click();
    await page.getByRole('radio', { name: /Selected flows \(2\)/ }).check();
    await page.getByLabel('Format').selectOption('pcapng');
    const downloading = page.waitForEvent('download');
    await page.locator('.export-view').getByRole('button', { name: 'Export', exact: true }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^netmon-[\w-]+\.pcapng$/);
    const file = path.join(work, download.suggestedFilename());
    await download.saveAs(file);

    await expect.poll(async () => page.locator('.export-summary').textContent()).toMatch(new RegExp(`Saved ${tcpRow.frames + udpRow.frames} packets`));
    await screenshot(page, 'export');

    expect(tsharkConversations(file, 'tcp')).toEqual([{ a: `${tcpRow.a}:${tcpRow.port_a}`, b: `${tcpRow.b}:${tcpRow.port_b}`, frames: tcpRow.frames, bytes: tcpRow.tshark_bytes }]);
    expect(tsharkConversations(file, 'udp')).toEqual([{ a: `${udpRow.a}:${udpRow.port_a}`, b: `${udpRow.b}:${udpRow.port_b}`, frames: udpRow.frames, bytes: udpRow.tshark_bytes }]);
    expect(session.problems).toEqual([]);
  }, 60_000);
});
