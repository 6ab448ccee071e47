import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowPage } from '../../src-main/api/types/flows';
import type { ProbeStatus } from '../../src-main/api/types/probes';
import { canRunProbeHosts, setUpProbeHosts, type ProbeHosts } from '../helpers/probe-hosts';
import { sendTraffic, startServers } from '../integration/live/live-traffic';
import { missingPrerequisite, openBrowser, screenshot, startServe, type BrowserSession, type Served } from './browser';

const skip = missingPrerequisite() ?? (canRunProbeHosts() ? null : 'needs root, nats-server, tcpdump and tshark');

/** The dashboard of `serve --nats` with two real probes: the host picker, the probes' states, one host's flows. */
describe.skipIf(skip !== null)('host picker with two probes on the bus', () => {
  let work: string;
  let bus: ProbeHosts;
  let served: Served;
  let session: BrowserSession;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-e2e-hosts-'));
    bus = await setUpProbeHosts(work, ['alpha', 'beta']);
    served = await startServe({ extraArgs: ['--nats', bus.nats.url, '--config', bus.config] });
    for (const h of bus.hosts) {
      await bus.startProbe(h);
      startServers(h.pair);
    }
    await new Promise((r) => setTimeout(r, 1000));
    sendTraffic(bus.hosts[0].pair);
    sendTraffic(bus.hosts[1].pair);
    sendTraffic(bus.hosts[1].pair);
    session = await openBrowser({ width: 1440, height: 900 });
  }, 120_000);

  afterAll(async () => {
    await session?.close();
    await served?.stop();
    await bus?.close();
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  }, 60_000);

  const api = async <T>(route: string): Promise<T> => (await (await fetch(`${served.url}${route}`, { headers: served.auth })).json()) as T;

  it('lists every probe with its state, and shows one host\'s flows when picked', async () => {
    const { page } = session;
    await page.goto(served.dashboard);
    const picker = page.getByRole('combobox', { name: 'Host' });
    await picker.waitFor({ timeout: 15_000 });
    await page.getByTestId('probe-alpha').filter({ hasText: 'live' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('probe-beta').filter({ hasText: 'live' }).waitFor({ timeout: 15_000 });
    expect(await picker.locator('option').allTextContents()).toEqual(['All hosts (2)', 'alpha (live)', 'beta (live)']);
    const probes = await api<ProbeStatus[]>('/api/probes');
    expect(probes.map((p) => [p.name, p.state])).toEqual([['alpha', 'live'], ['beta', 'live']]);

    await page.getByRole('button', { name: /Overview/ }).click();
    await page.waitForTimeout(1500);
    await screenshot(page, 'hosts-all');

    // The table holds the capture's flows, ended ones too: as many as serve lists, live and logged.
    const all = await api<FlowPage>('/api/flows?scope=all&limit=1000');
    const beta = all.flows.filter((f) => f.probe === 'beta');
    expect(beta.length).toBeGreaterThan(0);
    expect(beta.length).toBeLessThan(all.total);
    await page.getByRole('button', { name: /Flows/ }).click();
    await picker.selectOption('beta');
    const count = page.getByTestId('flow-count');
    await expect.poll(async () => count.textContent(), { timeout: 15_000 }).toMatch(new RegExp(`^${beta.length} of ${all.total} flows`));
    // Every row shown is one of beta's flows: its interface is beta's.
    const rowsText = await page.getByRole('grid').innerText();
    expect(rowsText).not.toContain(`alpha/${bus.hosts[0].pair.ifB}`);
    await screenshot(page, 'hosts-one');

    await picker.selectOption('');
    await expect.poll(async () => count.textContent(), { timeout: 15_000 }).toMatch(new RegExp(`^${all.total} flows`));
    expect(session.problems).toEqual([]);
  }, 90_000);
});
