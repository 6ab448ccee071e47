/**
 * A capture that ends with a large flow book moves every flow to the finished-flow log. The write
 * goes in bounded chunks between turns of the event loop, so main keeps answering meanwhile, and
 * the capture reads as finished only once every row is in the log.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventMap, EventName, FlowRow, SessionStatus, StartParams } from '../../../src-capture-helper/protocol/messages';
import type { HelperPort } from '../../../src-main/core/helper-port';
import type { FlowSummary } from '../../../src-main/api/types/flows';
import { flowFromRow } from '../../../src-main/core/flow-book';
import { FlowLogWriter } from '../../../src-main/core/flow-log-writer';
import { HistoryDb } from '../../../src-main/core/history-db';
import { createLogger } from '../../../src-main/core/log';
import { NetmonCore } from '../../../src-main/core/netmon-core';
import { defaultSettings } from '../../../src-main/core/settings';

const FLOWS = 120_000;
const DELTA = 2000;
const T0 = 1_700_000_000;

/** The helper's side of the connection, in process: answers `start` and sends the events a replay sends. */
class ScriptedHelper implements HelperPort {
  private readonly listeners = new Map<EventName, ((payload: never, meta: { session: string | null }) => void)[]>();
  session: StartParams & { sessionId: string } | null = null;

  async request(method: string, params: unknown): Promise<never> {
    if (method !== 'start') throw new Error(`unexpected request ${method}`);
    this.session = params as StartParams & { sessionId: string };
    return this.status('running') as never;
  }

  on<K extends EventName>(name: K, listener: (payload: EventMap[K], meta: { session: string | null }) => void): () => void {
    const list = this.listeners.get(name) ?? [];
    list.push(listener as (payload: never, meta: { session: string | null }) => void);
    this.listeners.set(name, list);
    return () => undefined;
  }

  send<K extends EventName>(name: K, payload: EventMap[K]): void {
    for (const l of this.listeners.get(name) ?? []) l(payload as never, { session: this.session?.sessionId ?? null });
  }

  status(state: SessionStatus['state']): SessionStatus {
    const s = this.session!;
    return {
      sessionId: s.sessionId, settings: s, state, capturePath: 'file', startedAt: T0, endedAt: state === 'running' ? null : T0 + 1,
      packets: FLOWS, bytes: FLOWS * 100, drops: { kernel: 0, helper: 0 }, error: null,
    };
  }
}

function row(id: number): FlowRow {
  return {
    id, iface: 'file.pcap', proto: 'udp', ipProto: 17, a: `10.${(id >> 16) & 255}.${(id >> 8) & 255}.${id & 255}`, portA: 1024 + (id % 60000),
    b: '192.0.2.1', portB: 53, vlan: -1, packetsAB: 1, bytesAB: 80, packetsBA: 0, bytesBA: 0,
    firstSeen: T0, lastSeen: T0, state: 'active', tcpFlags: 0, active: true,
  } as FlowRow;
}

/** How the event loop fared while `work` ran: its length, the longest gap between ticks of a 5 ms timer, and the ticks. */
async function timerTicksDuring(work: () => Promise<void>): Promise<{ totalMs: number; longestGapMs: number; ticks: number }> {
  const start = performance.now();
  let last = start;
  let longestGapMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
    ticks += 1;
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const end = performance.now();
  return { totalMs: end - start, longestGapMs: Math.max(longestGapMs, end - last), ticks };
}

