/**
 * Every capture in ../shared/fixtures/pcap, and every capture that
 * scripts/truth-fixtures.ts generates (truth in test/fixtures/truth), through
 * the built CLI (`node dist/src-main/cli/netmon.js analyze FILE --json`),
 * compared with its tshark truth the way ../shared/tools/compare-truth does.
 * Needs `npm run build:ts`.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GENERATED_CAPTURES } from '../../scripts/truth-fixtures';

const REPO = path.resolve(__dirname, '../..');
const FIXTURES = path.resolve(REPO, '../shared/fixtures/pcap');
const GENERATED_TRUTH = path.join(REPO, 'test/fixtures/truth');
const CLI = path.join(REPO, 'dist/src-main/cli/netmon.js');
const PROTOCOLS = ['ipv4', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'other'] as const;

type Row = Record<string, unknown>;

/** Multiset of rows as canonical strings: either endpoint may be `a`. */
function rowKeys(rows: Row[] | undefined, ports: boolean): string[] {
  return (rows ?? [])
    .map((r) => {
      let ea = [String(r.a), ports ? Number(r.port_a) : null] as const;
      let eb = [String(r.b), ports ? Number(r.port_b) : null] as const;
      let ab = [Number(r.frames_a_to_b), Number(r.bytes_a_to_b)];
      let ba = [Number(r.frames_b_to_a), Number(r.bytes_b_to_a)];
      // Same ordering rule as compare-truth: Python tuple comparison of (address text, port).
      if (eb[0] < ea[0] || (eb[0] === ea[0] && (eb[1] ?? 0) < (ea[1] ?? 0))) {
        [ea, eb, ab, ba] = [eb, ea, ba, ab];
      }
      return JSON.stringify([ea, eb, ab, ba]);
    })
    .sort();
}

function answers(names: Record<string, unknown> | undefined, fromTruth: boolean): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, v] of Object.entries(names ?? {})) {
    let addrs: string[];
    if (fromTruth) {
      const t = v as { answer_a?: string[]; answer_aaaa?: string[] };
      addrs = [...(t.answer_a ?? []), ...(t.answer_aaaa ?? [])];
    } else {
      addrs = Array.isArray(v) ? v.map(String) : [];
    }
    if (addrs.length > 0) out[name] = [...new Set(addrs)].sort();
  }
  return out;
}

/** tshark prints seconds.%09d without normalising the fraction; compare the instants. */
function epochNs(s: string | null): bigint | null {
  if (s === null) return null;
  const [sec, frac] = s.split('.');
  return BigInt(sec) * 1_000_000_000n + BigInt(frac);
}

const captures = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.truth.json'))
  .map((f) => f.slice(0, -'.truth.json'.length))
  .sort();

/** The parts of a truth file the checks read (JSON.parse gives them untyped). */
interface Truth {
  read: { complete: boolean };
  packets: number;
  bytes: number;
  captured_bytes: number;
  packets_without_timestamp: number;
  first_ts: string | null;
  last_ts: string | null;
  min_ts: string | null;
  max_ts: string | null;
  protocols: Record<(typeof PROTOCOLS)[number], { packets: number; bytes: number }>;
  conversations: Record<'tcp' | 'udp' | 'ipv4' | 'ipv6', Row[]>;
  dns_names: Record<string, unknown>;
  tls_sni_values: string[];
  http_host_values: string[];
  file: { sha256: string };
}

/** `netmon analyze FILE --json` against one truth file, on every field the truth and compare-truth check. */
function expectTruth(file: string, truth: Truth): void {
  const run = spawnSync(process.execPath, [CLI, 'analyze', file, '--json'], { encoding: 'utf8', timeout: 60_000 });
  expect(run.stdout.trim(), run.stderr).not.toBe('');
  const report = JSON.parse(run.stdout);
  expect(run.status).toBe(truth.read.complete ? 0 : 3);
  expect(report.read.complete).toBe(truth.read.complete);

  expect({ packets: report.packets, bytes: report.bytes }).toEqual({ packets: truth.packets, bytes: truth.bytes });
  expect(report.captured_bytes).toBe(truth.captured_bytes);
  expect(report.packets_without_timestamp).toBe(truth.packets_without_timestamp);
  for (const k of ['first_ts', 'last_ts', 'min_ts', 'max_ts'] as const) expect(epochNs(report[k]), k).toBe(epochNs(truth[k]));
  for (const p of PROTOCOLS) expect(report.protocols[p], p).toEqual({ packets: truth.protocols[p].packets, bytes: truth.protocols[p].bytes });

  for (const kind of ['tcp', 'udp', 'ipv4', 'ipv6'] as const) {
    const ports = kind === 'tcp' || kind === 'udp';
    expect(rowKeys(report.conversations[kind], ports), `conv.${kind}`).toEqual(rowKeys(truth.conversations[kind], ports));
  }
  expect(answers(report.dns_names, false), 'dns').toEqual(answers(truth.dns_names, true));
  expect([...new Set<string>(report.tls_sni_values)].sort(), 'sni').toEqual([...new Set<string>(truth.tls_sni_values)].sort());
  expect([...new Set<string>(report.http_host_values)].sort(), 'http').toEqual([...new Set<string>(truth.http_host_values)].sort());
}

describe('netmon analyze --json reproduces the tshark truth', () => {
  it('has a built CLI', () => {
    expect(existsSync(CLI), 'run npm run build:ts first').toBe(true);
  });

  for (const name of captures) {
    it(name, () => {
      expectTruth(path.join(FIXTURES, name), JSON.parse(readFileSync(path.join(FIXTURES, `${name}.truth.json`), 'utf8')) as Truth);
    });
  }
});

describe('netmon analyze --json reproduces the tshark truth of the generated captures', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'netmon-generated-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has a truth file for every generated capture and no other', () => {
    const truths = readdirSync(GENERATED_TRUTH).filter((f) => f.endsWith('.truth.json')).sort();
    expect(truths).toEqual(GENERATED_CAPTURES.map((c) => `${c.name}.truth.json`).sort());
  });

  for (const c of GENERATED_CAPTURES) {
    it(c.name, () => {
      const truth = JSON.parse(readFileSync(path.join(GENERATED_TRUTH, `${c.name}.truth.json`), 'utf8')) as Truth;
      const bytes = c.bytes();
      // The truth was made from these very bytes (regenerate it with scripts/make-truth-fixtures.ts otherwise).
      expect(createHash('sha256').update(bytes).digest('hex'), 'capture changed since its truth was made').toBe(truth.file.sha256);
      const file = path.join(dir, c.name);
      writeFileSync(file, bytes);
      expectTruth(file, truth);
    });
  }
});
