/**
 * `netmon analyze` text output names each ICMP flow's first message by type
 * and code, as tshark decodes it, instead of ports. Needs `npm run build:ts` and tshark.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(__dirname, '../../..');
const CLI = path.join(REPO, 'dist/src-main/cli/netmon.js');
const FIXTURES = path.resolve(REPO, '../shared/fixtures/pcap');

describe('netmon analyze on ICMP captures', () => {
  it.each([
    ['IcmpPackets.pcap', 'ip', 'icmp', '192.168.43.9', '8.8.8.8', 'echo request'],
    ['IcmpPackets.pcap', 'ip', 'icmp', '192.168.0.102', '192.168.0.103', 'timestamp request'],
    ['ICMPv6_echos.cap', 'ipv6', 'icmpv6', '2001:db8:0:12::1', '2001:db8:0:12::2', 'echo request'],
  ])('%s: the flow %s -> %s shows the type/code of its first message', (file, ip, icmp, a, b, name) => {
    const capture = path.join(FIXTURES, file);
    const [type, code] = execFileSync('tshark', ['-n', '-r', capture, '-Y', `${ip}.src == ${a} && ${ip}.dst == ${b} && ${icmp}`, '-T', 'fields', '-e', `${icmp}.type`, '-e', `${icmp}.code`], { encoding: 'utf8' })
      .split('\n')[0]
      .split('\t');
    const text = execFileSync(process.execPath, [CLI, 'analyze', capture], { encoding: 'utf8' });
    const line = text.split('\n').find((l) => l.includes(`${a} -> ${b} `));
    expect(line, text).toBeDefined();
    expect(line).toContain(`${a} -> ${b} ${name} (${type}/${code})`);
  });
});
