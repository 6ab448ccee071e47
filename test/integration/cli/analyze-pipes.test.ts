/**
 * `netmon` at both ends of a shell pipe: a reader that stops early (`| head`)
 * ends the command quietly, and `analyze -` reads a capture from standard
 * input with the same report as from the file. Needs `npm run build:ts`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../../scripts/gen-bench-capture';

const REPO = path.resolve(__dirname, '../../..');
const CLI = path.join(REPO, 'dist/src-main/cli/netmon.js');
const FIXTURES = path.resolve(REPO, '../shared/fixtures/pcap');
/** What the shell reports for a writer whose reader went away (128 + SIGPIPE). */
const OUTPUT_CLOSED = 141;

/** Runs a bash pipeline; `$NETMON` is the built CLI, whose stderr goes to `$ERR`. Returns the pipeline's stdout, the
 *  CLI's stderr and the status of the CLI, the pipeline's first command unless the CLI reads from a pipe. */
function pipeline(script: string, dir: string): { stdout: string; cliStderr: string; cliStatus: number } {
  const cliIndex = script.trimStart().startsWith('$NETMON') ? 0 : 1;
  const errFile = path.join(dir, `stderr-${Math.random().toString(36).slice(2)}`);
  const r = spawnSync('bash', ['-c', `${script}; echo "status=\${PIPESTATUS[${cliIndex}]}" >&2`], {
    encoding: 'utf8',
    env: { ...process.env, NETMON: `${process.execPath} ${CLI}`, ERR: errFile },
    maxBuffer: 256 * 1024 * 1024,
  });
  const status = /status=(\d+)/.exec(r.stderr);
  expect(status, r.stderr).not.toBeNull();
  const cliStderr = fs.existsSync(errFile) ? fs.readFileSync(errFile, 'utf8') : '';
  return { stdout: r.stdout, cliStderr, cliStatus: Number(status?.[1]) };
}

describe('netmon in a shell pipe', () => {
  let dir: string;
  let big: string;

  beforeAll(() => {
    expect(fs.existsSync(CLI), 'run npm run build:ts first').toBe(true);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-pipes-'));
    big = path.join(dir, 'big.pcap');
    generate({ out: big, packets: 30_000, seed: 7, concurrentFlows: 0 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('analyze --json | head -c 100: the JSON starts, then the command ends quietly when head leaves', () => {
    const whole = spawnSync(process.execPath, [CLI, 'analyze', big, '--json'], { maxBuffer: 256 * 1024 * 1024 });
    expect(whole.status).toBe(0);
    // Far more than a pipe holds, so the writer is still writing when head has gone.
    expect(whole.stdout.length).toBeGreaterThan(1024 * 1024);

    const r = pipeline(`$NETMON analyze "${big}" --json 2>"$ERR" | head -c 100`, dir);
    expect(r.stdout).toBe(whole.stdout.subarray(0, 100).toString());
    expect(r.cliStderr).toBe('');
    expect(r.cliStatus).toBe(OUTPUT_CLOSED);
  });

  it('analyze text output | head -c 100: the same', () => {
    const r = pipeline(`$NETMON analyze "${big}" --top 100000 2>"$ERR" | head -c 100`, dir);
    expect(r.stdout).toMatch(/^File: {6}big\.pcap \(pcap 2\.4/);
    expect(r.cliStderr).toBe('');
    expect(r.cliStatus).toBe(OUTPUT_CLOSED);
  });

  const streams = ['raw_ip.pcap', 'many_interfaces-1.pcapng', 'Dns.pcap'];
  for (const name of streams) {
    it(`analyze - reads ${name} from a pipe and from a redirect: the same report as from the file`, () => {
      const file = path.join(FIXTURES, name);
      const fromFile = spawnSync(process.execPath, [CLI, 'analyze', file, '--json'], { encoding: 'utf8' });
      expect(fromFile.status, fromFile.stderr).toBe(0);
      const expected = JSON.parse(fromFile.stdout) as { file: { name: string; size: number } };
      expected.file.name = '-';

      const piped = pipeline(`cat "${file}" | $NETMON analyze - --json 2>"$ERR"`, dir);
      expect(piped.cliStderr).toBe('');
      expect(JSON.parse(piped.stdout)).toEqual(expected);

      const redirected = pipeline(`$NETMON analyze - --json <"${file}" 2>"$ERR"`, dir);
      expect(JSON.parse(redirected.stdout)).toEqual(expected);

      const text = pipeline(`cat "${file}" | $NETMON analyze - 2>"$ERR"`, dir);
      const textFromFile = spawnSync(process.execPath, [CLI, 'analyze', file], { encoding: 'utf8' }).stdout;
      expect(text.stdout).toBe(textFromFile.replace(`File:      ${name} (`, 'File:      standard input ('));
    });
  }

  it('analyze - on a 17 MB stream: every packet, as from the file', () => {
    const fromFile = JSON.parse(spawnSync(process.execPath, [CLI, 'analyze', big, '--json'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).stdout) as Record<string, unknown>;
    const piped = pipeline(`cat "${big}" | $NETMON analyze - --json 2>"$ERR"`, dir);
    expect(piped.cliStatus).toBe(0);
    expect(JSON.parse(piped.stdout)).toEqual({ ...fromFile, file: { name: '-', size: fs.statSync(big).size } });
  });

  it('analyze - with something that is no capture, or nothing: a clear error and status 1', () => {
    const garbage = pipeline(`head -c 5000 /dev/urandom | $NETMON analyze - 2>"$ERR"`, dir);
    expect(garbage.cliStatus).toBe(1);
    expect(garbage.cliStderr).toMatch(/^netmon analyze: standard input: not a pcap or pcapng file/);
    expect(garbage.stdout).toBe('');
    const empty = pipeline(`$NETMON analyze - </dev/null 2>"$ERR"`, dir);
    expect(empty.cliStatus).toBe(1);
    expect(empty.cliStderr).toMatch(/^netmon analyze: standard input: /);
    expect(empty.cliStderr).not.toMatch(/\n\s+at /);
  });

  it('a socket on standard input (a Node parent\'s default): a clear message, not a stack trace', () => {
    const r = spawnSync(process.execPath, [CLI, 'analyze', '-'], { input: fs.readFileSync(path.join(FIXTURES, 'Dns.pcap')) });
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toMatch(/^netmon analyze: standard input is a socket: give the capture through a pipe or a file/);
  });

  it('a damaged stream: the report of what was read, status 3', () => {
    const file = path.join(FIXTURES, 'raw_ip.pcap');
    const cut = pipeline(`head -c 20000 "${file}" | $NETMON analyze - --json 2>"$ERR"`, dir);
    expect(cut.cliStatus).toBe(3);
    expect(cut.cliStderr).toMatch(/^netmon analyze: standard input: .*the report covers them/);
    const report = JSON.parse(cut.stdout) as { read: { complete: boolean }; packets: number; file: { size: number } };
    expect(report.read.complete).toBe(false);
    expect(report.packets).toBeGreaterThan(0);
  });

  it.skipIf(process.getuid?.() !== 0)('capture | a reader that left: the capture ends quietly too', () => {
    const r = pipeline(`$NETMON capture --iface lo --duration 1 2>"$ERR" | head -c 0`, dir);
    expect(r.cliStderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.cliStatus).toBe(OUTPUT_CLOSED);
  });
});
