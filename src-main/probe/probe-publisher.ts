import { randomBytes } from 'node:crypto';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { EventMap, StartParams } from '../../src-capture-helper/protocol/messages';
import type { BodyOf, DataKind, ExportReply } from '../bus/wire';
import { decodeExportRequest, encodeEnvelope, encodeWire, FLOW_ROWS_PER_MESSAGE, subjects, WIRE_VERSION } from '../bus/wire';
import type { HelperPort } from '../core/helper-port';
import type { Logger } from '../core/log';

const HEARTBEAT_MS = 1000;
type ReplyWithoutSeq = ExportReply extends infer R ? R extends ExportReply ? Omit<R, 'seq'> : never : never;
/** Export chunks (the helper's, 256 KiB) are cut to this size on the bus, below any server's payload limit. */
const EXPORT_PIECE_BYTES = 256 * 1024;

export interface ProbePublisherOptions {
  name: string;
  helper: HelperPort;
  nc: NatsConnection;
  logger: Logger;
  /** Encoded bytes kept while the server is unreachable; beyond it the oldest messages are dropped (counted). */
  bufferBytes: number;
  now?: () => number;
}

/**
 * The capture side of the bus: publishes what the local helper produces each
 * second (rollups, flow deltas, capture state) and a heartbeat under
 * `netmon.<probe>.…`, and answers export requests from the helper's spool.
 * While the server is unreachable messages wait in a bounded buffer, oldest
 * dropped first and counted; every message carries a sequence number, so the
 * receiving side sees each hole.
 */
export class ProbePublisher {
  private readonly boot = randomBytes(6).toString('hex');
  private seq = 0;
  private connected = true;
  private readonly buffer: { subject: string; data: Uint8Array }[] = [];
  private bufferedBytes = 0;
  /** Messages dropped from the buffer, and buffered then sent, since the probe started. */
  dropped = 0;
  buffered = 0;
  reconnects = 0;
  private session: string | null = null;
  private state: BodyOf['hb']['state'] = 'starting';
  private interfaces: string[] = [];
  private readonly startedAt: number;
  private readonly now: () => number;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly exportsRunning = new Set<number>();

  constructor(private readonly options: ProbePublisherOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** Starts the capture, publishing, the heartbeat and the export responder. */
  async start(params: Omit<StartParams, 'sessionId'>): Promise<string> {
    const { helper, nc, name } = this.options;
    void this.watchConnection();
    this.subscriptions.push(nc.subscribe(subjects.exportRequest(name), { callback: (err, msg) => { if (err === null) void this.answerExport(msg); } }));
    this.subscriptions.push(nc.subscribe(subjects.exportCancel(name), {
      callback: (err, msg) => {
        if (err !== null) return;
        const id = Number(new TextDecoder().decode(msg.data));
        if (this.exportsRunning.has(id)) void helper.request('exportCancel', { exportId: id }).catch(() => undefined);
      },
    }));
    this.unsubscribe.push(
      helper.on('rollup', (payload, meta) => { if (meta.session === this.session) this.publish('rollup', payload); }),
      helper.on('flowDeltas', (payload, meta) => { if (meta.session === this.session) this.publishFlows(payload); }),
      helper.on('captureState', (payload) => {
        if (payload.sessionId !== this.session) return;
        this.state = payload.state === 'running' ? 'running' : payload.state === 'failed' ? 'failed' : 'stopped';
        this.publish('state', { status: payload, error: null });
      }),
      helper.on('captureError', (payload, meta) => { if (meta.session === this.session) this.publish('state', { status: null, error: payload }); }),
    );
    this.session = randomBytes(8).toString('hex');
    this.interfaces = params.source.kind === 'live' ? params.source.interfaces : [];
    this.sendHeartbeat();
    this.heartbeat = setInterval(() => this.sendHeartbeat(), HEARTBEAT_MS);
    const status = await helper.request('start', { ...params, sessionId: this.session });
    this.state = status.state === 'running' ? 'running' : status.state === 'failed' ? 'failed' : 'stopped';
    this.publish('state', { status, error: null });
    return this.session;
  }

  async stop(): Promise<void> {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (this.session !== null) {
      await this.options.helper.request('stop', { sessionId: this.session }).catch(() => undefined);
      this.state = 'stopped';
      this.sendHeartbeat();
    }
    for (const off of this.unsubscribe) off();
    for (const sub of this.subscriptions) sub.unsubscribe();
  }

  private sendHeartbeat(): void {
    this.publish('hb', {
      session: this.session,
      state: this.state,
      interfaces: this.interfaces,
      busDropped: this.dropped,
      busBuffered: this.buffered,
      reconnects: this.reconnects,
      uptimeMs: Math.max(0, Math.round(this.now() - this.startedAt)),
    });
  }

  /** Flow deltas in messages of at most FLOW_ROWS_PER_MESSAGE rows: a second of 5k flows is several messages. */
  private publishFlows(d: EventMap['flowDeltas']): void {
    const rows = d.updated.length + d.ended.length;
    if (rows <= FLOW_ROWS_PER_MESSAGE) {
      this.publish('flows', d);
      return;
    }
    let omitted = d.omitted;
    for (let u = 0, e = 0; u < d.updated.length || e < d.ended.length;) {
      const updated = d.updated.slice(u, u + FLOW_ROWS_PER_MESSAGE);
      u += updated.length;
      const ended = d.ended.slice(e, e + FLOW_ROWS_PER_MESSAGE - updated.length);
      e += ended.length;
      this.publish('flows', { second: d.second, updated, ended, omitted });
      omitted = 0;
    }
  }

  private publish<K extends DataKind>(kind: K, body: BodyOf[K]): void {
    const { name } = this.options;
    const data = encodeEnvelope({ v: WIRE_VERSION, probe: name, boot: this.boot, seq: this.seq++, sentMs: this.now(), session: this.session, kind, body });
    this.send(subjects.data(name, kind), data);
  }

  private send(subject: string, data: Uint8Array): void {
    if (this.connected && this.buffer.length === 0) {
      try {
        this.options.nc.publish(subject, data);
        return;
      } catch {
        // Closed or draining: keep it with the others until the connection is back.
      }
    }
    this.buffer.push({ subject, data });
    this.bufferedBytes += data.byteLength;
    while (this.bufferedBytes > this.options.bufferBytes && this.buffer.length > 0) {
      const oldest = this.buffer.shift();
      this.bufferedBytes -= oldest?.data.byteLength ?? 0;
      this.dropped++;
    }
  }

  private flush(): void {
    while (this.connected && this.buffer.length > 0) {
      const next = this.buffer[0];
      try {
        this.options.nc.publish(next.subject, next.data);
      } catch {
        return;
      }
      this.buffer.shift();
      this.bufferedBytes -= next.data.byteLength;
      this.buffered++;
    }
  }

  private async watchConnection(): Promise<void> {
    const log = this.options.logger;
    for await (const s of this.options.nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        log.warn('lost the NATS server; buffering');
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.reconnects++;
        log.info({ waiting: this.buffer.length, dropped: this.dropped }, 'reconnected to the NATS server');
        this.flush();
      }
    }
  }

