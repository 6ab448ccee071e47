/**
 * The Overview's web sections panel in Chromium against a real `netmon serve`
 * replaying the generated web-sections.pcap (requests at known times, tshark
 * truth in test/fixtures/web-sections), then an HTTPS-only capture whose
 * panel says why it has no sections; and the REST face, authenticated and
 * validated like the others.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import type { BrowserSession, Served } from './browser';
import { FIXTURES, missingPrerequisite, openBrowser, REPO, screenshot, startServe } from './browser';
import type { WebTruth } from '../../scripts/make-web-sections-truth';
import { WEB_CAPTURE_NAME, webSectionsCapture } from '../../scripts/web-sections-capture';

const truth = JSON.parse(fs.readFileSync(path.join(REPO, 'test/fixtures/web-sections', `${WEB_CAPTURE_NAME}.json`), 'utf8')) as WebTruth;

/** The panel's rows as "host n" and "  section n" lines. */
async function panelRows(panel: Locator): Promise<string[]> {
  const rows = panel.locator('tbody tr');
  const out: string[] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    const cls = (await row.getAttribute('class')) ?? '';
    const cells = (await row.locator('th, td').allTextContents()).map((t) => t.trim());
    out.push(`${cls === 'web-section' ? '  ' : ''}${cells.join(' ')}`);
  }
  return out;
}

describe('web sections panel', () => {
  let served: Served;
  let session: BrowserSession;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-e2e-web-'));
  const capture = path.join(dir, WEB_CAPTURE_NAME);
  const tlsOnly = path.join(dir, 'tls.pcap');

  beforeAll(async () => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`browser tests need the build: ${missing}`);
    fs.writeFileSync(capture, webSectionsCapture());
    fs.copyFileSync(path.join(FIXTURES, 'tls.pcap'), tlsOnly);
    served = await startServe({ replay: capture, speed: 0, replayDir: dir });
    session = await openBrowser();
  });

  afterAll(async () => {
    await session?.close();
    await served?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the top hosts and their sections over the last 10 s and the session', async () => {
    const { page } = session;
    await page.goto(served.dashboard);
    await page.getByRole('button', { name: 'Overview' }).click();
    const panel = page.getByRole('region', { name: /Web sections/ });
    // The last 10 s of the file end at its newest packet (70.5 s): requests at 62, 65, 70 and 70.5 s.
    await expect.poll(() => panelRows(panel), { timeout: 20_000 }).toEqual([
      'api.example:8080 2',
      '  /api 2',
      'shop.example 1',
      '  /products 1',
      'v6.example 1',
      '  / 1',
    ]);
    await panel.getByRole('radio', { name: 'Session' }).click();
    const expected = truth.sections.flatMap((h) => [`${h.host} ${h.requests}`, ...h.sections.map((s) => `  ${s.section} ${s.requests}`)]);
    await expect.poll(() => panelRows(panel), { timeout: 10_000 }).toEqual(expected);
    expect(await panel.getByRole('heading').textContent()).toContain('over this capture');
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, 'web-sections');
  });

  it('answers GET /api/web-sections for a token only, and refuses a window it does not know', async () => {
    const get = (query: string, auth = true) => fetch(`${served.url}/api/web-sections${query}`, { headers: auth ? served.auth : {} });
    const session = await get('?window=session');
    expect(session.status).toBe(200);
    const body = (await session.json()) as { hosts: Array<{ host: string; requests: number }>; requests: number };
    expect(body.requests).toBe(truth.requests.length);
    expect(body.hosts.map((h) => [h.host, h.requests])).toEqual(truth.sections.map((h) => [h.host, h.requests]));
    const minute = (await (await get('?window=60s')).json()) as { requests: number };
    expect(minute.requests).toBe(8);
    expect((await get('?window=5m')).status).toBe(400);
    expect((await get('?window=session', false)).status).toBe(401);
  });

  it('says why an HTTPS-only capture has no sections', async () => {
    const { page } = session;
    const started = await fetch(`${served.url}/api/capture/start`, {
      method: 'POST',
      headers: { ...served.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'replay', file: tlsOnly, speed: 0 }),
    });
    expect(started.status).toBe(200);
    const panel = page.getByRole('region', { name: /Web sections/ });
    await expect
      .poll(async () => (await panel.getByTestId('web-sections-empty').count()) > 0 ? panel.getByTestId('web-sections-empty').textContent() : '', { timeout: 20_000 })
      .toMatch(/^No plaintext HTTP request in this capture\. [1-9]\d* encrypted handshakes \(TLS, QUIC\) seen in this capture\. Sections need plaintext HTTP/);
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, 'web-sections-empty');
  });
});
