/**
 * Writes the generated captures of truth-fixtures.ts and their tshark ground
 * truth, the way ../shared/fixtures/pcap/README.md describes it: tshark -n,
 * an empty configuration directory, IP defragmentation off for packets,
 * bytes, protocols and conversations, default preferences for DNS, SNI and
 * HTTP Host. Conversation bytes are tshark's printed byte counts, so every
 * capture keeps each conversation under 10,000 bytes (above that tshark
 * prints rounded kB); the generator refuses otherwise.
 *
 *   node dist/scripts/make-truth-fixtures.js [--captures DIR] [--check]
 *
 * Truth goes to test/fixtures/truth/NAME.truth.json; --captures also keeps
 * the captures; --check compares instead of writing (exit 1 on a difference).
 * Needs tshark 4.0.x.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConversationRow } from '../src-capture-helper/report/conversation-table';
import { GENERATED_CAPTURES } from './truth-fixtures';
import { writeOrCheck } from './write-or-check';

const PROTOCOLS = ['ipv4', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'other'] as const;
const TRUTH_DIR = path.resolve(__dirname, '../../test/fixtures/truth');

/** The truth files' conversation rows: the columns of tshark's `-z conv` that they keep. */
type Row = Pick<ConversationRow, 'a' | 'port_a' | 'b' | 'port_b' | 'frames_a_to_b' | 'bytes_a_to_b' | 'frames_b_to_a' | 'bytes_b_to_a'>;