  /** Streams the pcap/pcapng a request asks for to its reply subject: chunks, then the summary (or an error). */
  private async answerExport(msg: Msg): Promise<void> {
    const reply = msg.reply;
    if (reply === undefined || reply === '') return;
    const { helper, nc, logger } = this.options;
    let seq = 0;
    const send = (r: ReplyWithoutSeq) => {
      try {
        nc.publish(reply, encodeWire({ ...r, seq: seq++ }));
      } catch (err) {
        logger.warn({ err }, 'cannot send an export reply');
      }
    };
    let request;
    try {
      request = decodeExportRequest(msg.data);
    } catch (err) {
      send({ kind: 'error', message: (err as Error).message });
      return;
    }
    if (this.exportsRunning.has(request.exportId)) {
      send({ kind: 'error', message: 'an export with this id is already running' });
      return;
    }
    this.exportsRunning.add(request.exportId);
    const off = helper.on('exportChunk', (chunk, meta) => {
      if (chunk.exportId !== request.exportId || meta.attachment === undefined) return;
      const data = meta.attachment;
      for (let at = 0; at < data.length; at += EXPORT_PIECE_BYTES) {
        const last = at + EXPORT_PIECE_BYTES >= data.length;
        send({
          kind: 'chunk',
          data: data.subarray(at, at + EXPORT_PIECE_BYTES),
          packetsDone: last ? chunk.packetsDone : Math.max(0, chunk.packetsDone - chunk.packets),
          packetsTotal: chunk.packetsTotal,
          bytesDone: last ? chunk.bytesDone : Math.max(0, chunk.bytesDone - chunk.bytes),
          bytesTotal: chunk.bytesTotal,
        });
      }
    });
    try {
      const result = await helper.request('export', {
        sessionId: request.sessionId,
        exportId: request.exportId,
        flowIds: request.flowIds,
        format: request.format,
        ...(request.from !== undefined ? { from: request.from } : {}),
        ...(request.to !== undefined ? { to: request.to } : {}),
      }, { timeoutMs: 0 });
      send({ kind: 'done', result: { packets: result.packets, bytes: result.bytes, fileBytes: result.fileBytes, missingPackets: result.missingPackets, missingBytes: result.missingBytes, cancelled: result.cancelled } });
      logger.info({ exportId: request.exportId, packets: result.packets, missing: result.missingPackets }, 'export sent over the bus');
    } catch (err) {
      send({ kind: 'error', message: (err as Error).message });
    } finally {
      off();
      this.exportsRunning.delete(request.exportId);
    }
  }
}
