import { describe, expect, it } from 'vitest';
import type { ApiResult, CaptureStatus } from '../../../src-renderer/transport/api-types';
import type { ConnectionStatus, Transport } from '../../../src-renderer/transport/transport';
import { Controller } from '../../../src-renderer/state/controller';
import { createAppStore } from '../../../src-renderer/state/store';
import { makeCaptureStatus } from './make-flow';

/**
 * A transport whose answers come when the test says: statuses reach the page as pushed events and as answers (an
 * upload's answer over HTTP, not the WebSocket), and either may come first.
 */
class ScriptedTransport {
  readonly kind = 'websocket' as const;
  private readonly listeners = new Map<string, Array<(payload: unknown) => void>>();
  private statusListener: ((s: ConnectionStatus) => void) | null = null;
  upload: ((r: ApiResult<CaptureStatus>) => void) | null = null;
  current: CaptureStatus = { ...makeCaptureStatus('none', 'idle'), captureId: null, source: null, revision: 0 };

  request(channel: string): Promise<ApiResult<unknown>> {
    if (channel === 'capture.status') return Promise.resolve({ ok: true, value: this.current });
    if (channel === 'rollups.recent') return Promise.resolve({ ok: true, value: [] });
    if (channel === 'flows.query') return Promise.resolve({ ok: true, value: { total: 0, offset: 0, flows: [], next: null } });
    return Promise.resolve({ ok: false, error: { code: 'unavailable', message: `${channel} is not scripted` } });
  }
  on(channel: string, listener: (payload: unknown) => void): () => void {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener]);
    return () => undefined;
  }
  onStatus(listener: (s: ConnectionStatus) => void): () => void {
    this.statusListener = listener;
    return () => undefined;
  }
  open(): void {
    this.statusListener?.({ state: 'open' } as ConnectionStatus);
  }
  push(status: CaptureStatus): void {
    this.current = status;
    for (const l of this.listeners.get('capture.status') ?? []) l(status);
  }
  uploadCapture(): Promise<ApiResult<CaptureStatus>> {
    return new Promise((resolve) => (this.upload = resolve));
  }
  droppedEvents(): number {
    return 0;
  }
  close(): void {}
}

const replay = (state: CaptureStatus['state'], revision: number): CaptureStatus => ({
  ...makeCaptureStatus('r1', state),
  source: { kind: 'replay', file: '/tmp/Dns.pcap', speed: 1 },
  revision,
});

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}

/** A started controller on a scripted transport, and the store it feeds. */
function started() {
  const transport = new ScriptedTransport();
  const store = createAppStore('websocket');
  const controller = new Controller(transport as unknown as Transport, store);
  controller.start();
  return { transport, store, controller };
}

/** A controller connected to its server, which answered its first status. */
async function connected() {
  const parts = started();
  parts.transport.open();
  await settle();
  return parts;
}

describe('the capture status the page shows', () => {
  it('stays finished when the answer to an upload arrives after the pushed status of the replay finishing', async () => {
    const { transport, store, controller } = await connected();
    const opened = controller.openCaptureFile(new File(['x'], 'Dns.pcap'), 1);
    await settle();
    transport.push(replay('running', 3));
    transport.push(replay('finished', 7));
    await settle();
    // The upload's answer was written when the replay had just started.
    transport.upload?.({ ok: true, value: replay('running', 4) });
    expect(await opened).toBe(true);
    await settle();
    expect(store.getState().capture?.state).toBe('finished');
  });

  it('takes an answer that is newer than the events before it', async () => {
    const { transport, store, controller } = await connected();
    const opened = controller.openCaptureFile(new File(['x'], 'Dns.pcap'), 1);
    transport.push(replay('starting', 2));
    transport.upload?.({ ok: true, value: replay('running', 3) });
    await opened;
    expect(store.getState().capture?.state).toBe('running');
  });

  it('starts counting again when it connects to a server that started again', async () => {
    const { transport, store } = started();
    transport.push(replay('finished', 40));
    transport.open();
    await settle();
    expect(store.getState().capture?.revision).toBe(40);
    // The server restarted: its first statuses have low revisions and are current.
    transport.current = replay('idle', 1);
    transport.open();
    await settle();
    expect(store.getState().capture?.state).toBe('idle');
    transport.push(replay('starting', 2));
    expect(store.getState().capture?.state).toBe('starting');
  });
});
