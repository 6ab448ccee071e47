/**
 * Live-capture figures on a veth pair between two namespaces: the highest
 * rate with < 0.1 % loss at 64-byte and 1500-byte frames for `netmon capture`
 * through netmon-capture and its pipe, the in-process `cap` path and
 * `tcpdump -w /dev/null`, in the same run.
 * Frames come from a small C generator (AF_PACKET, sendmmsg, paced), compiled
 * here with the system compiler. Figures, not asserts. Needs root.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const GENERATOR_C = String.raw`
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
/* usage: gen IFACE FRAME_BYTES PPS(0 = flat out) SECONDS SRCMAC DSTMAC SRCIP DSTIP; prints "sent seconds" */
#define BATCH 32
static double now(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + ts.tv_nsec / 1e9; }
static void mac(const char *s, uint8_t *o) { unsigned v[6]; sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); for (int i = 0; i < 6; i++) o[i] = (uint8_t)v[i]; }
static uint16_t csum(const uint8_t *p, int n) { uint32_t s = 0; for (int i = 0; i < n; i += 2) s += (p[i] << 8) | p[i + 1]; while (s >> 16) s = (s & 0xffff) + (s >> 16); return (uint16_t)~s; }
int main(int argc, char **argv) {
  if (argc != 9) return 2;
  int len = atoi(argv[2]); double pps = atof(argv[3]), secs = atof(argv[4]);
  int fd = socket(AF_PACKET, SOCK_RAW, 0); if (fd < 0) { perror("socket"); return 1; }
  int one = 1; setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
  struct sockaddr_ll sll; memset(&sll, 0, sizeof(sll)); sll.sll_family = AF_PACKET; sll.sll_ifindex = if_nametoindex(argv[1]);
  if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) { perror("bind"); return 1; }
  static uint8_t f[9000]; mac(argv[6], f); mac(argv[5], f + 6); f[12] = 0x08;
  uint8_t *ip = f + 14; ip[0] = 0x45; ip[2] = (len - 14) >> 8; ip[3] = (len - 14) & 255; ip[8] = 64; ip[9] = 17;
  inet_pton(AF_INET, argv[7], ip + 12); inet_pton(AF_INET, argv[8], ip + 16);
  uint16_t c = csum(ip, 20); ip[10] = c >> 8; ip[11] = c & 255;
  uint8_t *udp = ip + 20; udp[0] = 0x9c; udp[1] = 0x40; udp[3] = 9; udp[4] = (len - 34) >> 8; udp[5] = (len - 34) & 255;
  struct mmsghdr m[BATCH]; struct iovec v[BATCH];
  for (int i = 0; i < BATCH; i++) { v[i].iov_base = f; v[i].iov_len = len; memset(&m[i], 0, sizeof(m[i])); m[i].msg_hdr.msg_iov = &v[i]; m[i].msg_hdr.msg_iovlen = 1; }
  double start = now(), end = start + secs; unsigned long long sent = 0;
  for (;;) { double t = now(); if (t >= end) break; if (pps > 0 && sent >= (t - start) * pps) continue; int r = sendmmsg(fd, m, BATCH, 0); if (r > 0) sent += r; }
  printf("%llu %.6f\n", sent, now() - start); return 0;
}
`;

export type LiveBenchReceiver = 'netmon-capture' | 'cap' | 'tcpdump';

export interface LiveBenchTrial {
  receiver: LiveBenchReceiver;
  frameBytes: number;
  offeredPps: number;
  /** Rate the generator reached (it shares the CPUs with the receiver). */
  achievedPps: number;
  sent: number;
  /** Kernel ring drops the receiver reported. */
  kernelDrops: number | null;
  captured: number;
  lossPct: number;
}

export interface LiveBenchResult {
  generatorMaxPps: Record<number, number>;
  /** Highest achieved rate with < 0.1 % loss, per receiver and frame size (0 when even the lowest rate lost more). */
  maxLosslessPps: Record<LiveBenchReceiver, Record<number, number>>;
  trials: LiveBenchTrial[];
}

export interface LiveBenchOptions {
  frameSizes?: number[];
  /** Offered rates to try, ascending; the generator's flat-out rate is added last. */
  rates?: number[];
  trialSeconds?: number;
  receivers?: LiveBenchReceiver[];
  log?: (line: string) => void;
}

const REPO = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO, 'dist', 'src-capture-helper', 'cli.js');
const MAC_A = '02:6e:6d:00:00:0a';
const MAC_B = '02:6e:6d:00:00:0b';
const ADDR_A = '198.19.255.1';
const ADDR_B = '198.19.255.2';
/** Kernel ring per receiver, the same for all: it absorbs scheduling stalls on a busy machine. */
const RING_MIB = 128;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function waitFor(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`receiver not ready: ${seen}`)), 15_000);
    const on = (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
  });
}

function collect(child: ChildProcess): Promise<{ out: string; err: string }> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', () => resolve({ out, err }));
  });
}

export async function runLiveBench(options: LiveBenchOptions = {}): Promise<LiveBenchResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const frameSizes = options.frameSizes ?? [64, 1500];
  const rates = options.rates ?? [25_000, 50_000, 100_000, 200_000, 400_000, 600_000];
  const seconds = options.trialSeconds ?? 2;
  const receivers = options.receivers ?? ['tcpdump', 'netmon-capture', 'cap'];
  if (process.getuid?.() !== 0) throw new Error('the live benchmark needs root (network namespaces)');
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-live-bench-'));
  const gen = path.join(work, 'gen');
  fs.writeFileSync(`${gen}.c`, GENERATOR_C);
  sh('cc', ['-O2', '-o', gen, `${gen}.c`]);
  const tag = process.pid.toString(36);
  const nsA = `nmbA${tag}`;
  const nsB = `nmbB${tag}`;
  const ifA = `nmba${tag}`;
  const ifB = `nmbb${tag}`;
  const cleanup = () => {
    for (const ns of [nsA, nsB]) {
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch {
        // Not created.
      }
    }
    fs.rmSync(work, { recursive: true, force: true });
  };
  try {
    sh('ip', ['netns', 'add', nsA]);
    sh('ip', ['netns', 'add', nsB]);
    sh('ip', ['link', 'add', ifA, 'netns', nsA, 'address', MAC_A, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB, 'address', MAC_B]);
    for (const [ns, ifc, addr] of [[nsA, ifA, ADDR_A], [nsB, ifB, ADDR_B]]) {
      sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
      sh('ip', ['-n', ns, 'addr', 'add', `${addr}/30`, 'dev', ifc]);
      sh('ip', ['-n', ns, 'link', 'set', ifc, 'up']);
    }
    const generate = (frame: number, pps: number): { sent: number; secs: number } => {
      const [sent, secs] = sh('ip', ['netns', 'exec', nsA, gen, ifA, String(frame), String(pps), String(seconds), MAC_A, MAC_B, ADDR_A, ADDR_B])
        .trim()
        .split(' ')
        .map(Number);
      return { sent, secs };
    };

    const result: LiveBenchResult = { generatorMaxPps: {}, maxLosslessPps: { 'netmon-capture': {}, cap: {}, tcpdump: {} }, trials: [] };
    for (const frame of frameSizes) {
      const flat = generate(frame, 0);
      result.generatorMaxPps[frame] = Math.round(flat.sent / flat.secs);
      log(`live: generator flat out at ${frame} B: ${result.generatorMaxPps[frame]} pps`);
      const offered = [...rates.filter((r) => r < result.generatorMaxPps[frame] * 0.95), 0];
      for (const receiver of receivers) {
        result.maxLosslessPps[receiver][frame] = 0;
        for (const pps of offered) {
          const trial = await runTrial(receiver, frame, pps);
          result.trials.push(trial);
          log(`live: ${receiver.padEnd(14)} ${String(frame).padStart(4)} B offered ${pps === 0 ? 'max' : pps} pps: ` +
            `achieved ${Math.round(trial.achievedPps)} pps, sent ${trial.sent}, captured ${trial.captured}, ` +
            `kernel drops ${trial.kernelDrops ?? '?'}, loss ${trial.lossPct.toFixed(3)} %`);
          if (trial.lossPct >= 0.1) break;
          const best = result.maxLosslessPps[receiver][frame];
          result.maxLosslessPps[receiver][frame] = Math.max(best, Math.round(trial.achievedPps));
        }
      }
    }
    return result;

    async function runTrial(receiver: LiveBenchReceiver, frame: number, pps: number): Promise<LiveBenchTrial> {
      const filter = 'udp and dst port 9';
      const child =
        receiver === 'tcpdump'
          ? spawn('ip', ['netns', 'exec', nsB, 'tcpdump', '-i', ifB, '-n', '-B', '32768', '-w', '/dev/null', filter], { stdio: ['ignore', 'pipe', 'pipe'] })
          : spawn('ip', ['netns', 'exec', nsB, process.execPath, CLI, 'capture', '--iface', ifB, '--path', receiver, '--bpf', filter, '--buffer-mib', String(RING_MIB), '--json'], {
              stdio: ['ignore', 'pipe', 'pipe'],
            });
      const done = collect(child);
      await waitFor(child, receiver === 'tcpdump' ? /listening on/ : /capturing on/);
      const { sent, secs } = generate(frame, pps);
      // tcpdump's ring-block timeout is 1 s: let the last block reach it.
      await new Promise((r) => setTimeout(r, receiver === 'tcpdump' ? 1200 : 300));
      child.kill(receiver === 'tcpdump' ? 'SIGINT' : 'SIGTERM');
      const { out, err } = await done;
      let captured: number;
      let kernelDrops: number | null;
      if (receiver === 'tcpdump') {
        captured = Number(/(\d+) packets captured/.exec(err)?.[1] ?? 0);
        kernelDrops = Number(/(\d+) packets dropped by kernel/.exec(err)?.[1] ?? 0);
      } else {
        const report = JSON.parse(out) as { protocols: { udp: { packets: number } }; capture: { interfaces: { kernelDrops: number | null }[] } };
        captured = report.protocols.udp.packets;
        kernelDrops = report.capture.interfaces[0].kernelDrops;
      }
      const lossPct = sent > 0 ? (Math.max(0, sent - captured) / sent) * 100 : 0;
      return { receiver, frameBytes: frame, offeredPps: pps, achievedPps: sent / secs, sent, captured, kernelDrops, lossPct };
    }
  } finally {
    cleanup();
  }
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  const only = process.argv.find((a) => a.startsWith('--receivers='))?.slice('--receivers='.length);
  const frames = process.argv.find((a) => a.startsWith('--frames='))?.slice('--frames='.length);
  runLiveBench({
    ...(quick ? { rates: [25_000, 100_000], trialSeconds: 1 } : {}),
    ...(only ? { receivers: only.split(',') as LiveBenchReceiver[] } : {}),
    ...(frames ? { frameSizes: frames.split(',').map(Number) } : {}),
  }).then(
    (r) => process.stdout.write(`${JSON.stringify({ generatorMaxPps: r.generatorMaxPps, maxLosslessPps: r.maxLosslessPps }, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`live bench: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