function tshark(configDir: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('tshark', ['-n', ...args], { encoding: 'utf8', env: { ...process.env, WIRESHARK_CONFIG_DIR: configDir, TZ: 'UTC' }, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  const stderr = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Running as user')).join('\n');
  return { status: r.status ?? -1, stdout: r.stdout, stderr };
}

const L = ['-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE'];

/** seconds.nanoseconds as integer nanoseconds, for the extremes. */
const ns = (t: string): bigint => BigInt(t.split('.')[0]) * 1_000_000_000n + BigInt((t.split('.')[1] ?? '0').padEnd(9, '0').slice(0, 9));

export function makeTruth(file: string, configDir: string, covers: string): Record<string, unknown> {
  const frames = tshark(configDir, [...L, '-r', file, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.time_epoch', '-e', 'frame.protocols']);
  const protocols = Object.fromEntries(PROTOCOLS.map((p) => [p, { packets: 0, bytes: 0 }])) as Record<(typeof PROTOCOLS)[number], { packets: number; bytes: number }>;
  let packets = 0;
  let bytes = 0;
  let captured = 0;
  let truncated = 0;
  const times: string[] = [];
  for (const line of frames.stdout.split('\n')) {
    if (line === '') continue;
    const [len, capLen, time, stack] = line.split('\t');
    const n = Number(len);
    packets++;
    bytes += n;
    captured += Number(capLen);
    if (Number(capLen) < n) truncated++;
    times.push(time);
    const names = stack === '' ? [] : stack.split(':');
    const at = names.findIndex((p) => p === 'ip' || p === 'ipv6');
    if (at >= 0) {
      const l3 = protocols[names[at] === 'ip' ? 'ipv4' : 'ipv6'];
      l3.packets++;
      l3.bytes += n;
    }
    const next = at >= 0 ? names[at + 1] : undefined;
    const l4 = next === 'tcp' || next === 'udp' || next === 'icmp' || next === 'icmpv6' ? protocols[next] : protocols.other;
    l4.packets++;
    l4.bytes += n;
  }
  const sorted = [...times].sort((x, y) => (ns(x) < ns(y) ? -1 : ns(x) > ns(y) ? 1 : 0));
  const conv = tshark(configDir, [...L, '-r', file, '-q', '-z', 'conv,ip', '-z', 'conv,ipv6', '-z', 'conv,tcp', '-z', 'conv,udp']);
  const conversations: Record<string, Row[]> = { tcp: [], udp: [], ipv4: [], ipv6: [] };
  let table: Row[] | undefined;
  let ports = false;
  for (const line of conv.stdout.split('\n')) {
    const title = /^(IPv4|IPv6|TCP|UDP) Conversations/.exec(line);
    if (title) {
      table = conversations[title[1].toLowerCase()];
      ports = title[1] === 'TCP' || title[1] === 'UDP';
      continue;
    }
    const row = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(-?\d+) (\S+)\s+(\d+)\s+(-?\d+) (\S+)\s+/.exec(line);
    if (!row || !table) continue;
    if (row[5] !== 'bytes' || row[8] !== 'bytes') throw new Error(`${file}: tshark rounds the bytes of ${line.trim()}: keep conversations under 10,000 bytes`);
    const end = (s: string): [string, number | undefined] => {
      if (!ports) return [s, undefined];
      const i = s.lastIndexOf(':');
      return [s.slice(0, i), Number(s.slice(i + 1))];
    };
    const [a, portA] = end(row[1]);
    const [b, portB] = end(row[2]);
    // `<-` is what A received (B to A), `->` what A sent.
    table.push({ a, ...(ports ? { port_a: portA } : {}), b, ...(ports ? { port_b: portB } : {}), frames_a_to_b: Number(row[6]), bytes_a_to_b: Number(row[7]), frames_b_to_a: Number(row[3]), bytes_b_to_a: Number(row[4]) });
  }
  const names = tshark(configDir, ['-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=\x01', '-e', 'dns.flags.response', '-e', 'dns.qry.name', '-e', 'dns.count.answers', '-e', 'dns.resp.type', '-e', 'dns.a', '-e', 'dns.aaaa', '-e', 'tls.handshake.extensions_server_name', '-e', 'http.host']);
  const dnsNames: Record<string, { queries: number; responses: number; answer_a: string[]; answer_aaaa: string[] }> = {};
  const sni = new Set<string>();
  const hosts = new Set<string>();
  const list = (s: string | undefined): string[] => (s ?? '').split('\x01').filter((x) => x !== '');
  for (const line of names.stdout.split('\n')) {
    if (line === '') continue;
    const [response, queries, answers, types, a, aaaa, server, host] = line.split('\t');
    for (const s of list(server)) sni.add(s);
    for (const h of list(host)) hosts.add(h);
    if (queries === '') continue;
    // A and AAAA of the Answers section: the first dns.count.answers records.
    const answerTypes = list(types).slice(0, Number(list(answers)[0] ?? 0));
    const v4 = list(a).slice(0, answerTypes.filter((t) => t === '1').length);
    const v6 = list(aaaa).slice(0, answerTypes.filter((t) => t === '28').length);
    for (const q of new Set(list(queries))) {
      const entry = (dnsNames[q] ??= { queries: 0, responses: 0, answer_a: [], answer_aaaa: [] });
      if (response !== '1') {
        entry.queries++;
        continue;
      }
      entry.responses++;
      entry.answer_a = [...new Set([...entry.answer_a, ...v4])].sort();
      entry.answer_aaaa = [...new Set([...entry.answer_aaaa, ...v6])].sort();
    }
  }
  const version = /TShark \(Wireshark\) (\S+)/.exec(tshark(configDir, ['-v']).stdout)?.[1] ?? 'unknown';
  const data = readFileSync(file);
  return {
    tshark_version: version,
    covers,
    file: { name: path.basename(file), size: data.length, sha256: createHash('sha256').update(data).digest('hex') },
    read: { tshark_exit_code: frames.status, tshark_error: frames.stderr === '' ? null : frames.stderr.split(file).join(path.basename(file)), complete: frames.status === 0 },
    packets,
    bytes,
    captured_bytes: captured,
    truncated_packets: truncated,
    packets_without_timestamp: 0,
    first_ts: times[0] ?? null,
    last_ts: times[times.length - 1] ?? null,
    min_ts: sorted[0] ?? null,
    max_ts: sorted[sorted.length - 1] ?? null,
    protocols,
    conversations,
    dns_names: dnsNames,
    tls_sni_values: [...sni].sort(),
    http_host_values: [...hosts].sort(),
    tshark_settings: { L: `tshark -n ${L.join(' ')}`, A: 'tshark -n (default preferences)' },
  };
}

function main(argv: string[]): number {
  const keep = argv.indexOf('--captures') >= 0 ? argv[argv.indexOf('--captures') + 1] : undefined;
  const version = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).stdout ?? '';
  if (!/TShark \(Wireshark\) 4\.0\./.test(version)) {
    process.stderr.write('make-truth-fixtures: needs tshark 4.0.x (the rules were matched against 4.0.17)\n');
    return 2;
  }
  const work = mkdtempSync(path.join(tmpdir(), 'netmon-truth-'));
  const configDir = path.join(work, 'wireshark-config');
  mkdirSync(configDir);
  mkdirSync(TRUTH_DIR, { recursive: true });
  let differ = 0;
  try {
    for (const c of GENERATED_CAPTURES) {
      const file = path.join(keep ?? work, c.name);
      if (keep) mkdirSync(keep, { recursive: true });
      writeFileSync(file, c.bytes());
      const text = `${JSON.stringify(makeTruth(file, configDir, c.covers), null, 1)}\n`;
      differ += writeOrCheck(path.join(TRUTH_DIR, `${c.name}.truth.json`), text, argv);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return differ === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
