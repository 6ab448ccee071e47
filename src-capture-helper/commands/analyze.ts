import { fstatSync } from 'node:fs';
import { basename } from 'node:path';
import { isatty } from 'node:tty';
import type { HelperCommand } from '../cli';
import { CaptureFileError } from '../capture-file/capture-file-error';
import type { CaptureReadResult } from '../capture-file/read-capture-file';
import { readCaptureFile } from '../capture-file/read-capture-file';
import { CaptureEngine } from '../pipeline/engine';
import { formatReportText } from '../report/format-text';
import { parseCommandLine } from '../util/command-line';
import { writeJson } from '../util/write-json';

const HELP = `usage: netmon analyze FILE|- [--json] [--top N]

Reads a pcap or pcapng capture file (or, given -, a capture streamed on
standard input: tcpdump -w - | netmon analyze -) and reports totals, protocols, conversations
(counted as tshark counts them), top talkers, top flows and the names seen on
the wire (DNS answers, TLS/QUIC server names, HTTP hosts).

options:
  --json     print one JSON object on stdout (field names as tshark-derived truth files)
  --top N    rows per table in the text output (default 10)
  -h, --help show this help

exit status:
  0  the whole file was read
  3  the file is damaged or cut short: the report covers the records read before
     the problem, "read" says {complete:false, error:...} and the error is also
     printed on stderr
  1  the file cannot be opened or is not a pcap/pcapng capture (nothing printed on stdout)
  2  bad command line
  141  the reader of the output went away early (netmon analyze FILE | head)

Progress is shown on stderr for files over 64 MiB when stderr is a terminal.`;

const PROGRESS_MIN_SIZE = 64 * 1024 * 1024;

export const analyzeCommand: HelperCommand = {
  summary: 'report on a pcap/pcapng file',
  run: runAnalyze,
};

export function runAnalyze(args: string[]): number {
  const parsed = parseCommandLine({
    args,
    strict: true,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, top: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (typeof parsed === 'string') return usageError(parsed);
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const json = values.json === true;
  const top = values.top === undefined ? 10 : Number(values.top);
  if (!Number.isInteger(top) || top < 1) return usageError('--top needs a positive integer');
  if (positionals.length > 1) return usageError('only one FILE may be given');
  const file = positionals[0];
  if (file === undefined) return usageError('missing FILE');
  const input = inputOf(file);
  if (typeof input === 'string') return usageError(input);
  // /dev/stdin does not open a socket (what Node's child_process gives a child by default).
  if (input.stdin && fstatSync(0).isSocket()) {
    process.stderr.write(`netmon analyze: ${STDIN_NAME} is a socket: give the capture through a pipe or a file (... | netmon analyze -)\n`);
    return 1;
  }

  const engine = new CaptureEngine();
  const progress = process.stderr.isTTY ? new Progress() : undefined;
  let consumed = 0;
  let read: CaptureReadResult;
  try {
    read = readCaptureFile(input.path, engine, {
      onProgress: (done, size) => {
        consumed = done;
        progress?.update(done, size);
      },
    });
  } catch (err) {
    if (err instanceof CaptureFileError) {
      process.stderr.write(`netmon analyze: ${input.stdin ? `${STDIN_NAME}: ${err.message.replace(/^cannot open \S+: /, 'cannot read it: ')}` : err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    progress?.clear();
  }
  const shownName = input.stdin ? STDIN_NAME : file;
  if (read.format === undefined || (read.error?.kind === 'io' && read.packets === 0)) {
    process.stderr.write(`netmon analyze: ${shownName}: ${read.error?.message ?? 'not a capture file'}\n`);
    return 1;
  }
  // A stream has no size of its own: the report names what was read from it.
  if (input.stdin) read = { ...read, fileSize: consumed };
  const report = engine.finish(input.stdin ? '-' : basename(file), read);
  if (json) writeJson(report, (chunk) => process.stdout.write(chunk));
  process.stdout.write(json ? '\n' : formatReportText(report, top, { icmpKind: (f) => engine.icmpKind(f), quality: engine.qualitySummary }));
  if (read.error !== undefined) {
    process.stderr.write(`netmon analyze: ${shownName}: ${read.error.message} (after ${read.packets} records; the report covers them)\n`);
    return 3;
  }
  return 0;
}

const STDIN_NAME = 'standard input';

/** The path to read: the file, or for `-` standard input (a pipe or a redirected file), never a terminal. */
function inputOf(file: string): { path: string; stdin: boolean } | string {
  if (file !== '-') return { path: file, stdin: false };
  if (isatty(0)) return 'standard input is a terminal: pipe a capture into it (tcpdump -w - | netmon analyze -)';
  if (process.platform === 'win32') return 'reading a capture from standard input is not supported on Windows: give a file';
  // The stream is read where it lies, in bounded memory, as a file is, through /dev/stdin: a pipe or a file.
  return { path: '/dev/stdin', stdin: true };
}

function usageError(message: string): number {
  process.stderr.write(`netmon analyze: ${message}\n\n${HELP}\n`);
  return 2;
}

/** One rewritten stderr line, at most four times a second. */
class Progress {
  private last = 0;
  private shown = false;

  update(done: number, size: number): void {
    if (size < PROGRESS_MIN_SIZE) return;
    const now = Date.now();
    if (now - this.last < 250) return;
    this.last = now;
    this.shown = true;
    const pct = size > 0 ? Math.floor((done / size) * 100) : 100;
    process.stderr.write(`\ranalyzing: ${pct}% (${(done / 1048576).toFixed(0)} of ${(size / 1048576).toFixed(0)} MiB)`);
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
  }
}
