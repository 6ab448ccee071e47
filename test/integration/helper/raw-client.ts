import net from 'node:net';
import type { ServerMessage } from '../../../src-capture-helper/protocol/envelope';
import { parseServerMessage } from '../../../src-capture-helper/protocol/envelope';
import { encodeFrame, FrameDecoder } from '../../../src-capture-helper/protocol/frame';
import { PROTOCOL_VERSION } from '../../../src-capture-helper/protocol/messages';

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

export interface StalledClient {
  /** Starts reading again; resolves with the events received once the stream has been quiet for 500 ms. */
  resume: () => Promise<Array<{ name: string; seq: number; payload: unknown }>>;
  destroy: () => void;
}

/** A client that authenticates and then stops reading, like a frozen UI. */
export async function stalledClient(socketPath: string, token: string): Promise<StalledClient> {
  const socket = net.connect(socketPath);
  const decoder = new FrameDecoder();
  const events: Array<{ name: string; seq: number; payload: unknown }> = [];
  await new Promise<void>((resolve) => {
    socket.once('connect', () => socket.write(encodeFrame({ t: 'hello', version: PROTOCOL_VERSION, token })));
    socket.once('data', () => resolve()); // the welcome
  });
  socket.pause();
  return {
    destroy: () => socket.destroy(),
    resume: () => new Promise((resolve) => {
      let idle: NodeJS.Timeout = setTimeout(() => resolve(events), 500);
      socket.on('data', (d: Buffer) => {
        decoder.push(d, (f) => {
          const m = JSON.parse(f.json.toString()) as { t: string; name: string; seq: number; payload: unknown };
          if (m.t === 'event') events.push(m);
        });
        clearTimeout(idle);
        idle = setTimeout(() => resolve(events), 500);
      });
      socket.resume();
    }),
  };
}

