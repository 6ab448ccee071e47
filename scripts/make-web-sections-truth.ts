/**
 * Writes the web sections ground truth from tshark: every plaintext HTTP
 * request tshark dissects (`http.request`, default preferences: TCP
 * reassembly and IP defragmentation on) in each capture of
 * ../shared/fixtures/pcap and in the generated web-sections.pcap, with its
 * `http.request.uri`, `http.host` and server address, and the requests per
 * host and section they make under the rules of
 * src-capture-helper/names/web-sections.ts (written here again from tshark's
 * fields, not by calling that code).
 *
 *   node dist/scripts/make-web-sections-truth.js [--check]
 *
 * Truth goes to test/fixtures/web-sections/NAME.json, one file per capture
 * with at least one request; --check compares instead of writing (exit 1 on a
 * difference). Needs tshark 4.0.x; the test reads the committed files.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WEB_CAPTURE_NAME, webSectionsCapture } from './web-sections-capture';
import { writeOrCheck } from './write-or-check';

const REPO = path.resolve(__dirname, '../..');
const FIXTURES = path.resolve(REPO, '../shared/fixtures/pcap');
export const WEB_TRUTH_DIR = path.join(REPO, 'test/fixtures/web-sections');

const FIELDS = ['http.request.uri', 'http.host', 'ip.dst', 'ipv6.dst', 'tcp.dstport', 'udp.dstport'];
const AGGREGATOR = '\x01';

export interface WebTruth {
  file: string;
  sha256: string;
  tshark_version: string;
  requests: Array<{ frame: number; uri: string; host_header: string | null; server: string; port: number }>;
  sections: Array<{ host: string; requests: number; sections: Array<{ section: string; requests: number }> }>;
}

function tshark(configDir: string, args: string[]): string {
  const r = spawnSync('tshark', ['-n', ...args], { encoding: 'utf8', env: { ...process.env, WIRESHARK_CONFIG_DIR: configDir, TZ: 'UTC' }, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r.stdout;
}

const last = (list: string): string => list.split(AGGREGATOR).at(-1) ?? '';

export function makeWebTruth(file: string, name: string, configDir: string, version: string): WebTruth | null {
  const out = tshark(configDir, ['-r', file, '-Y', 'http.request', '-T', 'fields', '-E', 'occurrence=a', '-E', `aggregator=${AGGREGATOR}`, '-e', 'frame.number', ...FIELDS.flatMap((f) => ['-e', f])]);
  const requests: WebTruth['requests'] = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [frame, uris, hosts, ip4, ip6, tcpPort, udpPort] = line.split('\t');
    // Several requests in one segment: one uri and one host each. The server is the innermost destination.
    const uriList = uris.split(AGGREGATOR);
    const hostList = hosts === '' ? [] : hosts.split(AGGREGATOR);
    if (hostList.length !== 0 && hostList.length !== uriList.length) throw new Error(`${name} frame ${frame}: ${uriList.length} requests but ${hostList.length} Host headers`);
    const server = ip6 !== '' ? last(ip6) : last(ip4);
    const port = Number(last(tcpPort !== '' ? tcpPort : udpPort));
    uriList.forEach((uri, i) => requests.push({ frame: Number(frame), uri, host_header: hostList[i] ?? null, server, port }));
  }
  if (requests.length === 0) return null;
  const counts = new Map<string, Map<string, number>>();
  for (const r of requests) {
    const { host, section } = countedAs(r);
    const sections = counts.get(host) ?? new Map<string, number>();
    sections.set(section, (sections.get(section) ?? 0) + 1);
    counts.set(host, sections);
  }
  const byCount = <T extends { requests: number }>(key: (t: T) => string) => (a: T, b: T) => b.requests - a.requests || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  const sections = [...counts].map(([host, s]) => ({
    host,
    requests: [...s.values()].reduce((n, v) => n + v, 0),
    sections: [...s].map(([section, requests]) => ({ section, requests })).sort(byCount((x) => x.section)),
  }));
  sections.sort(byCount((x) => x.host));
  const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
  return { file: name, sha256, tshark_version: version, requests, sections };
}

/** Host: absolute-form authority, else Host header, else the server (bracketed IPv6, port unless 80). Section: first path segment. */
function countedAs(r: WebTruth['requests'][number]): { host: string; section: string } {
  let path = r.uri;
  let host = r.host_header ?? '';
  const abs = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)(.*)$/.exec(r.uri);
  if (abs) {
    host = abs[1].slice(abs[1].lastIndexOf('@') + 1) || host;
    path = abs[2].startsWith('/') ? abs[2] : `/${abs[2]}`;
  }
  if (host === '') host = `${r.server.includes(':') ? `[${r.server}]` : r.server}${r.port === 80 ? '' : `:${r.port}`}`;
  const section = path.startsWith('/') ? /^\/[^/?#]*/.exec(path)?.[0] ?? '/' : path;
  return { host, section };
}

function main(argv: string[]): number {
  const version = /TShark \(Wireshark\) (\S+)/.exec(spawnSync('tshark', ['-v'], { encoding: 'utf8' }).stdout ?? '')?.[1];
  if (version === undefined || !version.startsWith('4.0.')) {
    process.stderr.write('make-web-sections-truth: needs tshark 4.0.x (the shared fixtures were made with 4.0.17)\n');
    return 2;
  }
  const work = mkdtempSync(path.join(tmpdir(), 'netmon-web-truth-'));
  const configDir = path.join(work, 'wireshark-config');
  mkdirSync(configDir);
  mkdirSync(WEB_TRUTH_DIR, { recursive: true });
  const generated = path.join(work, WEB_CAPTURE_NAME);
  writeFileSync(generated, webSectionsCapture());
  const captures = [
    ...readdirSync(FIXTURES).filter((f) => !f.endsWith('.json') && !f.endsWith('.md')).sort().map((f) => ({ name: f, file: path.join(FIXTURES, f) })),
    { name: WEB_CAPTURE_NAME, file: generated },
  ];
  let differ = 0;
  try {
    for (const c of captures) {
      const truth = makeWebTruth(c.file, c.name, configDir, version);
      if (truth === null) continue;
      const text = `${JSON.stringify(truth, null, 1)}\n`;
      differ += writeOrCheck(path.join(WEB_TRUTH_DIR, `${c.name}.json`), text, argv);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return differ === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
