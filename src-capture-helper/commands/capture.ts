import type { CaptureReadResult } from '../capture-file/read-capture-file';
import { openLiveSource, type CapturePathChoice } from '../live/live-capture';
import type { LiveCaptureError, LiveSource, LiveStats } from '../live/live-types';
import { LIVE_DEFAULTS, LiveCaptureOpenError } from '../live/live-types';
import { CaptureEngine } from '../pipeline/engine';
import { dropRoot, type PrivilegeOutcome } from '../privileges/process-privileges';
import { ProgramLiveSource } from '../live/program-source';
import type { AnalyzeReport } from '../report/analyze-report-shape';
import { formatReportText } from '../report/format-text';
import { parseCommandLine } from '../util/command-line';
import { writeJson } from '../util/write-json';
import { PcapngFileSink } from '../capture-file/pcapng-file-sink';

const USAGE = `usage: netmon capture --iface IF [--iface IF2 ...] [--bpf FILTER] [--duration S] [-w FILE] [--json]

Captures live traffic and prints the same report as 'netmon analyze', plus a
"capture" section: which capture path ran, kernel and helper drops per interface,
and how netmon-capture gave up its rights.
Stops after --duration seconds, or on Ctrl-C / SIGTERM.

  --iface IF       interface to capture on (repeat for several)
  --bpf FILTER     capture filter (pcap-filter syntax), applied to every interface
  --duration S     seconds to capture (default: until interrupted)
  --snaplen N      bytes kept per packet (default ${LIVE_DEFAULTS.snaplen})
  --buffer-mib N   kernel ring per interface (default ${LIVE_DEFAULTS.bufferSize / 1024 / 1024})
  --no-promisc     do not put interfaces in promiscuous mode
  --path P         auto | netmon-capture | cap (default auto: netmon-capture; cap captures
                   in this process, which then needs capture rights itself)
  -w FILE          also save every captured packet to FILE (pcapng), as the user
                   the capture runs as
  --json           one JSON object on stdout
  --top N          rows per table in the text output (default 10)

Packets come from netmon-capture (installed by 'sudo netmon install'), which
opens the interfaces and gives up its rights before it reads a packet; this
process never holds any. Started as root through sudo or pkexec, it lets
netmon-capture open the interfaces and then runs as the invoking user.

exit status: 0 done; 1 cannot capture (no such interface, no permission);
2 bad command line or capture filter; 3 the capture failed midway (the report
covers what was captured and the error is printed on stderr).`;

interface CaptureArgs {
  interfaces: string[];
  bpf: string;
  durationS: number | null;
  snaplen: number;
  bufferSize: number;
  promisc: boolean;
  path: CapturePathChoice;
  json: boolean;
  top: number;
  /** -w: where to save the packets (pcapng). */
  writeFile: string | null;
}

/** What `capture --json` adds to the analyze report. */
export interface CaptureSection {
  path: LiveStats['path'];
  caveats: readonly string[];
  interfaces: LiveStats['interfaces'];
  /** How netmon-capture gave up its rights (null on the cap path). */
  privileges: string | null;
  /** What this process did: unprivileged, dropped-root, kept-root. */
  processPrivileges: PrivilegeOutcome['kind'];
  duration_s: number;
  errors: LiveCaptureError[];
}

function parseCaptureArgs(args: string[]): CaptureArgs | string {
  const parsed = parseCommandLine({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      iface: { type: 'string', multiple: true },
      bpf: { type: 'string' },
      duration: { type: 'string' },
      snaplen: { type: 'string' },
      'buffer-mib': { type: 'string' },
      'no-promisc': { type: 'boolean' },
      path: { type: 'string' },
      write: { type: 'string', short: 'w' },
      json: { type: 'boolean' },
      top: { type: 'string' },
    },
  });
  if (typeof parsed === 'string') return parsed;
  const v = parsed.values;
  const positive = (text: string): number | null => {
    const n = Number(text);
    return text.trim() !== '' && Number.isFinite(n) && n > 0 ? n : null;
  };
  const out: CaptureArgs = {
    interfaces: v.iface ?? [], bpf: v.bpf ?? '', durationS: null, snaplen: LIVE_DEFAULTS.snaplen, bufferSize: LIVE_DEFAULTS.bufferSize,
    promisc: v['no-promisc'] !== true, path: 'auto', json: v.json === true, top: 10, writeFile: null,
  };
  if (out.interfaces.some((name) => name === '')) return '--iface needs an interface name';
  if (v.duration !== undefined) {
    const n = positive(v.duration);
    if (n === null) return '--duration needs a positive number of seconds';
    out.durationS = n;
  }
  if (v.snaplen !== undefined) {
    const n = positive(v.snaplen);
    if (n === null || !Number.isInteger(n) || n > 262144) return '--snaplen needs an integer from 1 to 262144';
    out.snaplen = n;
  }
  if (v['buffer-mib'] !== undefined) {
    const n = positive(v['buffer-mib']);
    if (n === null || n > 2047) return '--buffer-mib needs a number from 1 to 2047';
    out.bufferSize = Math.round(n * 1024 * 1024);
  }
  if (v.path !== undefined) {
    if (v.path !== 'auto' && v.path !== 'netmon-capture' && v.path !== 'cap') return '--path must be auto, netmon-capture or cap';
    out.path = v.path;
  }
  if (v.write !== undefined) {
    if (v.write === '') return '--write needs a file name';
    out.writeFile = v.write;
  }
  if (v.top !== undefined) {
    const n = positive(v.top);
    if (n === null || !Number.isInteger(n)) return '--top needs a positive integer';
    out.top = n;
  }
  if (out.interfaces.length === 0) return 'at least one --iface is needed';
  if (new Set(out.interfaces).size !== out.interfaces.length) return 'an interface is named twice';
  return out;
}

