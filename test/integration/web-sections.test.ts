/**
 * Web sections against tshark's `http.request.uri` and `http.host`: every
 * capture of ../shared/fixtures/pcap that has a plaintext HTTP request and
 * the generated web-sections.pcap, with the truth committed in
 * test/fixtures/web-sections (remade or checked with
 * `node dist/scripts/make-web-sections-truth.js [--check]`, tshark needed
 * there only). The 10 s and 60 s windows on the generated capture, whose
 * request times are known. Needs `npm run build:ts` for the CLI check.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src-capture-helper/capture-file/read-capture-file';
import { CaptureEngine } from '../../src-capture-helper/pipeline/engine';
import type { WebTruth } from '../../scripts/make-web-sections-truth';
import { WEB_CAPTURE_NAME, WEB_CAPTURE_START, webSectionsCapture } from '../../scripts/web-sections-capture';

const REPO = path.resolve(__dirname, '../..');
const FIXTURES = path.resolve(REPO, '../shared/fixtures/pcap');
const TRUTH_DIR = path.join(REPO, 'test/fixtures/web-sections');
const CLI = path.join(REPO, 'dist/src-main/cli/netmon.js');

const work = mkdtempSync(path.join(tmpdir(), 'netmon-web-sections-'));
const generated = path.join(work, WEB_CAPTURE_NAME);
writeFileSync(generated, webSectionsCapture());
afterAll(() => rmSync(work, { recursive: true, force: true }));

const truths = readdirSync(TRUTH_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(path.join(TRUTH_DIR, f), 'utf8')) as WebTruth);

function fileOf(name: string): string {
  return name === WEB_CAPTURE_NAME ? generated : path.join(FIXTURES, name);
}

describe('web sections against tshark', () => {
  it('has truth for the generated capture and for the shared fixtures with HTTP', () => {
    expect(truths.map((t) => t.file)).toContain(WEB_CAPTURE_NAME);
    expect(truths.length).toBeGreaterThanOrEqual(5);
  });

  it.each(truths.map((t) => [t.file, t] as const))('%s', (name, truth) => {
    const file = fileOf(name);
    // The truth was made from these bytes.
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(truth.sha256);
    const engine = new CaptureEngine();
    const read = readCaptureFile(file, engine);
    const report = engine.finish(name, read);
    expect(report.web_sections).toEqual(truth.sections);
  });

  it('prints the table in the text report and the field in --json', () => {
    const text = spawnSync(process.execPath, [CLI, 'analyze', generated], { encoding: 'utf8' });
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('Web sections (plaintext HTTP requests by host and first path segment, 10 requests)');
    expect(text.stdout).toMatch(/\n {2}shop\.example +5 requests\n {4}\/products +3\n {4}\/cart +1\n/);
    const json = spawnSync(process.execPath, [CLI, 'analyze', generated, '--json'], { encoding: 'utf8' });
    const report = JSON.parse(json.stdout) as { web_sections: unknown };
    expect(report.web_sections).toEqual(truths.find((t) => t.file === WEB_CAPTURE_NAME)?.sections);
  });
});

describe('web sections windows on a replay with known times', () => {
  /** The extractor's top at `second` after the start, having read the packets up to the end of that second. */
  function topAt(second: number, window: '10s' | '60s' | 'session') {
    const engine = new CaptureEngine();
    const until = WEB_CAPTURE_START + second;
    readCaptureFile(generated, {
      packet: (rec) => {
        if (rec.tsSec <= until) engine.packet(rec);
      },
    });
    return engine.names?.webSections.top(window, until);
  }

  it('the last 10 s and 60 s at the end of the capture', () => {
    // Requests at 62 (api), 65 (shop), 70 (v6) and 70.5 (api) are in (60, 70].
    expect(topAt(70, '10s')).toEqual({
      requests: 4,
      dropped: 0,
      moreHosts: 0,
      hosts: [
        { host: 'api.example:8080', requests: 2, sections: [{ section: '/api', requests: 2 }] },
        { host: 'shop.example', requests: 1, sections: [{ section: '/products', requests: 1 }] },
        { host: 'v6.example', requests: 1, sections: [{ section: '/', requests: 1 }] },
      ],
    });
    // (10, 70]: everything but the two requests of the first seconds.
    expect(topAt(70, '60s')?.hosts).toEqual([
      { host: 'shop.example', requests: 3, sections: [{ section: '/products', requests: 2 }, { section: '/cart', requests: 1 }] },
      { host: 'api.example:8080', requests: 2, sections: [{ section: '/api', requests: 2 }] },
      { host: '198.51.100.21:8080', requests: 1, sections: [{ section: '/status', requests: 1 }] },
      { host: 'proxied.example', requests: 1, sections: [{ section: '/docs', requests: 1 }] },
      { host: 'v6.example', requests: 1, sections: [{ section: '/', requests: 1 }] },
    ]);
    expect(topAt(70, 'session')?.requests).toBe(10);
  });

  it('the last 10 s half way through', () => {
    // (21, 31]: two pipelined shop requests at 30 and the request without a Host header at 31.
    expect(topAt(31, '10s')?.hosts).toEqual([
      { host: 'shop.example', requests: 2, sections: [{ section: '/cart', requests: 1 }, { section: '/products', requests: 1 }] },
      { host: '198.51.100.21:8080', requests: 1, sections: [{ section: '/status', requests: 1 }] },
    ]);
    expect(topAt(31, '60s')?.requests).toBe(5);
    expect(topAt(50, '10s')?.requests).toBe(0);
  });
});
