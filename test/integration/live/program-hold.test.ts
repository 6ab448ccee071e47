import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { captureRights } from '../../../src-capture-helper/live/capture-program';
import { CaptureMessageReader, MessageType, parseJsonMessage } from '../../../src-capture-helper/live/capture-messages';
import { LiveCaptureOpenError } from '../../../src-capture-helper/live/live-types';
import { ProgramLiveSource, programArgs } from '../../../src-capture-helper/live/program-source';
import { waitForExit } from './live-traffic';

/**
 * netmon-capture started for a reader other than its parent (`sudo netmon
 * serve`): --hold keeps its output unwritten until the reader sends 'G', an
 * open nobody completes fails in bounded time, and the program ends with the
 * process that started it. Capturing on lo needs root.
 */
const asRoot = process.platform === 'linux' && process.geteuid?.() === 0;

function program(): string {
  const rights = captureRights({ env: {} });
  if (rights.state !== 'ready') throw new Error(rights.message);
  return rights.program;
}

/** Message types a program writes, as they arrive. */
function collect(child: ChildProcess): { types: number[]; opened: () => Record<string, unknown> | null } {
  const types: number[] = [];
  let opened: Record<string, unknown> | null = null;
  const reader = new CaptureMessageReader((type, payload) => {
    types.push(type);
    if (type === MessageType.opened) opened = parseJsonMessage(payload);
  });
  child.stdout!.on('data', (chunk: Buffer) => reader.push(chunk));
  return { types, opened: () => opened };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!asRoot)('netmon-capture --hold', () => {
  it('writes nothing until G, then OPENED; commands after G are read as usual', async () => {
    const child = spawn(program(), [...programArgs({ interfaces: ['lo'] }), '--hold'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = collect(child);
    await sleep(500);
    expect(out.types).toEqual([]);
    child.stdin!.write('GS');
    await expect.poll(() => out.types.filter((t) => t === MessageType.stats).length, { timeout: 5000 }).toBeGreaterThan(0);
    expect(out.types[0]).toBe(MessageType.opened);
    expect(out.opened()).toMatchObject({ interfaces: [{ name: 'lo', ok: true }] });
    child.stdin!.end();
    expect(await waitForExit(child, 10_000)).toBe(0);
    expect(out.types.at(-1)).toBe(MessageType.end);
  });

  it('ends without a message when its control input ends, or another byte comes, before G', async () => {
    for (const [input, status] of [['', 1], ['S', 2]] as const) {
      const child = spawn(program(), [...programArgs({ interfaces: ['lo'] }), '--hold'], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out = collect(child);
      await sleep(200);
      child.stdin!.end(input);
      expect(await waitForExit(child, 10_000)).toBe(status);
      expect(out.types).toEqual([]);
    }
  });

  it('an open that never gets OPENED fails with ETIMEDOUT in bounded time and ends the program', async () => {
    // Held, but the reader is not told so: it never releases the output, as a reader whose OPENED someone else took.
    const child = spawn(program(), [...programArgs({ interfaces: ['lo'] }), '--hold'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const started = Date.now();
    const opening = ProgramLiveSource.attach({ output: child.stdout!, control: child.stdin!, child, held: false }, ['lo'], null, 800);
    const err = await opening.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(LiveCaptureOpenError);
    expect(err).toMatchObject({ code: 'ETIMEDOUT' });
    expect((err as Error).message).toMatch(/did not report its interfaces open within 800 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
  });

  it('ends when the process that started it dies, even while its control input stays open', async () => {
    // A parent that starts the program and is then killed. The program's control input is a pipe that a
    // `sleep` holds open, its output this test's pipe: only the parent-death signal can end it.
    const parent = spawn(process.execPath, ['-e', `
      const { spawn } = require('child_process');
      const holder = spawn('sleep', ['60'], { stdio: ['ignore', 'pipe', 'ignore'] });
      const c = spawn(process.argv[1], process.argv.slice(2), { stdio: [holder.stdout, 'inherit', 'ignore'] });
      setTimeout(() => process.stderr.write('started ' + c.pid + ' ' + holder.pid + '\\n'), 300);
      setInterval(() => {}, 1000);`, program(), ...programArgs({ interfaces: ['lo'] })], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = collect(parent);
    const [pid, holder] = await new Promise<number[]>((resolve, reject) => {
      parent.stderr!.on('data', (d: Buffer) => {
        const m = /started (\d+) (\d+)/.exec(d.toString());
        if (m) resolve([Number(m[1]), Number(m[2])]);
      });
      parent.once('exit', () => reject(new Error('the parent ended early')));
    });
    await expect.poll(() => out.types[0], { timeout: 5000 }).toBe(MessageType.opened);
    const outputClosed = new Promise<void>((resolve) => parent.stdout!.once('close', () => resolve()));
    parent.kill('SIGKILL');
    // Every writer of the output pipe gone: the program ended; it stopped as on SIGTERM, with END last.
    try {
      await Promise.race([outputClosed, sleep(10_000).then(() => { throw new Error(`netmon-capture ${pid} still runs after its parent died`); })]);
    } finally {
      process.kill(holder, 'SIGKILL');
    }
    expect(out.types.at(-1)).toBe(MessageType.end);
  });
});
