/** Live capture picked in the dashboard: a veth pair into a network namespace this test creates, traffic it sends and
 *  counts, and the numbers the dashboard shows for it. */
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserSession, Served } from './browser';
import { FIXTURES, missingPrerequisite, openBrowser, screenshot, startServe } from './browser';

const tag = `${process.pid % 10000}`;
const NS = `nmdash${tag}`;
const HOST_IF = `nmd${tag}a`;
const PEER_IF = `nmd${tag}b`;
// A /30 of the benchmarking range (RFC 2544), like test/helpers/netns.ts: nothing else routes there.
const HOST_IP = '198.19.255.253';
const PEER_IP = '198.19.255.254';
const HOST_MAC = '02:00:00:d7:00:01';
const PEER_MAC = '02:00:00:d7:00:02';
const PORT = 40999;
const DATAGRAMS = 300;
const PAYLOAD = 500;
/** Ethernet 14 + IPv4 20 + UDP 8 + payload: whole frames, as every counter in Netmon. */
const FRAME = 14 + 20 + 8 + PAYLOAD;

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });

function setUpVeth(): void {
  sh('ip', ['netns', 'add', NS]);
  sh('ip', ['link', 'add', HOST_IF, 'address', HOST_MAC, 'type', 'veth', 'peer', 'name', PEER_IF, 'address', PEER_MAC]);
  sh('ip', ['link', 'set', PEER_IF, 'netns', NS]);
  // No IPv6 and static neighbours: the only frames on the link are the datagrams this test sends.
  sh('sysctl', ['-q', '-w', `net.ipv6.conf.${HOST_IF}.disable_ipv6=1`]);
  sh('ip', ['netns', 'exec', NS, 'sysctl', '-q', '-w', `net.ipv6.conf.${PEER_IF}.disable_ipv6=1`]);
  sh('ip', ['addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF]);
  sh('ip', ['netns', 'exec', NS, 'ip', 'addr', 'add', `${PEER_IP}/30`, 'dev', PEER_IF]);
  sh('ip', ['neigh', 'replace', PEER_IP, 'lladdr', PEER_MAC, 'dev', HOST_IF, 'nud', 'permanent']);
  sh('ip', ['netns', 'exec', NS, 'ip', 'neigh', 'replace', HOST_IP, 'lladdr', HOST_MAC, 'dev', PEER_IF, 'nud', 'permanent']);
  sh('ip', ['link', 'set', HOST_IF, 'up']);
  sh('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', PEER_IF, 'up']);
}

function tearDownVeth(): void {
  for (const args of [['link', 'del', HOST_IF], ['netns', 'del', NS]]) {
    try {
      sh('ip', args);
    } catch {
      // Already gone (deleting one end of a veth removes the other).
    }
  }
}

/** Sends the datagrams from inside the namespace, paced over about three seconds so the chart sees several seconds. */
function sendFromNamespace(): void {
  const script = `
    const s = require('node:dgram').createSocket('udp4');
    const buf = Buffer.alloc(${PAYLOAD}, 7);
    let n = 0;
    s.bind(0, '${PEER_IP}', () => {
      const t = setInterval(() => {
        for (let i = 0; i < 10 && n < ${DATAGRAMS}; i++, n++) s.send(buf, ${PORT}, '${HOST_IP}');
        if (n >= ${DATAGRAMS}) { clearInterval(t); setTimeout(() => s.close(), 200); }
      }, 100);
    });`;
  sh('ip', ['netns', 'exec', NS, process.execPath, '-e', script]);
}

const exactBytes = (title: string | null): number => Number((title ?? '').split(' bytes')[0].replace(/[^0-9]/g, ''));
const exactPackets = (title: string | null): number => Number((title ?? '').split(', ')[1]?.replace(/[^0-9]/g, '') ?? NaN);

describe('live capture on a veth pair', () => {
  let served: Served;
  let session: BrowserSession;
  const sink = dgram.createSocket('udp4');

  beforeAll(async () => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`browser tests need the build: ${missing}`);
    tearDownVeth();
    setUpVeth();
    // A listener, so the host answers nothing (no ICMP port unreachable on the wire).
    await new Promise<void>((resolve) => sink.bind(PORT, HOST_IP, resolve));
    // Start with a finished replay so the dashboard has no live capture until the user picks one.
    served = await startServe({ replay: path.join(FIXTURES, 'tcp-handshake-nano.pcap'), speed: 0 });
    session = await openBrowser();
  });

  afterAll(async () => {
    await session?.close();
    await served?.stop();
    sink.close();
    tearDownVeth();
  });

  it('picks the interface, and shows exactly the traffic that was sent', async () => {
    const { page } = session;
    await page.goto(served.dashboard);
    await page.getByRole('button', { name: 'Interfaces' }).click();
    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: HOST_IF, exact: true }) });
    // As a user would: if the list predates the interface or failed to load, refresh it.
    // A loaded machine may still be rendering the view: a missed click is simply tried again.
    await expect.poll(async () => {
      if ((await card.count()) === 0) await page.getByRole('button', { name: 'Refresh' }).click({ timeout: 5_000 }).catch(() => undefined);
      return card.count();
    }, { timeout: 45_000 }).toBe(1);
    expect(await card.textContent()).toContain(`${HOST_IP}/30`);
    await card.getByRole('button', { name: `Capture on ${HOST_IF}` }).click();
    await expect.poll(async () => page.getByTestId('capture-status').textContent(), { timeout: 20_000 }).toBe(`Live on ${HOST_IF}`);

    sendFromNamespace();
    const totals = async (): Promise<{ bytes: number; packets: number }> => {
      const tin = await page.getByTestId('total-in').getAttribute('title');
      const tout = await page.getByTestId('total-out').getAttribute('title');
      return { bytes: exactBytes(tin) + exactBytes(tout), packets: exactPackets(tin) + exactPackets(tout) };
    };
    await expect.poll(totals, { timeout: 20_000 }).toEqual({ bytes: DATAGRAMS * FRAME, packets: DATAGRAMS });
    await page.getByRole('radio', { name: '1 s' }).click();
    await page.getByRole('combobox', { name: 'Window' }).selectOption('60');
    await screenshot(page, 'overview-live-veth');

    // Back on the picker, the interface shows its own live sparkline.
    await page.getByRole('button', { name: 'Interfaces' }).click();
    await expect.poll(async () => card.getByRole('img', { name: `Traffic on ${HOST_IF} over the last minute` }).count(), { timeout: 10_000 }).toBe(1);
    await screenshot(page, 'interfaces-live-veth');

    await page.getByRole('button', { name: 'Flows' }).click();
    await page.getByLabel('Port').fill(String(PORT));
    const grid = page.getByRole('grid', { name: 'Flows' });
    const row = grid.locator('[role=row][data-flow-id]');
    await expect.poll(async () => row.count(), { timeout: 20_000 }).toBe(1);
    const cells = await row.first().locator('[role=gridcell]').allTextContents();
    expect(cells[0]).toMatch(new RegExp(`^${PEER_IP.replace(/\./g, '\\.')}:\\d+$`));
    expect(cells[1]).toBe(`${HOST_IP}:${PORT}`);
    expect(cells[3]).toBe('UDP');
    await expect.poll(async () => (await row.first().locator('[role=gridcell]').nth(7).textContent())?.replace(/[^0-9]/g, '')).toBe(String(DATAGRAMS));
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(async () => page.getByTestId('capture-status').textContent(), { timeout: 20_000 }).not.toBe(`Live on ${HOST_IF}`);
    expect(session.problems).toEqual([]);
  }, 120_000);
});
