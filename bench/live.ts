/**
 * Live-capture figures on a veth pair between two namespaces: the highest
 * rate with < 0.1 % loss at 64-byte and 1500-byte frames for `netmon capture`
 * through netmon-capture and its pipe, the in-process `cap` path and
 * `tcpdump -w /dev/null`, in the same run.
 * Frames come from bench/udp-generator.ts. Figures, not asserts. Needs root.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileUdpGenerator } from './udp-generator';


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
  const gen = compileUdpGenerator(work);
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
