/**
 * What parses a person's input on the Settings and Alerts screens and behind them: a settings patch from the
 * API and a channel from the API never throw, whatever arrives, and are either applied whole or refused with
 * the paths of what is wrong; the channel form's header lines parse back to what was written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertService } from '../../src-main/core/alerts/alert-service';
import { applyPatch, defaultSettings, saveSettingsPatch } from '../../src-main/core/settings';
import { parseHeaders } from '../../src-renderer/views/alerts/channel-draft';

const leaf = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 40 }), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }));
const key = fc.oneof(fc.constantFrom('capture', 'flows', 'history', 'log', 'server', 'snaplen', 'udpIdleSec', 'minuteDays', 'hourDays', 'bpf', 'interfaces', '__proto__'), fc.string({ maxLength: 12 }));
const patch = fc.dictionary(key, fc.oneof(fc.dictionary(key, leaf, { maxKeys: 4 }), leaf), { maxKeys: 4 });

describe('settings patches', () => {
  it('are applied whole or refused with paths, and a refused one leaves the file as it was', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-fuzz-settings-'));
    const file = path.join(dir, 'netmon.yaml');
    const original = '# kept\nflows:\n  udpIdleSec: 30 # a comment\n';
    try {
      await fc.assert(
        fc.asyncProperty(patch, async (p) => {
          fs.writeFileSync(file, original, { mode: 0o600 });
          const result = applyPatch(defaultSettings(), p);
          if (!result.ok) {
            expect(result.issues.length).toBeGreaterThan(0);
            for (const issue of result.issues) expect(typeof issue.path).toBe('string');
            return;
          }
          // What the API accepted is written, the comments kept.
          await saveSettingsPatch(file, p as never);
          expect(fs.readFileSync(file, 'utf8')).toContain('# kept');
        }),
        { numRuns: 400 },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('channels from the API', () => {
  it('never throw, and a refused one changes nothing', () => {
    const db = new Database(':memory:');
    const service = new AlertService({ db });
    const input = fc.oneof(
      fc.anything(),
      fc.record({
        kind: fc.constantFrom('discord', 'webhook', 'command', 'desktop', 'x'),
        name: fc.oneof(fc.string({ maxLength: 120 }), fc.integer()),
        url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 40 })),
        headers: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string({ maxLength: 20 }), fc.integer())), fc.anything()),
        id: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 70 })),
        burst: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })),
      }, { requiredKeys: ['kind'] }),
    );
    try {
      fc.assert(
        fc.property(input, (channel) => {
          const before = service.listChannels();
          const result = service.createChannel(channel);
          if (result.ok) {
            expect(service.deleteChannel(result.value.id)).toMatchObject({ ok: true });
          } else {
            expect(result.errors.length).toBeGreaterThan(0);
            expect(service.listChannels()).toEqual(before);
          }
        }),
        { numRuns: 400 },
      );
    } finally {
      service.close();
      db.close();
    }
  });
});

describe('header lines of the channel form', () => {
  it('parse back to what was written, and never throw', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/);
    const value = fc.string({ maxLength: 30 }).filter((v) => !v.includes('\n') && v.trim() === v);
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 5 }), (headers) => {
        const text = Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\n');
        expect(parseHeaders(text)).toEqual({ ok: true, headers });
      }),
    );
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => {
      const r = parseHeaders(text);
      expect(typeof r.ok).toBe('boolean');
    }));
  });
});
