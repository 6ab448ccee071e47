import type { ApiResult, CaptureSession, CaptureSource, CaptureStatus, FlowPage, FlowQuery } from '../transport/api-types';
import { isFlowing } from './current';
import type { Transport } from '../transport/transport';
import type { AppStore } from './store';

/** Totals and drops come from main's stats, polled at this pace; rates come pushed once a second. */
const STATS_INTERVAL_MS = 2_000;

/** Wires a transport to the store: loads the state on (re)connect, folds pushed events in, and runs the user's
 *  commands. Failures become notices the shell shows; nothing here throws at the user. */
export class Controller {
  private unsubscribers: Array<() => void> = [];
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  /** The revision of the newest capture status taken on this connection. Statuses come as pushed events and as
   *  answers (an upload's answer over HTTP among them) that can overtake each other: an older one is stale. */
  private statusRevision = -1;

  constructor(
    readonly transport: Transport,
    private readonly store: AppStore,
  ) {}

  start(): void {
    const s = this.store.getState();
    this.unsubscribers.push(
      this.transport.onStatus((status) => {
        s.setConnection(status);
        if (status.state === 'open') {
          // A server started again counts its revisions from the start.
          this.statusRevision = -1;
          void this.loadAll();
        }
      }),
      this.transport.on('rollup.tick', (t) => this.store.getState().receiveTick(t)),
      // The flows stay in main: a delta only tells the Flows view to ask for its window again.
      this.transport.on('flows.delta', (d) => this.store.getState().receiveFlowDelta(d)),
      this.transport.on('capture.status', (c) => this.applyStatus(c)),
      this.transport.on('capture.error', (e) => this.store.getState().setNotice({ kind: 'error', text: e.message })),
    );
    this.statsTimer = setInterval(() => void this.refreshStats(), STATS_INTERVAL_MS);
  }

  stop(): void {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
    for (const u of this.unsubscribers) u();
    this.unsubscribers = [];
  }

  private unwrap<T>(r: ApiResult<T>, what: string): T | null {
    if (r.ok) return r.value;
    this.store.getState().setNotice({ kind: 'error', text: `${what}: ${r.error.message}` });
    return null;
  }

  async loadAll(): Promise<void> {
    const [priv, ifaces, capture] = await Promise.all([
      this.transport.request('privileges.status', {}),
      this.transport.request('interfaces.list', {}),
      this.transport.request('capture.status', {}),
    ]);
    const s = this.store.getState();
    if (priv.ok) s.setPrivileges(priv.value);
    s.setInterfaces(ifaces.ok ? ifaces.value : { error: ifaces.error.message });
    const status = this.unwrap(capture, 'Reading the capture status');
    if (!status) return;
    if (this.isStale(status)) return;
    s.setCapture(status);
    await this.refreshStats();
    if (status.captureId) {
      // Someone already capturing: go straight to the numbers, unless the person already went somewhere.
      s.suggestView('overview');
      await this.loadCaptureData();
    }
  }

  /** A status from main (pushed, or the answer to start/stop): a new capture loads its data. A capture that stopped
   *  flowing has ended every flow in main: the views ask for their rows again. */
  private applyStatus(c: CaptureStatus): void {
    if (this.isStale(c)) return;
    const s = this.store.getState();
    const previous = s.capture;
    s.setCapture(c);
    if (c.captureId && c.captureId !== previous?.captureId) void this.loadCaptureData();
    else if (ended(c) && previous !== null && !ended(previous)) s.flowsChanged();
  }

  /** Whether a newer status was taken already; takes this one's revision otherwise. */
  private isStale(c: CaptureStatus): boolean {
    if (c.revision < this.statusRevision) return true;
    this.statusRevision = c.revision;
    return false;
  }

  async refreshStats(): Promise<void> {
    if (this.store.getState().connection.state !== 'open') return;
    const r = await this.transport.request('stats.get', {});
    if (r.ok) this.store.getState().setStats(r.value);
  }

  async refreshInterfaces(): Promise<void> {
    const r = await this.transport.request('interfaces.list', {});
    this.store.getState().setInterfaces(r.ok ? r.value : { error: r.error.message });
  }

  /** The last hour of seconds main keeps; the views ask for their flows. */
  private async loadCaptureData(): Promise<void> {
    const ticks = await this.transport.request('rollups.recent', { seconds: 3600 });
    if (ticks.ok) this.store.getState().loadTicks(ticks.value);
    this.store.getState().flowsChanged();
  }

  /** A sorted, filtered page of flows, as main answers it (the Flows view's windows). */
  async queryFlows(query: FlowQuery): Promise<ApiResult<FlowPage>> {
    return this.transport.request('flows.query', query);
  }

  /** Capture sessions in the history, newest first. */
  async listSessions(): Promise<CaptureSession[] | null> {
    return this.unwrap(await this.transport.request('sessions.list', { limit: 100 }), 'Listing capture sessions');
  }

  async startCapture(source: CaptureSource): Promise<boolean> {
    return this.captureStarted(await this.transport.request('capture.start', source));
  }

  /** The demo capture shipped with Netmon: a person's choice, never started on its own; its alerts are not sent. */
  async startDemo(): Promise<boolean> {
    return this.captureStarted(await this.transport.request('capture.demo', {}));
  }

  /** A capture file the user picks: in the desktop app's file dialog, or (`file`) uploaded to `netmon serve`. */
  async openCaptureFile(file: File | null, speed: number): Promise<boolean> {
    if (this.transport.kind === 'electron') return this.captureStarted(await this.transport.request('capture.open', { speed }), true);
    if (file === null) return false;
    return this.captureStarted(await this.transport.uploadCapture(file, file.name, speed));
  }

  /** `quietCancel`: the user closed the file dialog; nothing to report. */
  private async captureStarted(r: ApiResult<CaptureStatus>, quietCancel = false): Promise<boolean> {
    if (quietCancel && !r.ok && r.error.code === 'conflict' && r.error.message === 'no file chosen') return false;
    const status = this.unwrap(r, 'Starting the capture');
    if (!status) return false;
    this.store.getState().setNotice(null);
    this.applyStatus(status);
    return true;
  }

  /** Starts the last capture again: the same interfaces, or the same file at the same speed. */
  async restartCapture(): Promise<boolean> {
    const source = this.store.getState().capture?.source;
    return source ? this.startCapture(source) : false;
  }

  async stopCapture(): Promise<void> {
    const r = await this.transport.request('capture.stop', {});
    const status = this.unwrap(r, 'Stopping the capture');
    if (status) this.applyStatus(status);
  }

  async installPrivileges(): Promise<void> {
    const r = await this.transport.request('privileges.install', {});
    const p = this.unwrap(r, 'Granting capture rights');
    if (!p) return;
    this.store.getState().setPrivileges(p);
    this.store.getState().setNotice(p.canCapture ? { kind: 'info', text: 'Capture rights granted.' } : { kind: 'error', text: p.reason ?? 'Capture rights were not granted.' });
    if (p.canCapture) await this.refreshInterfaces();
  }

  showOverview(): void {
    this.store.getState().setView('overview');
  }

  async flowDetails(id: string) {
    return this.transport.request('flows.details', { id });
  }
}

/** Nothing flows any more and main has ended the capture's flows. */
function ended(c: CaptureStatus): boolean {
  return c.captureId !== null && !isFlowing(c) && c.state !== 'stopping';
}
