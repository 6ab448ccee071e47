import { spawnSync } from 'node:child_process';

/** tshark as the fixtures' ground truth reads captures: numeric addresses, every IP fragment a frame of its own. */
const TSHARK = ['-n', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE'];

export type ConversationKind = 'ipv4' | 'ipv6' | 'tcp' | 'udp';
const Z_NAME: Record<ConversationKind, string> = { ipv4: 'ip', ipv6: 'ipv6', tcp: 'tcp', udp: 'udp' };

/** One row of `tshark -q -z conv,<kind>`: `<-` is what A received (B to A), `->` what A sent. */
export interface TsharkConversationRow {
  /** `addr` for ipv4/ipv6, `addr:port` for tcp/udp. */
  a: string;
  b: string;
  framesBToA: number;
  framesAToB: number;
  frames: number;
  /** Byte counts as tshark prints them: exact ("1234 bytes") below 10,000 bytes, rounded ("12 kB") above. */
  bytesBToA: string;
  bytesAToB: string;
  bytes: string;
}

const ROW = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+ \S+)\s+(\d+)\s+(\d+ \S+)\s+(\d+)\s+(\d+ \S+)/;
const TITLE = /^(IPv4|IPv6|TCP|UDP) Conversations/;

/** The conversation tables of tshark's `-z conv,…` output; a row tshark prints in another shape is an error, never skipped. */
export function parseConversationTables(stdout: string): Record<ConversationKind, TsharkConversationRow[]> {
  const tables: Record<ConversationKind, TsharkConversationRow[]> = { ipv4: [], ipv6: [], tcp: [], udp: [] };
  let current: TsharkConversationRow[] | undefined;
  for (const line of stdout.split('\n')) {
    const title = TITLE.exec(line);
    if (title) current = tables[title[1].toLowerCase() as ConversationKind];
    if (!line.includes('<->')) continue;
    const m = ROW.exec(line);
    if (!m || !current) throw new Error(`unexpected tshark conversation line: ${line}`);
    current.push({ a: m[1], b: m[2], framesBToA: +m[3], bytesBToA: m[4], framesAToB: +m[5], bytesAToB: m[6], frames: +m[7], bytes: m[8] });
  }
  return tables;
}

/** Runs tshark over `file` and returns its conversation tables of `kinds`. */
export function tsharkConversationTables(file: string, kinds: readonly ConversationKind[] = ['ipv4', 'ipv6', 'tcp', 'udp']): Record<ConversationKind, TsharkConversationRow[]> {
  const r = spawnSync('tshark', [...TSHARK, '-r', file, '-q', ...kinds.flatMap((k) => ['-z', `conv,${Z_NAME[k]}`])], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`tshark -z conv on ${file} exited with ${r.status}: ${r.stderr}`);
  return parseConversationTables(r.stdout);
}

/** Rows of `tshark -q -z conv,<proto>`: endpoints, total frames and tshark's printed total bytes. */
export function tsharkConversations(file: string, proto: 'tcp' | 'udp'): { a: string; b: string; frames: number; bytes: string }[] {
  return tsharkConversationTables(file, [proto])[proto].map(({ a, b, frames, bytes }) => ({ a, b, frames, bytes }));
}
