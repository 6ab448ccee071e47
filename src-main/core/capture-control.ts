import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { EventMap, SessionStatus, StartParams } from '../../src-capture-helper/protocol/messages';
import type { EventChannel, EventPayload } from '../api/contract';
import type { CaptureSource, CaptureStatus } from '../api/types/capture';
import type { ApiResult } from '../api/types/results';
import type { Settings } from '../api/types/settings';
import type { AlertFeed } from './alerts-bridge';
import { fail, ok, requireHelper } from './api-result';
import { assertNever } from './assert-never';
import type { FlowSync } from './flow-sync';
import type { HelperPort } from './helper-port';
import type { HistoryDb } from './history-db';
import type { Logger } from './log';

async function realPath(file: string): Promise<string> {
  try {
    return await fsp.realpath(file);
  } catch {
    return path.resolve(file);
  }
}

export interface CaptureControlOptions {
  log: Logger;
  now: () => number;
  history: HistoryDb;
  settings: () => Settings;
  helper: () => HelperPort | null;
  emit: <E extends EventChannel>(channel: E, payload: EventPayload<E>) => void;
  /** The demo capture file; its alerts are never sent. */
  demoCapture: string | null;
  sync: FlowSync;
  alertFeed: AlertFeed;
  /** Moves every flow still in the book to the finished-flow log (the capture ended). */
  flushFlows: () => void;
  /** A new capture starts: the last one's seconds in memory and totals go. */
  resetCapture: () => void;
  /** A write of the session failed (counted with the core's other history write errors). */
  historyWriteFailed: () => void;
}

/**
 * The capture session's life: start, stop, the helper's state events that
 * finish or fail it, a replay interrupted by a helper restart, its row in the
 * history's sessions, and the status (with its revision) clients see.
 */
export class CaptureControl {
  private status: CaptureStatus = {
    state: 'idle', captureId: null, source: null, path: null, startedAtMs: null, progress: null, error: null,
    helper: 'down', helperRestarts: 0, demo: false, revision: 0,
  };
  /** Ticks of a stale capture session, dropped. */
  staleEvents = 0;
  /** A session that ended: its last catch-up, then its flows move to the finished log. */
  private finishing: { session: string; done: Promise<void> } | null = null;
  /** The core closed: a session finishing meanwhile was ended by `close`. */
  closed = false;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly history: HistoryDb;
  private readonly emit: CaptureControlOptions['emit'];
  private readonly alertFeed: AlertFeed;
  private readonly flushFlows: () => void;

  constructor(private readonly options: CaptureControlOptions) {
    this.log = options.log;
    this.now = options.now;
    this.history = options.history;
    this.emit = options.emit;
    this.alertFeed = options.alertFeed;
    this.flushFlows = options.flushFlows;
  }

  get captureId(): string | null {
    return this.status.captureId;
  }

  captureStatus(): CaptureStatus {
    return { ...this.status };
  }

  setStatus(change: Partial<Omit<CaptureStatus, 'revision'>>): void {
    this.status = { ...this.status, ...change, revision: this.status.revision + 1 };
    this.emit('capture.status', this.captureStatus());
  }

  /** Whether an event belongs to the current session; a stale one is counted. */
  isCurrent(session: string | null): boolean {
    if (session !== null && session === this.status.captureId) return true;
    this.staleEvents++;
    return false;
  }

  private startParams(source: CaptureSource): StartParams {
    const { capture, flows } = this.options.settings();
    const flowTimeouts = { tcp: flows.tcpIdleSec, udp: flows.udpIdleSec, icmp: flows.icmpIdleSec };
    switch (source.kind) {
      case 'live':
        return {
          source: { kind: 'live', interfaces: source.interfaces },
          bpf: source.bpf ?? (capture.bpf === '' ? undefined : capture.bpf),
          snaplen: source.snaplen ?? capture.snaplen,
          promisc: source.promiscuous ?? capture.promiscuous,
          bufferSize: capture.bufferMb * 1024 * 1024,
          flowTimeouts,
        };
      case 'replay':
        return { source: { kind: 'file', path: source.file, speed: source.speed }, flowTimeouts };
      default:
        return assertNever(source);
    }
  }

  /**
   * Idle, with a message for the person (a remembered interface that is gone, missing rights):
   * what a face of the app says when it did not start the capture it was asked to resume.
   */
  reportNotStarted(message: string): void {
    if (this.status.state === 'idle') this.setStatus({ error: message });
  }

  /** The demo file is the demo however it is started (the demo button, a restart, `--replay`): its alerts are never sent. */
  private async isDemo(source: CaptureSource): Promise<boolean> {
    const demo = this.options.demoCapture;
    return demo !== null && source.kind === 'replay' && (await realPath(source.file)) === (await realPath(demo));
  }

