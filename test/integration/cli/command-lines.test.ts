/**
 * Every `netmon` command reads its line with the same rules (node:util parseArgs,
 * strict): an unknown option or a missing value is a usage error (exit 2, the
 * option named, the usage printed), `--opt=value` and `--opt value` mean the same.
 * Needs `npm run build:ts`.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProbeArgs } from '../../../src-main/probe/probe-command';
import { parseServeArgs } from '../../../src-main/server/serve-command';

const REPO = path.resolve(__dirname, '../../..');
const CLI = path.join(REPO, 'dist/src-main/cli/netmon.js');

function netmon(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('netmon command lines', () => {
  it.each([
    ['analyze', ['--frobnicate', 'x.pcap'], /--frobnicate/],
    ['analyze', ['--top'], /--top/],
    ['capture', ['--iface'], /--iface/],
    ['capture', ['--iface', 'lo', '--snaplen', '0'], /--snaplen needs an integer/],
    ['interfaces', ['--everything'], /--everything/],
    ['install', ['--prefix'], /--prefix/],
    ['uninstall', ['--prefix'], /--prefix/],
    ['serve', ['--bind'], /--bind/],
    ['serve', ['--replay', 'a.pcap', '--iface', 'lo'], /either --iface or --replay/],
    ['serve', ['--wat'], /--wat/],
    ['probe', ['--nats', 'nats://127.0.0.1:1'], /at least one --iface/],
    ['probe', ['--iface', 'lo', '--name', 'bad name!'], /--name must be/],
  ])('%s %j is a usage error', (command, args, message) => {
    const r = netmon([command, ...args]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain(`usage: netmon ${command}`);
  });

  it.each(['analyze', 'capture', 'interfaces', 'install', 'uninstall', 'serve', 'probe'])('%s --help prints its usage and exits 0', (command) => {
    const r = netmon([command, '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`usage: netmon ${command}`);
  });

  it('reads serve options in either form, repeated ones in order', () => {
    const spaced = parseServeArgs(['--iface', 'eth0', '--iface', 'wlan0', '--bind', '127.0.0.1:0', '--db', 'h.sqlite', '--token', 't'.repeat(20)]);
    const joined = parseServeArgs(['--iface=eth0', '--iface=wlan0', '--bind=127.0.0.1:0', '--db=h.sqlite', `--token=${'t'.repeat(20)}`]);
    expect(joined).toEqual(spaced);
    expect(spaced).toMatchObject({ ifaces: ['eth0', 'wlan0'], bind: '127.0.0.1:0', db: 'h.sqlite', replay: null, speed: 1, help: false });
    expect(parseServeArgs(['--replay', 'x.pcap', '--speed', '0']).speed).toBe(0);
    expect(() => parseServeArgs(['--replay', 'x.pcap', '--speed=-1'])).toThrow(/--speed must be a number from 0 to 10000/);
    expect(() => parseServeArgs(['stray'])).toThrow(/stray/);
  });

  it('reads probe options in either form', () => {
    expect(parseProbeArgs(['--iface', 'eth0', '--nats', 'nats://h:4222', '--name', 'edge-1', '--bpf', 'tcp port 443']))
      .toEqual({ ifaces: ['eth0'], nats: 'nats://h:4222', name: 'edge-1', bpf: 'tcp port 443', config: null, help: false });
    expect(parseProbeArgs(['--iface=eth0', '--name=edge-1']).name).toBe('edge-1');
  });
});
