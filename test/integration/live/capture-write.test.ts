/**
 * `netmon capture -w FILE` on a veth pair: the file is pcapng holding the
 * packets tcpdump saw on the same interface, and the text header names the
 * interface and its link type. Needs root (network namespaces), tcpdump,
 * capinfos and tshark, and `npm run build`.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNamespaces, createVethPair, type VethPair } from '../../helpers/netns';
import { requireBuilt, sendTraffic, startServers, tempDir, waitForExit, waitForOutput } from './live-traffic';

/** Frame lengths and protocol stacks of every packet, as tshark reads the file. */
function frames(file: string): string[] {
  return execFileSync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.protocols'], { encoding: 'utf8' }).trim().split('\n');
}

describe.skipIf(!canCreateNamespaces())('netmon capture -w on a veth pair', () => {
  let cli: string;
  let dir: string;
  let pair: VethPair | undefined;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    cli = requireBuilt('cli.js');
    dir = tempDir('netmon-capture-write-');
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    pair?.destroy();
    pair = undefined;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('saves what it captured as pcapng, the same packets tcpdump saved', async () => {
    pair = createVethPair();
    const reference = path.join(dir, 'tcpdump.pcap');
    const saved = path.join(dir, 'netmon.pcapng');
    const servers = startServers(pair);
    children.push(servers);
    await waitForOutput(servers, /servers-ready/);
    const tcpdump = pair.spawn(pair.nsB, 'tcpdump', ['-i', pair.ifB, '-n', '-U', '--immediate-mode', '-w', reference], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(tcpdump);
    await waitForOutput(tcpdump, /listening on/);
    const capture = pair.spawn(pair.nsB, process.execPath, [cli, 'capture', '--iface', pair.ifB, '-w', saved], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(capture);
    let stdout = '';
    capture.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    await waitForOutput(capture, /capturing on/);
    sendTraffic(pair);
    await new Promise((r) => setTimeout(r, 300));
    capture.kill('SIGTERM');
    expect(await waitForExit(capture)).toBe(0);
    tcpdump.kill('SIGINT');
    await waitForExit(tcpdump);

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
    pair = createVethPair();
    const capture = pair.spawn(pair.nsB, process.execPath, [cli, 'capture', '--iface', pair.ifB, '--duration', '1', '-w', path.join(dir, 'no-such-dir', 'x.pcapng')], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(capture);
    let stderr = '';
    capture.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await waitForExit(capture)).toBe(1);
    expect(stderr).toMatch(/cannot write .*no-such-dir\/x\.pcapng: ENOENT/);
  }, 30_000);
});