  async beginCapture(source: CaptureSource): Promise<ApiResult<CaptureStatus>> {
    // Before the checks: from them to the status 'starting' nothing waits, so two starts cannot both pass.
    const demo = await this.isDemo(source);
    const helper = requireHelper(this.options.helper());
    if (!helper.ok) return helper;
    if (this.status.state === 'running' || this.status.state === 'starting') {
      return fail('conflict', 'a capture is already running; stop it first');
    }
    if (source.kind === 'live' && source.interfaces.length === 0) {
      return fail('invalid', 'choose at least one interface', [{ path: 'interfaces', message: 'must not be empty' }]);
    }
    // The id is ours, set before the request: events of a fast replay can arrive before the answer to `start`.
    const params = { ...this.startParams(source), sessionId: randomBytes(8).toString('hex') };
    this.flushFlows();
    this.endSession();
    this.options.resetCapture();
    this.setStatus({ state: 'starting', source, error: null, progress: null, captureId: params.sessionId, demo });
    this.recordSession(() => this.history.startSession({
      id: params.sessionId,
      kind: demo ? 'demo' : source.kind,
      source: source.kind === 'live' ? source.interfaces.join(',') : source.file,
      startedAtMs: this.now(),
    }));
    this.alertFeed.captureStarted(source, helper.value, demo);
    try {
      const started = await helper.value.request('start', params);
      this.beginSession(started, source);
      return ok(this.captureStatus());
    } catch (err) {
      this.setStatus({ state: 'error', error: (err as Error).message });
      throw err;
    }
  }

  private beginSession(started: SessionStatus, source: CaptureSource): void {
    const answered = started.state === 'failed' ? 'error' : started.state === 'running' ? 'running' : 'finished';
    this.setStatus({
      // A state event that overtook the answer (a short replay already finished) is newer than the answer.
      state: this.status.state === 'starting' ? answered : this.status.state,
      captureId: started.sessionId,
      source,
      path: started.capturePath,
      startedAtMs: started.startedAt * 1000,
      error: started.error?.message ?? this.status.error,
    });
  }

  async stopCapture(): Promise<ApiResult<CaptureStatus>> {
    const helper = requireHelper(this.options.helper());
    if (!helper.ok) return helper;
    const id = this.status.captureId;
    if (id === null || (this.status.state !== 'running' && this.status.state !== 'starting')) return ok(this.captureStatus());
    this.setStatus({ state: 'stopping' });
    await helper.value.request('stop', { sessionId: id });
    // The helper's 'stopped' event may have started the session's last catch-up: its flows belong in the log too.
    await this.finishing?.done;
    this.flushFlows();
    await this.options.sync.flowLog.drained();
    this.endSession();
    this.setStatus({ state: 'idle' });
    return ok(this.captureStatus());
  }

  onCaptureState(s: EventMap['captureState']): void {
    if (s.sessionId !== this.status.captureId) return;
    switch (s.state) {
      case 'running':
        this.setStatus({ state: 'running', path: s.capturePath });
        return;
      case 'finished':
      case 'stopped': {
        // The helper keeps an ended session's flows: fetch those its deltas left out before they move to the log.
        const finishing = { session: s.sessionId, done: Promise.resolve() };
        this.finishing = finishing;
        finishing.done = this.finishSession(s, finishing);
        return;
      }
      case 'failed':
        this.flushFlows();
        this.endSession();
        this.setStatus({ state: 'error', error: s.error?.message ?? 'the capture failed' });
        return;
      default:
        assertNever(s.state);
    }
  }

  /** The last catch-up of an ended session, its flows into the log, then its status: finished, or idle once stopped. */
  private async finishSession(s: EventMap['captureState'], finishing: NonNullable<CaptureControl['finishing']>): Promise<void> {
    try {
      await this.options.sync.catchUpFlows(s.sessionId, true);
      if (s.sessionId === this.status.captureId) {
        this.flushFlows();
        // Finished means in the log: the status changes once its last rows are written.
        await this.options.sync.flowLog.drained();
      }
    } catch (err) {
      // The rows the deltas carried are kept; the session ends all the same.
      this.log.error({ err, session: s.sessionId }, 'cannot take the last flows of the capture session');
    }
    if (this.finishing === finishing) this.finishing = null;
    // Closed while the last rows were written: `close` wrote them and ended the session.
    if (this.closed || s.sessionId !== this.status.captureId) return;
    this.endSession();
    this.setStatus({
      state: s.state === 'finished' ? 'finished' : 'idle',
      progress: s.state === 'finished' ? 1 : this.status.progress,
      // A file cut short or damaged still finishes, with what was read and the reason it stopped.
      error: s.error?.message ?? this.status.error,
    });
  }

  onCaptureError(e: EventMap['captureError'], session: string | null): void {
    this.emit('capture.error', { captureId: session, code: e.error.name, message: e.error.message });
    if (session === this.status.captureId) this.setStatus(e.fatal ? { state: 'error', error: e.error.message } : { error: e.error.message });
  }

  /** Marks the current session ended in the history (once; a later call for the same session changes nothing). */
  endSession(error: string | null = null): void {
    const id = this.status.captureId;
    if (id !== null) this.recordSession(() => this.history.endSession(id, this.now(), error));
  }

  /**
   * A restarted helper cannot go on reading a file where the one that died stopped (the supervisor
   * re-issues live captures only): a running replay ends as failed, keeping what was read, never
   * as finished with part of the file.
   */
  interruptReplay(why: string): void {
    // A replay the helper reported finished before it died was read whole: its last rows are being written.
    if (this.status.source?.kind !== 'replay' || this.status.state !== 'running' || this.finishing?.session === this.status.captureId) return;
    const message = `the replay was interrupted: the capture helper stopped (${why}); the results cover only the part of the file read before`;
    this.flushFlows();
    this.endSession(message);
    this.setStatus({ state: 'error', error: message });
  }

  private recordSession(write: () => void): void {
    try {
      write();
    } catch (err) {
      this.options.historyWriteFailed();
      this.log.error({ err }, 'cannot write the capture session to the history database');
    }
  }
}
