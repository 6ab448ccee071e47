import { randomBytes } from 'node:crypto';
import { FlowFilterError } from '../../src-shared/flow-query';
import { probeInterfaces } from '../live/interfaces';
import { toErrorInfo } from '../protocol/envelope';
import type { RequestParams, RequestResult, SessionStats, SessionStatus, StartParams } from '../protocol/messages';
import { CaptureSession } from './capture-session';
import type { ClientConnection } from './client-connection';
import { RequestError } from './client-connection';
import type { HelperLog } from './helper-log';
import type { EventSink } from './helper-server';

const MAX_RUNNING_SESSIONS = 8;
const MAX_ENDED_SESSIONS = 8;

/**
 * What the helper does for its clients: lists interfaces, runs capture
 * sessions (live or file replay) through the engine, answers queries on them
 * and pushes their 1 s rollups and flow deltas as events.
 */
export class CaptureService {
  private readonly exports = new Map<number, AbortController>();
  private probing: Promise<RequestResult<'interfaces'>> | null = null;
  /** Sessions in start order (Map keeps insertion order). */
  private readonly byId = new Map<string, CaptureSession>();
  /** Set by stopAll: the helper is shutting down and starts no capture any more. */
  private closed = false;

  constructor(private readonly events: EventSink, private readonly log: HelperLog, private readonly runtimeDir: string) {}

  /** Requests that arrive while netmon-capture probes the interfaces share that probe. */
  interfaces(): Promise<RequestResult<'interfaces'>> {
    this.probing ??= this.probeInterfaces().finally(() => {
      this.probing = null;
    });
    return this.probing;
  }

  private async probeInterfaces(): Promise<RequestResult<'interfaces'>> {
    const listing = await probeInterfaces();
    return {
      capturePath: listing.capture.path,
      rights: listing.capture.rights.state,
      rightsMessage: listing.capture.rights.message,
      libpcap: listing.capture.libpcap,
      interfaces: listing.interfaces.map((i) => ({
        name: i.name,
        description: i.description,
        addresses: i.addresses.map((a) => ({ family: a.family, address: a.address, netmask: a.netmask })),
        up: i.up,
        running: i.running,
        loopback: i.loopback,
        wireless: i.wireless,
        linkType: i.linkType,
        linkTypeName: i.linkTypeName,
        canCapture: i.capturePermitted,
        reason: i.captureError,
      })),
    };
  }

  sessions(): SessionStatus[] {
    return [...this.byId.values()].map((s) => s.status());
  }

  async start(params: StartParams): Promise<SessionStatus> {
    if (this.closed) throw stoppingError();
    const id = params.sessionId ?? randomBytes(8).toString('hex');
    const existing = this.byId.get(id);
    if (existing?.running) throw new RequestError('conflict', 'SessionExists', `capture session ${id} is already running`);
    const running = [...this.byId.values()].filter((s) => s.running).length;
    if (running >= MAX_RUNNING_SESSIONS) {
      throw new RequestError('conflict', 'TooManySessions', `at most ${MAX_RUNNING_SESSIONS} capture sessions run at once; stop one first`);
    }
    const session = new CaptureSession(id, { ...params, sessionId: id }, this.events, this.log, () => this.forgetEnded(), this.runtimeDir);
    try {
      await session.open();
    } catch (err) {
      session.dispose();
      // A bad filter, an unknown interface or an unreadable file: the client gets the reason, the helper carries on.
      const info = toErrorInfo(err);
      this.log.warn('capture start refused', { session: id, reason: info.message });
      throw new RequestError(info.code === 'internal' ? 'invalid' : info.code, info.name === 'Error' ? 'CaptureError' : info.name, info.message);
    }
    if (this.closed) {
      // The helper began to stop while the source opened: a session started now would run with no one to stop it.
      session.dispose();
      throw stoppingError();
    }
    existing?.dispose();
    this.byId.delete(id);
    this.byId.set(id, session);
    this.log.info('capture session started', { session: id, source: params.source.kind });
    const status = session.status();
    this.events.emit('captureState', id, status);
    return status;
  }

