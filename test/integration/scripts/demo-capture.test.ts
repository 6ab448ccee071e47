/** The demo capture serve replays (assets/demo.pcapng) is what scripts/make-demo-capture.ts writes, and tshark reads it. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(__dirname, '../../..');
const SCRIPT = path.join(REPO, 'dist/scripts/make-demo-capture.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-demo-capture-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('make-demo-capture', () => {
  it('writes the committed demo capture byte for byte, a pcapng tshark reads to the end', () => {
    const out = path.join(dir, 'demo.pcapng');
    const made = spawnSync(process.execPath, [SCRIPT, out], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    expect(fs.readFileSync(out).equals(fs.readFileSync(path.join(REPO, 'assets/demo.pcapng')))).toBe(true);
    const frames = spawnSync('tshark', ['-n', '-r', out, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.cap_len'], { encoding: 'utf8' });
    expect(frames.status, frames.stderr).toBe(0);
    const rows = frames.stdout.trim().split('\n').map((l) => l.split('\t').map(Number));
    expect(rows.length).toBe(Number(/(\d+) packets/.exec(made.stdout)?.[1]));
    // Bulk data is stored cut at 64 bytes with its length on the wire kept.
    expect(rows.every(([len, cap]) => cap <= len && cap <= 1514)).toBe(true);
    expect(rows.some(([len, cap]) => cap === 64 && len > 64)).toBe(true);
  });
});
