import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DASHBOARD_CSP,
  captureRightsCommand,
  isSafeExternalUrl,
  isTrustedSenderUrl,
  shellQuote,
} from '../../../src-main/electron/security-policy';
import { trayRateLabel } from '../../../src-main/electron/tray-label';

const dashboard = 'file:///opt/Netmon/resources/app/dist/renderer/';

describe('IPC sender validation', () => {
  it('accepts the dashboard page and its sub-pages', () => {
    expect(isTrustedSenderUrl(`${dashboard}index.html`, dashboard)).toBe(true);
    expect(isTrustedSenderUrl(`${dashboard}index.html#/flows`, dashboard)).toBe(true);
  });

  it('refuses other schemes, other folders and paths escaping the folder', () => {
    expect(isTrustedSenderUrl('https://example.com/index.html', dashboard)).toBe(false);
    expect(isTrustedSenderUrl('file:///tmp/evil.html', dashboard)).toBe(false);
    expect(isTrustedSenderUrl(`${dashboard}../../../../../tmp/evil.html`, dashboard)).toBe(false);
    expect(isTrustedSenderUrl('file:///opt/Netmon/resources/app/dist/renderer-evil/index.html', dashboard)).toBe(false);
    expect(isTrustedSenderUrl('not a url', dashboard)).toBe(false);
    expect(isTrustedSenderUrl('about:blank', dashboard)).toBe(false);
  });
});

describe('external links', () => {
  it('opens https links only', () => {
    expect(isSafeExternalUrl('https://github.com/netmon')).toBe(true);
    for (const url of ['http://example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'https://user:pw@example.com', '']) {
      expect(isSafeExternalUrl(url), url).toBe(false);
    }
  });
});

describe('content security policy', () => {
  it('allows only the dashboard\'s own scripts and no network', () => {
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).toContain("connect-src 'none'");
    expect(DASHBOARD_CSP).not.toMatch(/unsafe-(inline|eval)/);
  });
});

describe('elevation command', () => {
  it('survives hostile user and path names through a real shell', () => {
    const hostile = `it's "me"; rm -rf / $(reboot) \`id\``;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `netmon 'rights $(id)-`));
    // A script standing in for capture-rights.sh that prints its arguments: they arrive intact.
    const script = path.join(dir, 'capture-rights.sh');
    fs.writeFileSync(script, 'printf "%s|" "$@"\n');
    const command = captureRightsCommand(script, path.join(dir, `prog ' "x"`), hostile);
    const out = execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(out).toBe(`install|--program|${path.join(dir, `prog ' "x"`)}|--user|${hostile}|`);
  });

  it('quotes single quotes', () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });
});

describe('tray label', () => {
  it('uses bits per second with decimal units', () => {
    expect(trayRateLabel(0, 0)).toBe('↓ 0 bit/s ↑ 0 bit/s');
    expect(trayRateLabel(1_550_000, 125)).toBe('↓ 12.4 Mbit/s ↑ 1.0 kbit/s');
    expect(trayRateLabel(125_000_000_000, 12_500)).toBe('↓ 1000 Gbit/s ↑ 100 kbit/s');
  });
});
