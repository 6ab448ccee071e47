/**
 * `netmon capture -w FILE` on a veth pair: the file is pcapng holding the
 * packets tcpdump saw on the same interface, and the text header names the
 * interface and its link type. Needs root (network namespaces), tcpdump,
 * capinfos and tshark, and `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { canCreateNamespaces } from '../../helpers/netns';
import { captureWithTcpdump, requireBuilt, vethTestBed, waitForExit } from './live-traffic';

/** Frame lengths and protocol stacks of every packet, as tshark reads the file. */
function frames(file: string): string[] {
  return execFileSync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.protocols'], { encoding: 'utf8' }).trim().split('\n');
}

describe.skipIf(!canCreateNamespaces())('netmon capture -w on a veth pair', () => {
  const bed = vethTestBed('netmon-capture-write-');
  let cli: string;

  beforeAll(() => {
    cli = requireBuilt('cli.js');
  });

  it('saves what it captured as pcapng, the same packets tcpdump saved', async () => {
    const pair = bed.newPair();
    const reference = path.join(bed.dir, 'tcpdump.pcap');
    const saved = path.join(bed.dir, 'netmon.pcapng');
    const stdout = await captureWithTcpdump(pair, cli, ['-w', saved], reference, bed.children);

    const info = execFileSync('capinfos', ['-t', '-E', '-c', '-M', saved], { encoding: 'utf8' });
    expect(info).toMatch(/File type:\s+pcapng$/m);
    expect(info).toMatch(/File encapsulation:\s+ether$/m);
    const expected = frames(reference);
    expect(expected.length).toBeGreaterThan(10);
    expect(info).toMatch(new RegExp(`Number of packets:\\s+${expected.length}\\b`));
    expect(frames(saved)).toEqual(expected);
    expect(execFileSync('tshark', ['-n', '-r', saved, '-T', 'fields', '-e', 'frame.interface_name', '-c', '1'], { encoding: 'utf8' }).trim()).toBe(pair.ifB);

    // The report header names the interface and its link type.
    expect(stdout.split('\n')[0]).toBe(`Capture:   live on ${pair.ifB} (link type ETHERNET)`);
    expect(stdout).not.toMatch(/unknown|\?-endian/);
  }, 60_000);

  it('says which file it cannot write, and captures nothing', async () => {
    const pair = bed.newPair();
    const capture = pair.spawn(pair.nsB, process.execPath, [cli, 'capture', '--iface', pair.ifB, '--duration', '1', '-w', path.join(bed.dir, 'no-such-dir', 'x.pcapng')], { stdio: ['ignore', 'pipe', 'pipe'] });
    bed.children.push(capture);
    let stderr = '';
    capture.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await waitForExit(capture)).toBe(1);
    expect(stderr).toMatch(/cannot write .*no-such-dir\/x\.pcapng: ENOENT/);
  }, 30_000);
});