let dir: string | null = null;
afterEach(() => {
  if (dir !== null) fs.rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe('the finished-flow log at the end of a capture', () => {
  it('writes 120k flows in chunks: timers keep firing, every row lands, the capture finishes after its last row', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-flowlog-'));
    const history = new HistoryDb(path.join(dir, 'history.sqlite'));
    const settings = defaultSettings();
    const core = new NetmonCore({ settings, history, logger: createLogger({ level: 'fatal' }) });
    expect(settings.flows.maxFlows).toBeGreaterThanOrEqual(FLOWS);
    const helper = new ScriptedHelper();
    core.attachHelper(helper);
    const started = await core.startCapture({ kind: 'replay', file: path.join(dir, 'file.pcap'), speed: 0 });
    expect(started.ok).toBe(true);
    const session = helper.session!.sessionId;
    for (let first = 1; first <= FLOWS; first += DELTA) {
      const updated = Array.from({ length: DELTA }, (_, i) => row(first + i));
      helper.send('flowDeltas', { second: T0, updated, ended: [], omitted: 0 } as EventMap['flowDeltas']);
    }
    expect(core.captureStatus().state).toBe('running');

    const loop = await timerTicksDuring(async () => {
      const finished = new Promise<void>((resolve) => {
        const off = core.on('capture.status', (s) => {
          if (s.state === 'finished') {
            off();
            resolve();
          }
        });
      });
      helper.send('captureState', helper.status('finished'));
      await finished;
    });

    // Written in one transaction this holds the loop for the whole write (seconds: about 30 µs a row), so the
    // longest gap would be the write itself. In chunks a turn is ~15 ms; the bounds are relative to the write's
    // length so that a machine busy with other work (which stretches every turn alike) does not decide the result.
    expect(loop.ticks).toBeGreaterThanOrEqual(20);
    expect(loop.longestGapMs).toBeLessThan(loop.totalMs / 5);
    const logged = history.sessions(10).find((s) => s.id === session);
    expect(logged?.finishedFlows).toBe(FLOWS);
    expect(logged?.endedAtMs).not.toBeNull();
    // Committed, not only seen by the connection that wrote it: another reader of the file finds every row.
    const reader = new HistoryDb(path.join(dir, 'history.sqlite'));
    expect(reader.sessions(10).find((s) => s.id === session)?.finishedFlows).toBe(FLOWS);
    reader.close();
    core.close();
    history.close();
  }, 120_000);

  it('writes what is still queued when the core closes', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-flowlog-'));
    const file = path.join(dir, 'history.sqlite');
    const history = new HistoryDb(file);
    const core = new NetmonCore({ settings: defaultSettings(), history, logger: createLogger({ level: 'fatal' }) });
    const helper = new ScriptedHelper();
    core.attachHelper(helper);
    await core.startCapture({ kind: 'replay', file: path.join(dir, 'file.pcap'), speed: 0 });
    const session = helper.session!.sessionId;
    const ended = Array.from({ length: DELTA }, (_, i) => ({ ...row(i + 1), active: false, state: 'closed' }));
    helper.send('flowDeltas', { second: T0, updated: [], ended, omitted: 0 } as EventMap['flowDeltas']);
    helper.send('flowDeltas', { second: T0, updated: Array.from({ length: DELTA }, (_, i) => row(DELTA + i + 1)), ended: [], omitted: 0 } as EventMap['flowDeltas']);
    // Shutdown within the same turn: nothing has been written yet.
    core.close();
    history.close();
    const reopened = new HistoryDb(file);
    expect(reopened.sessions(10).find((s) => s.id === session)?.finishedFlows).toBe(2 * DELTA);
    reopened.close();
  });
});

describe('the finished-flow log writer in batches', () => {
  const flows = (n: number): FlowSummary[] => Array.from({ length: n }, (_, i) => ({ ...flowFromRow(row(i + 1), 's'), active: false }));

  it('shares a transaction between the chunks of several turns, commits it in bounded batches and once all is written', async () => {
    const events: string[] = [];
    let inBatch = 0;
    const batches: number[] = [];
    const writer = new FlowLogWriter((rows) => {
      expect(events.at(-1)).not.toBe('commit');
      inBatch += rows.length;
    }, () => undefined, {
      begin: () => void events.push('begin'),
      commit: () => {
        events.push('commit');
        batches.push(inBatch);
        inBatch = 0;
      },
    });
    writer.add(flows(30_000));
    await writer.drained();
    expect(batches.reduce((a, b) => a + b, 0)).toBe(30_000);
    expect(batches.length).toBeGreaterThanOrEqual(4);
    for (const n of batches) expect(n).toBeLessThanOrEqual(8192 + 128);
    expect(events.filter((e) => e === 'begin')).toHaveLength(batches.length);
    expect(events.at(-1)).toBe('commit');
  });

  it('reports the rows of a batch that fails to commit, and writes the next batches', async () => {
    const failed: number[] = [];
    let commits = 0;
    let written = 0;
    const writer = new FlowLogWriter((rows) => void (written += rows.length), (_err, rows) => void failed.push(rows), {
      begin: () => undefined,
      commit: () => {
        if (commits++ === 0) throw new Error('disk full');
      },
    });
    writer.add(flows(20_000));
    await writer.drained();
    expect(written).toBe(20_000);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toBeGreaterThan(0);
    expect(commits).toBeGreaterThanOrEqual(3);
  });
});
