import net from 'node:net';
import type { ServerMessage } from '../../../src-capture-helper/protocol/envelope';
import { parseServerMessage } from '../../../src-capture-helper/protocol/envelope';
import { FrameDecoder } from '../../../src-capture-helper/protocol/frame';

export interface Exchange {
  /** The helper closed the connection within the wait. */
  closed: boolean;
  messages: ServerMessage[];
}

/** Connects, writes the given chunks as they are, and reports what came back until close or `waitMs`. */
export function rawExchange(socketPath: string, chunks: Uint8Array[], waitMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    const decoder = new FrameDecoder();
    const messages: ServerMessage[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ closed, messages });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
    });
    socket.on('data', (d: Buffer) => {
      try {
        decoder.push(d, (f) => messages.push(parseServerMessage(f).message));
      } catch {
        finish(true);
      }
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}
