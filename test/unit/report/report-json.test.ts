import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../../src-capture-helper/capture-file/read-capture-file';
import { CaptureEngine } from '../../../src-capture-helper/pipeline/engine';
import { writeJson } from '../../../src-capture-helper/util/write-json';

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures/pcap');
const captures = readdirSync(FIXTURES).filter((f) => f.endsWith('.truth.json')).map((f) => f.slice(0, -'.truth.json'.length));

function streamed(value: unknown): string {
  const chunks: Buffer[] = [];
  writeJson(value, (chunk) => chunks.push(Buffer.from(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

describe('the JSON report written from the tables', () => {
  it('finds the fixtures', () => {
    expect(captures.length).toBeGreaterThan(30);
  });

  for (const name of captures) {
    it(`is JSON.stringify's text of the report for ${name}`, () => {
      const engine = new CaptureEngine();
      const report = engine.finish(name, readCaptureFile(path.join(FIXTURES, name), engine));
      const text = streamed(report);
      expect(text).toBe(JSON.stringify(report));
      // And the rows are there: the streamed text is not an empty shell.
      const parsed = JSON.parse(text) as { conversations: Record<string, unknown[]> };
      for (const kind of ['tcp', 'udp', 'ipv4', 'ipv6'] as const) expect(parsed.conversations[kind]).toHaveLength(report.conversations.rows(kind).length);
    });
  }
});
