import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureMessageReader, MessageType, parseJsonMessage, parseStats } from '../../src-capture-helper/live/capture-messages';
import { canCreateNamespaces } from '../helpers/netns';

/**
 * netmon-capture's inputs, its arguments and its control bytes, driven with
 * hostile values against the real program built with AddressSanitizer and
 * UndefinedBehaviorSanitizer: it must answer every command line with an exit
 * status of 0, 1 or 2 and well-formed messages, never crash or trip a sanitizer.
 */
const SOURCE = path.resolve(__dirname, '../../src-capture-helper/capture-program/netmon-capture.c');

function hasCompiler(): boolean {
  return process.platform === 'linux' && spawnSync('sh', ['-c', 'command -v cc']).status === 0;
}

/** Every message of an output, checked: known types, JSON where JSON is due, STATS of the right size, END last. */
function checkOutput(out: Buffer): { types: number[]; errors: Record<string, unknown>[] } {
  const types: number[] = [];
  const errors: Record<string, unknown>[] = [];
  const reader = new CaptureMessageReader((type, payload) => {
    types.push(type);
    if (type === MessageType.error) errors.push(parseJsonMessage(payload));
    else if (type === MessageType.opened) parseJsonMessage(payload);
    else if (type === MessageType.stats) parseStats(payload);
  });
  reader.push(out);
  expect(reader.buffered).toBe(0);
  const end = types.indexOf(MessageType.end);
  if (end >= 0) expect(end).toBe(types.length - 1);
  return { types, errors };
}

describe.skipIf(!hasCompiler())('netmon-capture under hostile arguments and control input', () => {
  let dir: string;
  let program: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-capture-fuzz-'));
    program = path.join(dir, 'netmon-capture-asan');
    execFileSync('cc', ['-std=c11', '-g', '-O1', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-Wall', '-Wextra', '-Werror', '-o', program, SOURCE, '-lpcap']);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[], input = '', timeout = 10_000) =>
    spawnSync(program, args, { input, timeout, env: { ASAN_OPTIONS: 'detect_leaks=0' }, maxBuffer: 64 * 1024 * 1024 });

  const option = fc.constantFrom('--iface', '--bpf', '--snaplen', '--buffer-mib', '--timeout-ms', '--batch-kib', '--stats-ms', '--no-promisc', '--probe', '--hold', '--version', '--bogus', '');
  const value = fc.oneof(
    fc.string({ maxLength: 40 }).map((s) => s.replace(/\0/g, '')),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map(String),
    fc.constantFrom('0', '1', '64', '262144', '262145', '99999999999999', '-1', '1e3', ' 5', 'lo', 'any', 'nonexistent0', 'x'.repeat(16), 'tcp port', '(((', 'a'.repeat(9000)),
  );

  it('any command line ends with status 0, 1 or 2 and well-formed messages', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(option, value), { maxLength: 12 }), (args) => {
        // --probe on an existing interface opens it; capture mode would wait for its control input, which is closed here.
        const r = run(args);
        expect(r.signal).toBeNull();
        expect(String(r.stderr)).not.toMatch(/AddressSanitizer|runtime error/);
        expect([0, 1, 2]).toContain(r.status);
        if (args.length === 1 && args[0] === '--version') return;
        const { types, errors } = checkOutput(r.stdout);
        // A held output is never released here (no 'G'): such a program writes nothing and ends with status 1.
        if (args.includes('--hold') && types.length === 0) {
          expect(r.status).toBe(1);
          return;
        }
        if (r.status !== 0) expect(errors.length).toBeGreaterThan(0);
        for (const e of errors) expect(typeof e.message).toBe('string');
        if (r.status === 0 && !args.includes('--probe')) expect(types).toContain(MessageType.end);
      }),
      { numRuns: 150 },
    );
  });

  it.skipIf(!canCreateNamespaces())('any control input: S sends stats, Q or its end stops, any other byte stops with EPROTO; held, nothing before G', () => {
    const ns = `nmfz${process.pid.toString(36)}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, hold) => {
          const r = spawnSync('ip', ['netns', 'exec', ns, program, '--iface', 'lo', '--timeout-ms', '10', ...(hold ? ['--hold'] : [])], {
            input: Buffer.from(bytes), timeout: 10_000, env: { ASAN_OPTIONS: 'detect_leaks=0' },
          });
          expect(String(r.stderr)).not.toMatch(/AddressSanitizer|runtime error/);
          const { types, errors } = checkOutput(r.stdout);
          // Held: nothing before 'G'; the end of input or another byte first ends it with status 1 or 2.
          if (hold && bytes[0] !== 0x47) {
            expect(types).toEqual([]);
            expect(r.status).toBe(bytes.length === 0 ? 1 : 2);
            return;
          }
          const commands = hold ? bytes.slice(1) : bytes;
          expect(types[0]).toBe(MessageType.opened);
          expect(types.at(-1)).toBe(MessageType.end);
          const stop = commands.findIndex((b) => b !== 0x53);
          const bad = stop >= 0 && commands[stop] !== 0x51;
          expect(r.status).toBe(bad ? 2 : 0);
          if (bad) expect(errors[0]).toMatchObject({ code: 'EPROTO', fatal: true });
          // One STATS per 'S' before the stop, and the final one.
          const asked = (stop < 0 ? [...commands] : [...commands.slice(0, stop)]).filter((b) => b === 0x53).length;
          expect(types.filter((t) => t === MessageType.stats).length).toBeGreaterThanOrEqual(asked + 1);
        }),
        { numRuns: 60 },
      );
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
