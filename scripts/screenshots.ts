/**
 * Saves the dashboard's screens to docs/screenshots/ (the README's pictures): `netmon serve` replays a freshly
 * generated demo capture (scripts/make-demo-capture.ts) with a settings file, a Discord-style and a webhook
 * channel that post to a local HTTP server, and a rule that fires during the capture's download; Debian's
 * Chromium (playwright-core) takes each screen in the light theme at 1280×800 and in the dark at 1920×1080.
 * A capture file has no applications (only a live capture on Linux finds each connection's program): the
 * Applications screen shows an example live session written into the history before serve starts.
 *
 *   npm run screenshots                  (builds first)
 *   node dist/scripts/screenshots.js [OUT_DIR]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Page } from 'playwright-core';
import type { FlowApplication, FlowSummary } from '../src-main/api/types/flows';
import { HistoryDb } from '../src-main/core/history-db';
import { startServe, type ServeProcess } from '../test/helpers/serve-process';

const REPO = path.resolve(__dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';

type Theme = 'light' | 'dark';
const LOOKS: ReadonlyArray<{ theme: Theme; width: number; height: number; suffix: string }> = [
  { theme: 'light', width: 1280, height: 800, suffix: '' },
  { theme: 'dark', width: 1920, height: 1080, suffix: '-dark' },
];

const SETTINGS = `# Netmon settings (made by scripts/screenshots.ts)
capture:
  bpf: "" # every packet
flows:
  udpIdleSec: 30
alerts:
  channels:
    - id: pager
      kind: command
      name: Pager script
      argv: [/bin/true]
`;

/** An example live session of a desktop: a browser, a package download, a script and a system daemon. */
function writeExampleSession(file: string): void {
  const now = Date.now();
  const user = (label: string, pid: number, exe: string): FlowApplication => ({ label, pid, name: label, exe, uid: 1000, user: 'alice', system: false });
  const apps = {
    firefox: user('firefox', 2210, '/usr/lib/firefox/firefox'),
    curl: user('curl', 4102, '/usr/bin/curl'),
    python3: user('python3', 3920, '/usr/bin/python3.12'),
    apt: { label: 'system (user 42)', pid: null, name: null, exe: null, uid: 42, user: '_apt', system: true },
    resolved: { label: 'system (user 991)', pid: null, name: null, exe: null, uid: 991, user: 'systemd-resolve', system: true },
  } satisfies Record<string, FlowApplication>;
  const rows: Array<[FlowApplication | undefined, string, number, string | null, number, number]> = [
    [apps.firefox, '198.51.100.7', 443, 'video.example.com', 180_000, 48_000_000],
    [apps.firefox, '203.0.113.20', 443, 'news.example.org', 60_000, 3_200_000],
    [apps.firefox, '203.0.113.21', 443, 'static.example.org', 20_000, 1_900_000],
    [apps.firefox, '192.0.2.80', 443, 'mail.example.net', 40_000, 700_000],
    [apps.curl, '203.0.113.5', 443, 'downloads.example.com', 90_000, 12_500_000],
    [apps.apt, '192.0.2.10', 80, 'deb.example.org', 30_000, 8_400_000],
    [apps.python3, '198.51.100.30', 8443, 'api.example.com', 2_400_000, 90_000],
    [apps.resolved, '192.0.2.53', 53, null, 9000, 21_000],
    [undefined, '192.0.2.99', 123, null, 900, 900],
  ];
  const flows = rows.map(([app, b, bPort, name, up, down], i): FlowSummary => ({
    id: `example:${i}`, iface: 'eth0', vlan: null, proto: bPort === 53 || bPort === 123 ? 'udp' : 'tcp', ipProto: bPort === 53 || bPort === 123 ? 17 : 6,
    a: '192.168.1.20', aPort: 40_000 + i, b, bPort,
    names: { a: null, b: null, sni: name, httpHost: null, dnsQuery: null, name, source: name === null ? null : 'sni' },
    aToB: { bytes: up, packets: Math.ceil(up / 1200) }, bToA: { bytes: down, packets: Math.ceil(down / 1400) },
    firstSeenMs: now - 600_000 + i * 20_000, lastSeenMs: now - 120_000 + i * 5000, state: 'fin', tcpFlags: 0x1b, icmp: null,
    bpsAToB: 0, bpsBToA: 0, active: false, ...(app === undefined ? {} : { app }),
  }));
  const db = new HistoryDb(file);
  db.startSession({ id: 'example', kind: 'live', source: 'eth0', startedAtMs: now - 600_000 });
  db.recordFinishedFlows(flows);
  db.endSession('example', now - 60_000);
  db.close();
}