  stop(sessionId: string): SessionStatus {
    const session = this.session(sessionId);
    session.stop();
    return session.status();
  }

  flows(params: RequestParams<'flows'>): RequestResult<'flows'> {
    const session = this.session(params.sessionId);
    try {
      return session.flows(params);
    } catch (err) {
      if (err instanceof FlowFilterError) throw new RequestError('invalid', err.name, `filter.${err.path}: ${err.message}`);
      if (err instanceof RangeError || err instanceof TypeError) throw new RequestError('invalid', 'BadQuery', err.message);
      throw err;
    }
  }

  names(sessionId: string): RequestResult<'names'> {
    return this.session(sessionId).namesResult();
  }

  webSections(params: RequestParams<'webSections'>): RequestResult<'webSections'> {
    return this.session(params.sessionId).webSectionsResult(params.window);
  }

  sessionStats(sessionId: string | undefined): SessionStats | null {
    if (sessionId === undefined) return null;
    return this.session(sessionId).stats();
  }

  /**
   * Streams the export to the requesting client only, one bounded chunk at a
   * time, waiting for its send queue to drain between chunks (never dropped,
   * never buffered beyond the queue bound). Cancelled by `exportCancel` or
   * when the client goes away.
   */
  async export(params: RequestParams<'export'>, conn: ClientConnection): Promise<RequestResult<'export'>> {
    const session = this.session(params.sessionId);
    const { exportId } = params;
    if (this.exports.has(exportId)) throw new RequestError('conflict', 'ExportExists', `export ${exportId} is already running`);
    const controller = new AbortController();
    const onClientGone = () => controller.abort();
    conn.signal.addEventListener('abort', onClientGone);
    this.exports.set(exportId, controller);
    try {
      let stream;
      try {
        stream = session.exportStream({ flowIds: params.flowIds, format: params.format, from: params.from, to: params.to }, controller.signal);
      } catch (err) {
        const info = toErrorInfo(err);
        throw new RequestError(info.code, info.name, info.message);
      }
      for await (const chunk of stream) {
        await conn.waitForRoom();
        if (controller.signal.aborted) break;
        const p = chunk.progress;
        conn.sendEvent('exportChunk', session.id, {
          exportId,
          seq: chunk.seq,
          packets: chunk.packets,
          bytes: chunk.bytes,
          packetsDone: p.packetsDone,
          packetsTotal: p.packetsTotal,
          bytesDone: p.bytesDone,
          bytesTotal: p.bytesTotal,
        }, chunk.data);
      }
      const summary = stream.summary;
      this.log.info('export done', { session: session.id, exportId, packets: summary?.packets ?? 0, cancelled: summary?.cancelled ?? true });
      return {
        exportId,
        packets: summary?.packets ?? 0,
        bytes: summary?.bytes ?? 0,
        fileBytes: summary?.fileBytes ?? 0,
        missingPackets: summary?.missingPackets ?? 0,
        missingBytes: summary?.missingBytes ?? 0,
        cancelled: summary?.cancelled ?? controller.signal.aborted,
      };
    } finally {
      conn.signal.removeEventListener('abort', onClientGone);
      this.exports.delete(exportId);
    }
  }

  cancelExport(exportId: number): boolean {
    const controller = this.exports.get(exportId);
    controller?.abort();
    return controller !== undefined;
  }

  /** Ends every session and refuses later starts, including those still opening their source. */
  stopAll(): void {
    this.closed = true;
    for (const session of this.byId.values()) session.dispose();
  }

  private session(sessionId: string): CaptureSession {
    const session = this.byId.get(sessionId);
    if (!session) throw new RequestError('not-found', 'NoSuchSession', `no capture session ${sessionId}`);
    return session;
  }

  /** Ended sessions stay queryable; only the most recent few are kept. */
  private forgetEnded(): void {
    const ended = [...this.byId.values()].filter((s) => !s.running);
    for (const s of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_SESSIONS))) {
      s.dispose();
      this.byId.delete(s.id);
    }
  }
}

function stoppingError(): RequestError {
  return new RequestError('unavailable', 'HelperStopping', 'the capture helper is shutting down');
}