export async function runCaptureCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const parsed = parseCaptureArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`netmon capture: ${parsed}\n\n${USAGE}\n`);
    return 2;
  }
  const engine = new CaptureEngine();
  let source: LiveSource;
  try {
    source = await openLiveSource(
      {
        interfaces: parsed.interfaces,
        bpf: parsed.bpf,
        snaplen: parsed.snaplen,
        bufferSize: parsed.bufferSize,
        promisc: parsed.promisc,
      },
      parsed.path,
    );
  } catch (err) {
    if (err instanceof LiveCaptureOpenError) {
      process.stderr.write(`netmon capture: ${err.message}\n`);
      return err.code === 'EBPF' || err.code === 'EINVAL' ? 2 : 1;
    }
    throw err;
  }
  let privileges: PrivilegeOutcome;
  try {
    privileges = dropRoot();
  } catch (err) {
    await source.stop();
    process.stderr.write(`netmon capture: ${(err as Error).message}\n`);
    return 1;
  }
  if (privileges.kind === 'kept-root') process.stderr.write(`netmon capture: warning: ${privileges.reason}\n`);
  // Opened once rights are dropped: the file belongs to the user and is written where that user may write.
  let saved: PcapngFileSink | null = null;
  if (parsed.writeFile !== null) {
    try {
      saved = new PcapngFileSink(parsed.writeFile, parsed.interfaces.map((name, i) => ({ name, linkType: source.linkTypes[i], snaplen: parsed.snaplen })), engine);
    } catch (err) {
      await source.stop();
      process.stderr.write(`netmon capture: cannot write ${parsed.writeFile}: ${(err as Error).message}\n`);
      return 1;
    }
  }

  const errors: LiveCaptureError[] = [];
  const started = Date.now();
  await new Promise<void>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      process.off('SIGINT', finish).off('SIGTERM', finish);
      resolve();
    };
    const timer = parsed.durationS === null ? undefined : setTimeout(finish, parsed.durationS * 1000);
    process.on('SIGINT', finish).on('SIGTERM', finish);
    source.start(saved ?? engine, (e) => {
      errors.push(e);
      process.stderr.write(`netmon capture: ${e.iface}: ${e.message}\n`);
      // Stop when every interface has failed.
      if (errors.length >= parsed.interfaces.length) finish();
    });
    process.stderr.write(`netmon capture: capturing on ${parsed.interfaces.join(', ')} (${source.path} path)\n`);
  });
  // Stopping delivers what the kernel already holds, then the final counters.
  await source.stop();
  saved?.close();
  if (saved?.error) {
    errors.push({ iface: parsed.interfaces[0], code: 'EIO', message: `saving to ${saved.file} stopped: ${saved.error.message}` });
    process.stderr.write(`netmon capture: saving to ${saved.file} stopped: ${saved.error.message}\n`);
  } else if (saved !== null) {
    process.stderr.write(`netmon capture: saved ${saved.packets} packets to ${saved.file}\n`);
  }
  const stats = source.stats();
  const durationS = (Date.now() - started) / 1000;

  const read: CaptureReadResult = {
    format: undefined,
    version: '',
    bigEndian: false,
    nanosecond: true,
    sections: 0,
    interfaces: parsed.interfaces.map((name, index) => ({
      section: 0,
      index,
      linkType: source.linkTypes[index],
      snaplen: parsed.snaplen,
      tsresol: '10^-9',
      name,
    })),
    packets: stats.interfaces.reduce((s, i) => s + i.packets, 0),
    fileSize: 0,
    complete: errors.length === 0,
    error: undefined,
  };
  const report: AnalyzeReport & { capture?: CaptureSection } = engine.finish(`live:${parsed.interfaces.join(',')}`, read);
  if (errors.length > 0) {
    report.read = { complete: false, error: errors.map((e) => `${e.iface}: ${e.message}`).join('; '), error_kind: 'capture' };
  }
  report.capture = {
    path: stats.path,
    caveats: source.caveats,
    interfaces: stats.interfaces,
    privileges: source instanceof ProgramLiveSource ? source.opened.privileges : null,
    processPrivileges: privileges.kind,
    duration_s: durationS,
    errors,
  };
  if (parsed.json) writeJson(report, (chunk) => process.stdout.write(chunk));
  process.stdout.write(parsed.json ? '\n' : formatReportText(report, parsed.top, { icmpKind: (f) => engine.icmpKind(f), live: true, quality: engine.qualitySummary }) + formatCaptureText(report.capture));
  return errors.length > 0 ? 3 : 0;
}

function formatCaptureText(c: CaptureSection): string {
  const lines = ['', `Capture path: ${c.path}${c.caveats.length > 0 ? ` (${c.caveats.join('; ')})` : ''}`];
  for (const i of c.interfaces) {
    const kernel = i.kernelDrops === null ? 'kernel drops unknown' : `${i.kernelDrops} kernel drops`;
    lines.push(`  ${i.name}: ${i.packets} packets, ${i.bytes} bytes, ${kernel}, ${i.helperDrops} helper drops`);
  }
  return `${lines.join('\n')}\n`;
}
