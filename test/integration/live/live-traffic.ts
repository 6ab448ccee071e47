import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createVethPair, type VethPair } from '../../helpers/netns';

/** Known traffic the live tests send from side A to side B of a veth pair. */
export const TRAFFIC = {
  pings: 4,
  /** ping -s 56: 14 + 20 + 8 + 56 bytes on the wire. */
  pingFrame: 98,
  udpPort: 40_001,
  /** UDP payload sizes; each frame is 14 + 20 + 8 + payload bytes. */
  udpPayloads: [0, 1, 100, 1000, 1472],
  tcpPort: 40_002,
  tcpBytes: 3000,
} as const;

export const REPO = path.resolve(__dirname, '../../..');
export const DIST_HELPER = path.join(REPO, 'dist', 'src-capture-helper');

/** The built helper modules the live tests run in the receiving namespace. */
export function requireBuilt(rel: string): string {
  const file = path.join(DIST_HELPER, rel);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run 'npm run build' first`);
  return file;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * What each live test file sets up the same way: a private temporary directory, a fresh veth pair per
 * test, and the processes a test starts; after each test the processes are killed and the pair removed.
 */
export function vethTestBed(prefix: string): { readonly dir: string; newPair(): VethPair; children: ChildProcess[] } {
  let dir = '';
  let pair: VethPair | undefined;
  const children: ChildProcess[] = [];
  beforeAll(() => {
    dir = tempDir(prefix);
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    pair?.destroy();
    pair = undefined;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return {
    get dir() {
      return dir;
    },
    newPair() {
      pair = createVethPair();
      return pair;
    },
    children,
  };
}

/** Waits until `pattern` appears on the child's stdout or stderr. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output so far: ${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!pattern.test(seen)) reject(new Error(`process exited (${code}) before ${pattern}; output: ${seen}`));
    });
  });
}

export function waitForExit(child: ChildProcess, timeoutMs = 30_000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) {
      resolve(child.exitCode);
      return;
    }
    const timer = setTimeout(() => reject(new Error('process did not exit in time')), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** UDP and TCP sinks in namespace B, so no ICMP port-unreachable joins the traffic. */
const SERVER_JS = `
const net = require('net'), dgram = require('dgram');
const [addr, udpPort, tcpPort] = process.argv.slice(1);
const u = dgram.createSocket('udp4'); u.on('message', () => {});
u.bind(+udpPort, addr, () => {
  const s = net.createServer((c) => { c.on('data', () => {}); c.on('end', () => c.end()); });
  s.listen(+tcpPort, addr, () => process.stdout.write('servers-ready\\n'));
});`;

/** ICMP, UDP and TCP from A: ping, datagrams of known sizes, one TCP connection with data and close. */
const CLIENT_JS = `
const net = require('net'), dgram = require('dgram');
const [addr, udpPort, tcpPort, tcpBytes, ...sizes] = process.argv.slice(1);
const u = dgram.createSocket('udp4');
(async () => {
  for (const n of sizes) await new Promise((r) => u.send(Buffer.alloc(+n, 0x61), +udpPort, addr, r));
  u.close();
  await new Promise((resolve, reject) => {
    const c = net.connect(+tcpPort, addr, () => c.end(Buffer.alloc(+tcpBytes, 0x62)));
    c.on('data', () => {}); c.on('close', resolve); c.on('error', reject);
  });
})().catch((e) => { console.error(e); process.exit(1); });`;

export function startServers(pair: VethPair): ChildProcess {
  return pair.spawn(pair.nsB, process.execPath, ['-e', SERVER_JS, pair.addrB, String(TRAFFIC.udpPort), String(TRAFFIC.tcpPort)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Sends the known traffic from A to B and returns when it is all acknowledged. */
export function sendTraffic(pair: VethPair): void {
  pair.exec(pair.nsA, 'ping', ['-q', '-c', String(TRAFFIC.pings), '-i', '0.05', '-s', '56', pair.addrB]);
  pair.exec(pair.nsA, process.execPath, [
    '-e',
    CLIENT_JS,
    pair.addrB,
    String(TRAFFIC.udpPort),
    String(TRAFFIC.tcpPort),
    String(TRAFFIC.tcpBytes),
    ...TRAFFIC.udpPayloads.map(String),
  ]);
}

/**
 * Runs `netmon capture ARGS --iface <B side>` and tcpdump side by side on B while the known traffic
 * goes from A to B; stops both (the capture with SIGTERM, expecting exit 0) and returns the capture's
 * stdout. tcpdump writes `reference`; `children` collects both processes for the test's clean-up.
 */
export async function captureWithTcpdump(pair: VethPair, cli: string, captureArgs: string[], reference: string, children: ChildProcess[]): Promise<string> {
  const servers = startServers(pair);
  children.push(servers);
  await waitForOutput(servers, /servers-ready/);
  const tcpdump = pair.spawn(pair.nsB, 'tcpdump', ['-i', pair.ifB, '-n', '-U', '--immediate-mode', '-w', reference], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(tcpdump);
  await waitForOutput(tcpdump, /listening on/);
  const capture = pair.spawn(pair.nsB, process.execPath, [cli, 'capture', '--iface', pair.ifB, ...captureArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(capture);
  let stdout = '';
  capture.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  await waitForOutput(capture, /capturing on/);
  sendTraffic(pair);
  await new Promise((r) => setTimeout(r, 300));
  capture.kill('SIGTERM');
  const code = await waitForExit(capture);
  tcpdump.kill('SIGINT');
  await waitForExit(tcpdump);
  if (code !== 0) throw new Error(`netmon capture exited with ${code}`);
  return stdout;
}

export interface GroundTruthFrame {
  sec: number;
  nsec: number;
  wireLength: number;
}

/** Reads a pcap written by tcpdump with tshark: the ground truth of what crossed the link. */
export function readPcapFrames(file: string): GroundTruthFrame[] {
  const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out
    .trim()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const [epoch, len] = line.split('\t');
      const [s, frac = ''] = epoch.split('.');
      return { sec: Number(s), nsec: Number(frac.padEnd(9, '0').slice(0, 9)), wireLength: Number(len) };
    });
}
