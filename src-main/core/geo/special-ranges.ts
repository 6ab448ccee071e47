import type { SpecialRange } from '../../api/types/geo';
import { parseIpWords } from './ip-words';

/**
 * Address blocks that belong to no country or network (IANA's special-purpose
 * registries, RFC 6890 and its updates): they are labelled, never looked up.
 * More specific blocks come first, so 192.0.2.0/24 reads 'documentation'.
 */
const BLOCKS: ReadonlyArray<readonly [string, SpecialRange]> = [
  ['0.0.0.0/32', 'unspecified'],
  ['0.0.0.0/8', 'this-network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['100::/64', 'reserved'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
];

/** Each block as network words and mask words (IPv4 blocks as IPv4-mapped /96+n). */
const NETS = new Uint32Array(BLOCKS.length * 4);
const MASKS = new Uint32Array(BLOCKS.length * 4);
BLOCKS.forEach(([cidr, kind], k) => {
  const [address, prefixText] = cidr.split('/');
  if (!parseIpWords(address, 0, address.length, NETS, k * 4)) throw new Error(`special range ${cidr} (${kind})`);
  const bits = Number(prefixText) + (address.includes(':') ? 0 : 96);
  for (let w = 0; w < 4; w++) {
    const inWord = Math.min(32, Math.max(0, bits - w * 32));
    MASKS[k * 4 + w] = inWord === 0 ? 0 : (0xffffffff << (32 - inWord)) >>> 0;
  }
});

/** What kind of special address the words at `words[at..]` are, or null for a public address. */
export function specialRangeOfWords(words: Uint32Array, at: number): SpecialRange | null {
  for (let k = 0; k < BLOCKS.length; k++) {
    let inside = true;
    for (let w = 0; w < 4 && inside; w++) inside = ((words[at + w] & MASKS[k * 4 + w]) >>> 0) === NETS[k * 4 + w];
    if (inside) return BLOCKS[k][1];
  }
  return null;
}

const scratch = new Uint32Array(4);

/** The special range of an address in text; null for a public address or for text that is no address. */
export function specialRangeOf(ip: string): SpecialRange | null {
  return parseIpWords(ip, 0, ip.length, scratch, 0) ? specialRangeOfWords(scratch, 0) : null;
}
