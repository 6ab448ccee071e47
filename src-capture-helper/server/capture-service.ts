import { listInterfaces } from '../live/interfaces';
import type { RequestParams, RequestResult, SessionStats, SessionStatus, StartParams } from '../protocol/messages';
import type { ClientConnection } from './client-connection';
import { RequestError } from './client-connection';
import type { HelperLog } from './helper-log';
import type { EventSink } from './helper-server';

/**
 * What the helper does for its clients: lists interfaces, runs capture
 * sessions (live or file replay) through the engine, answers queries on them
 * and pushes their 1 s rollups and flow deltas as events.
 */
export class CaptureService {
  private readonly exports = new Map<number, AbortController>();

  constructor(private readonly events: EventSink, private readonly log: HelperLog) {}

  interfaces(): RequestResult<'interfaces'> {
    const listing = listInterfaces({ probe: true });
    return {
      capturePath: listing.capture.path,
      addonUnavailable: listing.capture.addonUnavailable,
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
    return [];
  }

  start(_params: StartParams): SessionStatus {
    throw new RequestError('Unavailable', 'capture sessions need the capture engine, which this build does not include');
  }

  stop(sessionId: string): SessionStatus {
    throw new RequestError('NoSuchSession', `no capture session ${sessionId}`);
  }

  flows(params: RequestParams<'flows'>): RequestResult<'flows'> {
    throw new RequestError('NoSuchSession', `no capture session ${params.sessionId}`);
  }

  names(sessionId: string): RequestResult<'names'> {
    throw new RequestError('NoSuchSession', `no capture session ${sessionId}`);
  }

  sessionStats(_sessionId: string | undefined): SessionStats | null {
    return null;
  }

  export(params: RequestParams<'export'>, _conn: ClientConnection): Promise<RequestResult<'export'>> {
    return Promise.reject(new RequestError('NoSuchSession', `no capture session ${params.sessionId}`));
  }

  cancelExport(exportId: number): boolean {
    const controller = this.exports.get(exportId);
    controller?.abort();
    return controller !== undefined;
  }

  stopAll(): void {
    this.log.info('capture sessions stopped');
    this.events.emit('log', null, { level: 'debug', time: Date.now() / 1000, msg: 'stopped' });
  }
}
