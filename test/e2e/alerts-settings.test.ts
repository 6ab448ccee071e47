/**
 * The Alerts and Settings screens as a person uses them, at 1280×800 and 1920×1080 in light and dark, in
 * Chromium against `netmon serve --config FILE`: channels made, tested (against a real local HTTP server),
 * edited and deleted; a rule made with the interface picker whose condition reads as a sentence; stale
 * messages gone once a field is fixed; settings saved into the file and still there after serve restarts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { InterfaceInfo } from '../../src-main/api/types/interfaces';
import { TestServer } from '../integration/notifiers/test-server';
import type { BrowserSession, Served } from './browser';
import { cutWithoutTitle, missingPrerequisite, openBrowser, REPO, screenshot, startServe } from './browser';

const DEMO = path.join(REPO, 'assets/demo.pcapng');
const RUNS = [
  { width: 1280, height: 800, theme: 'light' },
  { width: 1280, height: 800, theme: 'dark' },
  { width: 1920, height: 1080, theme: 'light' },
  { width: 1920, height: 1080, theme: 'dark' },
] as const;

const SETTINGS_FILE = `# Netmon settings for the browser tests
capture:
  bpf: "" # every packet
alerts:
  channels:
    - id: pager
      kind: command
      name: Pager script
      argv: [/bin/true]
`;

const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name }).click();

describe('Alerts and Settings at 1280×800 and 1920×1080, light and dark', () => {
  let dir: string;
  let config: string;
  let db: string;
  let served: Served;
  let hook: TestServer;
  let interfaces: string[];
  const interfacesNow = async (): Promise<string[]> =>
    ((await (await fetch(`${served.url}/api/interfaces`, { headers: served.auth })).json()) as InterfaceInfo[]).map((i) => i.name);

  beforeAll(async () => {
    const missing = missingPrerequisite();
    if (missing) throw new Error(`browser tests need the build: ${missing}`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-e2e-settings-'));
    config = path.join(dir, 'netmon.yaml');
    db = path.join(dir, 'history.sqlite');
    fs.writeFileSync(config, SETTINGS_FILE, { mode: 0o600 });
    hook = await TestServer.start();
    served = await startServe({ replay: DEMO, speed: 0, config, db });
    interfaces = await interfacesNow();
    expect(interfaces.length).toBeGreaterThan(0);
  }, 60_000);

  afterAll(async () => {
    await served?.stop();
    await hook?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  RUNS.forEach((run, index) => {
    const tag = `${run.width}x${run.height}-${run.theme}`;
    it(`${tag}: channels and a rule made, tested and listed after a reload; settings saved into the file`, async () => {
      const session: BrowserSession = await openBrowser({ colorScheme: run.theme, width: run.width, height: run.height });
      try {
        const { page } = session;
        await page.goto(served.dashboard);
        await expect.poll(async () => page.getByTestId('capture-status').textContent(), { timeout: 20_000 }).toMatch(/demo\.pcapng/);
        expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(run.theme);

        // ---------------------------------------------------------------- Alerts: channels
        await nav(page, 'Alerts');
        const channelsTable = page.getByRole('table', { name: 'Channels' });
        const pager = channelsTable.getByRole('row', { name: /Pager script/ });
        await pager.waitFor();
        // A command channel: testable and switchable, never edited or deleted here, and the screen says why.
        expect(await pager.getByRole('button', { name: 'Edit Pager script' }).count()).toBe(0);
        expect(await pager.getByRole('button', { name: 'Delete Pager script' }).count()).toBe(0);
        await page.getByText(/Command channels run a program on this machine, so they are set in the settings file only/).waitFor();

        const name = `Hook ${tag}`;
        await page.getByRole('button', { name: 'New channel' }).click();
        const form = page.getByRole('form', { name: 'New channel' });
        await form.getByLabel('Kind', { exact: true }).selectOption('webhook');
        await form.getByLabel('Name', { exact: true }).fill(name);
        const url = form.getByLabel('URL', { exact: true });
        await url.fill('ftp://example.org/hook');
        await form.getByLabel('Headers (one “Name: value” a line, optional)').fill('X-Netmon-Test: yes');
        await form.getByRole('button', { name: 'Create channel' }).click();
        const urlError = form.locator('label.invalid', { hasText: 'URL' }).locator('.field-error');
        await expect.poll(() => urlError.textContent()).toBe('must be an http:// or https:// URL, got ftp:');
        expect(await url.getAttribute('aria-invalid')).toBe('true');
        // Fixing the field clears its message at once, before anything is sent.
        await url.fill(hook.url(`/run-${index}`));
        expect(await form.locator('.field-error').count()).toBe(0);
        expect(await url.getAttribute('aria-invalid')).toBe('false');
        await form.getByRole('button', { name: 'Create channel' }).click();
        await expect.poll(() => form.count()).toBe(0);
        const row = channelsTable.getByRole('row', { name: new RegExp(name) });
        await row.waitFor();

        // Listed after a reload: it was made on the server.
        await page.reload();
        await nav(page, 'Alerts');
        await row.waitFor();

        // Send test: the outcome the receiver gave, delivered and then refused.
        const before = hook.received.length;
        await row.getByRole('button', { name: `Send test to ${name}` }).click();
        const outcome = row.getByRole('status', { name: `Test of ${name}` });
        await expect.poll(() => outcome.textContent()).toBe('Delivered (HTTP 204)');
        expect(hook.received.length).toBe(before + 1);
        expect(hook.received[before]).toMatchObject({ path: `/run-${index}`, headers: { 'x-netmon-test': 'yes' }, body: { schema: 'netmon.alert.v1', type: 'test' } });
        hook.reply({ status: 404, body: '{"message": "Unknown Webhook"}' });
        await row.getByRole('button', { name: `Send test to ${name}` }).click();
        await expect.poll(() => outcome.textContent()).toBe('Failed (HTTP 404): {"message": "Unknown Webhook"}');

        // Edit: a new name, listed at once and after a reload.
        await row.getByRole('button', { name: `Edit ${name}` }).click();
        const edit = page.getByRole('form', { name: `Edit channel ${name}` });
        expect(await edit.getByLabel('Id', { exact: true }).inputValue()).toMatch(/^hook-/);
        const renamed = `Ops ${tag}`;
        await edit.getByLabel('Name', { exact: true }).fill(renamed);
        await edit.getByRole('button', { name: 'Save channel' }).click();
        await expect.poll(() => edit.count()).toBe(0);
        const renamedRow = channelsTable.getByRole('row', { name: new RegExp(renamed) });
        await renamedRow.waitFor();

        // ---------------------------------------------------------------- Alerts: a rule
        await page.getByRole('button', { name: 'New rule' }).click();
        const ruleForm = page.getByRole('form', { name: 'New rule' });
        expect(await ruleForm.getByLabel('Direction', { exact: true }).inputValue()).toBe('both');
        await ruleForm.getByLabel('Name', { exact: true }).fill(`Busy link ${tag}`);
        await ruleForm.getByLabel('Scope', { exact: true }).selectOption('interface');
        const picker = ruleForm.getByLabel('Interface name', { exact: true });
        // A picker of this machine's interfaces, not free text.
        expect(await picker.evaluate((el) => el.tagName)).toBe('SELECT');
        // Other tests add and remove veth pairs meanwhile: every option is an interface the server lists, and
        // every interface listed before and after is offered.
        const options = await picker.locator('option').allTextContents();
        const after = await interfacesNow();
        expect(options.filter((o) => !interfaces.includes(o) && !after.includes(o))).toEqual([]);
        expect(interfaces.filter((i) => after.includes(i) && !options.includes(i))).toEqual([]);
        expect(options).toContain('lo');
        const iface = 'lo';
        await picker.selectOption(iface);
        const threshold = ruleForm.getByLabel('Threshold (k, M, G allowed)', { exact: true });
        await threshold.fill('-5');
        await ruleForm.getByLabel('For at least (s)', { exact: true }).fill('30');
        await ruleForm.getByRole('checkbox', { name: renamed }).check();
        await ruleForm.getByRole('button', { name: 'Create rule' }).click();
        const thresholdError = ruleForm.locator('label.invalid', { hasText: 'Threshold' }).locator('.field-error');
        await expect.poll(() => thresholdError.textContent()).toBe('must be zero or more, got -5');
        await threshold.fill('10M');
        expect(await ruleForm.locator('.field-error').count()).toBe(0);
        const sentence = `When traffic in both directions on ${iface} exceeds 10.0 Mbit/s for 30 s, notify webhook “${renamed}”`;
        expect(await ruleForm.getByTestId('rule-preview').textContent()).toBe(sentence);
        await ruleForm.getByRole('button', { name: 'Create rule' }).click();
        await expect.poll(() => ruleForm.count()).toBe(0);
        const ruleRow = page.getByRole('table', { name: 'Rules' }).getByRole('row', { name: new RegExp(`Busy link ${tag}`) });
        expect(await ruleRow.getByTestId('rule-sentence').textContent()).toBe(sentence);

        expect(await cutWithoutTitle(page), `${tag} alerts: text cut without a tooltip`).toEqual([]);
        await screenshot(page, `alerts-channels-${tag}`);

        // A channel a rule uses is not deleted; once the rule is gone, it is.
        page.on('dialog', (d) => void d.accept());
        await renamedRow.getByRole('button', { name: `Delete ${renamed}` }).click();
        await page.getByRole('alert').filter({ hasText: /is used by 'Busy link/ }).waitFor();
        await ruleRow.getByRole('button', { name: `Delete Busy link ${tag}` }).click();
        await expect.poll(() => ruleRow.count()).toBe(0);
        await renamedRow.getByRole('button', { name: `Delete ${renamed}` }).click();
        await expect.poll(() => renamedRow.count()).toBe(0);
        await page.reload();
        await nav(page, 'Alerts');
        await pager.waitFor();
        expect(await renamedRow.count()).toBe(0);

        // ---------------------------------------------------------------- Settings
        await nav(page, 'Settings');
        await page.getByRole('heading', { name: 'Settings' }).waitFor();
        expect(await page.getByTestId('settings-file').textContent()).toContain(config);
        const fixed = page.getByRole('table', { name: 'Settings not changed here' });
        for (const key of ['server.bind', 'server.token', 'server.maxUploadMb', 'history.dbPath', 'capture.replayDir']) {
          expect(await fixed.getByRole('row').filter({ hasText: key }).count(), key).toBe(1);
        }
        // --bind and --db were given as flags: the reason says so.
        expect(await fixed.getByRole('row').filter({ hasText: 'server.bind' }).textContent()).toMatch(/NETMON_SERVER_BIND or a command-line flag/);
        expect(await fixed.getByRole('row').filter({ hasText: 'capture.replayDir' }).textContent()).toMatch(/names a file or directory/);

        const snaplen = page.getByLabel('Snap length (bytes per packet)');
        const udpIdle = page.getByLabel('UDP flow ends after idle (s)');
        const save = page.getByRole('button', { name: 'Save settings' });
        expect(await save.isDisabled()).toBe(true);
        await snaplen.fill('lots');
        await page.getByLabel('Keep 1-hour traffic (days)').fill('1');
        await save.click();
        const snapError = page.locator('label.invalid', { hasText: 'Snap length' }).locator('.field-error');
        await expect.poll(() => snapError.textContent()).toBe('expected a whole number, got "lots"');
        expect(await page.locator('label.invalid', { hasText: 'Keep 1-hour traffic' }).locator('.field-error').textContent()).toBe('must be at least history.minuteDays (30)');
        expect(await page.getByTestId('settings-message').textContent()).toBe('Nothing was saved: see the fields marked below.');
        // Fixed fields lose their messages at once.
        const snap = String(1500 + index);
        await snaplen.fill(snap);
        expect(await snapError.count()).toBe(0);
        await page.getByLabel('Keep 1-hour traffic (days)').fill('365');
        expect(await page.locator('.settings-view .field-error').count()).toBe(0);
        const idle = String(40 + index);
        await udpIdle.fill(idle);
        await save.click();
        await expect.poll(() => page.getByTestId('settings-message').textContent()).toBe(`Saved to ${config}.`);
        // In the file, as serve reads it, with its comments.
        const text = fs.readFileSync(config, 'utf8');
        expect(text).toContain('# Netmon settings for the browser tests');
        expect(text).toContain('bpf: "" # every packet');
        expect(text).toContain(`snaplen: ${snap}`);
        expect(text).toContain(`udpIdleSec: ${idle}`);
        expect(text).toMatch(/kind: command\n\s+name: Pager script\n\s+argv: \[ ?\/bin\/true ?\]/);

        expect(await cutWithoutTitle(page), `${tag} settings: text cut without a tooltip`).toEqual([]);
        const themes = page.locator('.settings-view').getByRole('radiogroup', { name: /Theme/ });
        for (const t of ['Light', 'Dark', 'System']) expect(await themes.getByRole('radio', { name: t }).count()).toBe(1);
        await screenshot(page, `settings-${tag}`);

        await page.reload();
        await nav(page, 'Settings');
        await expect.poll(() => page.getByLabel('Snap length (bytes per packet)').inputValue()).toBe(snap);
        expect(session.problems).toEqual([]);
      } finally {
        await session.close();
      }
    }, 120_000);
  });

  it('shows the saved settings after serve restarts on the same file', async () => {
    await served.stop();
    served = await startServe({ replay: DEMO, speed: 0, config, db });
    const session = await openBrowser({ width: 1280, height: 800 });
    try {
      const { page } = session;
      await page.goto(served.dashboard);
      await nav(page, 'Settings');
      await expect.poll(() => page.getByLabel('Snap length (bytes per packet)').inputValue()).toBe(String(1500 + RUNS.length - 1));
      expect(await page.getByLabel('UDP flow ends after idle (s)').inputValue()).toBe(String(40 + RUNS.length - 1));
    } finally {
      await session.close();
    }
  }, 60_000);
});