/** A local receiver for the channels: answers 204, as Discord does. */
async function startReceiver(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function api<T>(serve: ServeProcess, method: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${serve.url}${route}`, {
    method,
    headers: { ...serve.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  for (const start = Date.now(); Date.now() - start < timeoutMs; ) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name, exact: true }).click();

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? path.join(REPO, 'docs', 'screenshots'));
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  fs.mkdirSync(outDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-screenshots-'));
  const capture = path.join(work, 'demo.pcapng');
  const made = spawnSync(process.execPath, [path.join(REPO, 'dist', 'scripts', 'make-demo-capture.js'), capture], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`make-demo-capture failed: ${made.stderr}`);
  const config = path.join(work, 'netmon.yaml');
  fs.writeFileSync(config, SETTINGS, { mode: 0o600 });

  writeExampleSession(path.join(work, 'history.sqlite'));
  const receiver = await startReceiver();
  const serve = await startServe(['--bind', '127.0.0.1:0', '--replay', capture, '--speed', '0', '--replay-dir', work, '--config', config, '--db', path.join(work, 'history.sqlite')]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  const saved: string[] = [];
  try {
    const finished = async () => (await api<{ state: string }>(serve, 'GET', '/api/capture/status')).state === 'finished';
    await waitFor('the first replay', finished);
    await api(serve, 'POST', '/api/alerts/channels', { kind: 'discord', name: 'Ops on Discord', url: `${receiver.url}/discord` });
    await api(serve, 'POST', '/api/alerts/channels', { kind: 'webhook', name: 'Incident hook', url: `${receiver.url}/hook`, headers: { 'X-Netmon': 'demo' } });
    await api(serve, 'POST', '/api/alerts/rules', {
      name: 'Big download', metric: 'bps', direction: 'in', threshold: '200k', recoveryThreshold: '100k', windowSec: 3, forSec: 1, cooldownSec: 60,
      severity: 'critical', channels: ['ops-on-discord', 'incident-hook'],
    });
    await api(serve, 'POST', '/api/alerts/rules', { name: 'Quiet link', metric: 'bps', direction: 'both', comparison: 'below', threshold: '1k', windowSec: 10, forSec: 30, channels: ['pager'] });

    // A capture that runs: the Overview's rates and the flow table while it moves.
    await api(serve, 'POST', '/api/capture/start', { kind: 'replay', file: capture, speed: 1 });
    const pages = await Promise.all(LOOKS.map(async (look) => {
      const context = await browser.newContext({ viewport: { width: look.width, height: look.height }, colorScheme: look.theme });
      const page = await context.newPage();
      await page.goto(`${serve.url}/#token=${serve.token}`);
      return { look, page };
    }));
    const shot = async (page: Page, name: string) => {
      const file = path.join(outDir, `${name}.png`);
      await page.screenshot({ path: file });
      saved.push(file);
    };
    await new Promise((r) => setTimeout(r, 20_000));
    for (const { look, page } of pages) {
      await nav(page, 'Overview');
      await page.locator('.chart .recharts-area-curve').first().waitFor({ timeout: 20_000 });
      await shot(page, `overview${look.suffix}`);
      await nav(page, 'Flows');
      await page.locator('[role=grid][aria-label="Flows"] [role=row][data-flow-id]').first().waitFor();
      await shot(page, `flows${look.suffix}`);
    }
    await waitFor('the replay to end', finished);

    for (const { look, page } of pages) {
      await page.reload();
      await nav(page, 'Interfaces');
      await page.getByRole('heading', { name: 'Interfaces' }).waitFor();
      await shot(page, `interfaces${look.suffix}`);

      // An ended flow's details: the demo's download (TLS, with its name), else the first flow.
      await nav(page, 'Flows');
      const rows = page.locator('[role=grid][aria-label="Flows"] [role=row][data-flow-id]');
      await rows.first().waitFor();
      const download = rows.filter({ hasText: '198.51.100.7:443' }).first();
      await ((await download.count()) > 0 ? download : rows.first()).click();
      await page.getByTestId('flow-detail').locator('.recharts-area-curve').first().waitFor({ timeout: 20_000 }).catch(() => undefined);
      await shot(page, look.theme === 'light' ? 'flow-details' : 'flow-details-wide-dark');
      await page.getByTestId('flow-detail').getByRole('button', { name: 'Export this flow' }).click();
      await page.getByRole('heading', { name: 'Export' }).waitFor();
      await shot(page, `export${look.suffix}`);

      await nav(page, 'Alerts');
      await page.getByRole('table', { name: 'Channels' }).waitFor();
      await page.getByTestId('alert-event').first().waitFor({ timeout: 10_000 }).catch(() => undefined);
      const hook = page.getByRole('table', { name: 'Channels' }).getByRole('row', { name: /Incident hook/ });
      await hook.getByRole('button', { name: 'Send test to Incident hook' }).click();
      await hook.getByRole('status').filter({ hasText: /Delivered|Failed/ }).waitFor();
      await shot(page, `alerts${look.suffix}`);

      await nav(page, 'Settings');
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
      await page.getByLabel('UDP flow ends after idle (s)').waitFor();
      await shot(page, `settings${look.suffix}`);

      await nav(page, 'Applications');
      const picker = page.getByLabel('Capture');
      const example = (await picker.locator('option').allTextContents()).findIndex((o) => o.startsWith('Live eth0'));
      await picker.selectOption({ index: example });
      await page.getByRole('table', { name: 'Applications' }).locator('tr[data-application="firefox"]').waitFor();
      await shot(page, `applications${look.suffix}`);
    }
  } finally {
    await browser.close();
    await serve.stop();
    await receiver.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
  for (const file of saved) process.stdout.write(`${path.relative(process.cwd(), file)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`screenshots: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
