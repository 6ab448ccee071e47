import net from 'node:net';
import type { ProgramStreams } from './program-source';
import type { LiveCaptureOptions } from './live-types';

/**
 * A capture opened before this process was started: a root parent (`sudo
 * netmon serve`) ran netmon-capture for these interfaces, dropped root, and
 * passed the program's output and control input as file descriptors 3 and 4.
 * The program holds its output until this process, its only reader, releases
 * it (--hold, capture-program/wire.md). The first live start on exactly these interfaces, without a filter, reads
 * it; later captures start the program themselves.
 */
let pending: { interfaces: string[]; outputFd: number; controlFd: number } | null = null;

export const HANDOFF_OUTPUT_FD = 3;
export const HANDOFF_CONTROL_FD = 4;

export function expectCaptureHandoff(interfaces: string[]): void {
  pending = { interfaces, outputFd: HANDOFF_OUTPUT_FD, controlFd: HANDOFF_CONTROL_FD };
}

export function takeCaptureHandoff(options: LiveCaptureOptions): ProgramStreams | null {
  if (pending === null || options.bpf || pending.interfaces.join('\n') !== options.interfaces.join('\n')) return null;
  const { outputFd, controlFd } = pending;
  pending = null;
  return {
    output: new net.Socket({ fd: outputFd, readable: true, writable: false }),
    control: new net.Socket({ fd: controlFd, readable: false, writable: true }),
    child: null,
    held: true,
  };
}
