import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { PacketRecord, PacketSink } from '../pipeline/packet-sink';
import { trackCaptureChild } from './capture-children';
import { CAPTURE_PROTOCOL, captureRights, GRANT_COMMAND, type CaptureRights } from './capture-program';
import {
  BATCH_PAYLOAD_HEADER, CaptureMessageError, CaptureMessageReader, MessageType, parseJsonMessage, parseStats, RECORD_HEADER,
  type ProgramStats,
} from './capture-messages';
import type { LiveCaptureError, LiveCaptureOptions, LiveSource, LiveStats } from './live-types';
import { LIVE_DEFAULTS, LiveCaptureOpenError, liveStats } from './live-types';

/** What netmon-capture says once its interfaces are open and its rights are gone. */
export interface ProgramOpened {
  protocol: number;
  version: string;
  libpcap: string;
  /** How the program gave up its rights: dropped-capabilities, dropped-root, unprivileged, root-without-capabilities. */
  privileges: string;
  uid: number;
  interfaces: { name: string; ok: boolean; linkType?: number; linkTypeName?: string | null; nano?: boolean; warning?: string | null; code?: string; error?: string }[];
}

/** The two ends of a running netmon-capture: its output and its control input. */
export interface ProgramStreams {
  output: Readable;
  control: Writable;
  /** Set when this process started the program (not for a capture handed over by a root parent). */
  child: ChildProcess | null;
  /** Started with --hold: it writes nothing until its reader sends the control byte 'G'. */
  held: boolean;
}

interface Slot {
  name: string;
  linkType: number;
  packets: number;
  bytes: number;
  /** Packets of batches the sink failed on, and every later one of this interface. */
  sinkDrops: number;
  failed: boolean;
  program: ProgramStats | null;
}

/** How long a stopping program may take to drain its last ring block before it is killed. */
const STOP_GRACE_MS = 5000;
/** How long opening may take, from the start (or release) of the program to its OPENED or ERROR. */
export const OPEN_TIMEOUT_MS = 10_000;
/** The control byte that releases the output of a program started with --hold. */
const RELEASE_BYTE = 'G';

/** The program's arguments for a capture (or, with probe, for opening and closing each interface). */
export function programArgs(options: LiveCaptureOptions, probe = false): string[] {
  const args: string[] = [];
  for (const name of options.interfaces) args.push('--iface', name);
  if (probe) return [...args, '--probe', '--snaplen', '128', '--buffer-mib', '1'];
  if (options.bpf) args.push('--bpf', options.bpf);
  args.push('--snaplen', String(options.snaplen ?? LIVE_DEFAULTS.snaplen));
  args.push('--buffer-mib', String(Math.max(1, Math.round((options.bufferSize ?? LIVE_DEFAULTS.bufferSize) / (1024 * 1024)))));
  args.push('--timeout-ms', String(options.timeoutMs ?? LIVE_DEFAULTS.timeoutMs));
  if (options.batchBytes !== undefined) args.push('--batch-kib', String(Math.ceil(options.batchBytes / 1024)));
  if (options.promisc === false) args.push('--no-promisc');
  return args;
}

/**
 * Starts the program; `rights` says which one and whether this process may run it.
 * `hold` starts it with --hold, for a reader other than this process (wire.md).
 */
export function spawnProgram(rights: CaptureRights, args: string[], iface: string, hold = false): ProgramStreams {
  if (rights.state !== 'ready') {
    throw new LiveCaptureOpenError(rights.message, rights.state === 'missing' ? 'ENOTSUP' : rights.state === 'stale' ? 'ESTALE' : 'EPERM', iface);
  }
  // The environment carries SUDO_UID when this process is root through sudo: the program drops to that user.
  const child = trackCaptureChild(spawn(rights.program, hold ? [...args, '--hold'] : args, { stdio: ['pipe', 'pipe', 'pipe'] }));
  return { output: child.stdout!, control: child.stdin!, child, held: hold };
}

/**
 * Live capture through netmon-capture: the program opens the interfaces and
 * gives up its rights; this process (never privileged) reads its batches,
 * one JS call per batch, and hands each record to the sink.
 */
export class ProgramLiveSource implements LiveSource {
  readonly path = 'netmon-capture' as const;
  readonly caveats: readonly string[] = [];
  private readonly slots: Slot[];
  private readonly reader: CaptureMessageReader;
  private sink: PacketSink | null = null;
  private onError: ((err: LiveCaptureError) => void) | null = null;
  private readonly record: PacketRecord = {
    ifIndex: 0, linkType: 0, tsSec: 0, tsNsec: 0, hasTimestamp: true, wireLength: 0, bytes: new Uint8Array(0), offset: 0, length: 0,
  };
  private ended = false;
  private readonly closed: Promise<void>;
  /** Messages that came in the chunk of OPENED, before start(): copied and replayed by start(). */
  private early: [number, Uint8Array][] | null = [];

  private constructor(private readonly streams: ProgramStreams, readonly opened: ProgramOpened, reader: CaptureMessageReader, closed: Promise<void>) {
    this.reader = reader;
    this.closed = closed;
    this.slots = opened.interfaces.map((i) => ({
      name: i.name, linkType: i.linkType ?? -1, packets: 0, bytes: 0, sinkDrops: 0, failed: false, program: null,
    }));
  }

  /** Opens the interfaces in `options` through the program (all or none). */
  static async open(options: LiveCaptureOptions, rights: CaptureRights = captureRights()): Promise<ProgramLiveSource> {
    if (options.interfaces.length === 0) throw new LiveCaptureOpenError('no interface to capture on', 'EINVAL', '');
    const streams = spawnProgram(rights, programArgs(options), options.interfaces[0]);
    return ProgramLiveSource.attach(streams, options.interfaces, rights.state === 'ready' ? rights.source : null);
  }

  /**
   * Reads a program already started (by this process, or by a root parent
   * that handed its streams over) up to its OPENED message; a program that
   * says neither OPENED nor ERROR within `openTimeoutMs` is ended and the
   * open fails (ETIMEDOUT) instead of waiting forever.
   */
  static attach(
    streams: ProgramStreams, interfaces: readonly string[], source: string | null = null, openTimeoutMs = OPEN_TIMEOUT_MS,
  ): Promise<ProgramLiveSource> {
    return new Promise((resolve, reject) => {
      let source_: ProgramLiveSource | null = null;
      let failure: LiveCaptureOpenError | null = null;
      let stderr = '';
      const reader = new CaptureMessageReader((type, payload) => {
        if (source_) {
          source_.onMessage(type, payload);
          return;
        }
        if (type === MessageType.error) {
          const e = parseJsonMessage(payload);
          const message = String(e.message ?? 'netmon-capture failed');
          const code = String(e.code ?? 'EPCAP');
          failure = new LiveCaptureOpenError(code === 'EPERM' && source !== 'configured' ? withGrantHint(message) : message, code, typeof e.iface === 'string' ? e.iface : interfaces[0] ?? '');
        } else if (type === MessageType.opened) {
          const opened = parseJsonMessage(payload) as unknown as ProgramOpened;
          if (opened.protocol !== CAPTURE_PROTOCOL) {
            failure = new LiveCaptureOpenError(`netmon-capture speaks protocol ${opened.protocol}, this helper ${CAPTURE_PROTOCOL}: capture rights need updating; run '${GRANT_COMMAND}'`, 'ESTALE', interfaces[0] ?? '');
            streams.control.end();
            return;
          }
          if (!Array.isArray(opened.interfaces) || opened.interfaces.map((i) => i.name).join('\n') !== interfaces.join('\n')) {
            failure = new LiveCaptureOpenError('netmon-capture opened other interfaces than asked', 'EPROTO', interfaces[0] ?? '');
            streams.control.end();
            return;
          }
          clearTimeout(openTimer);
          source_ = new ProgramLiveSource(streams, opened, reader, closed);
          // Nothing is read until start(): the program blocks and the kernel ring holds the packets.
          streams.output.pause();
          resolve(source_);
        } else {
          failure = new LiveCaptureOpenError(`netmon-capture sent message ${type} before OPENED`, 'EPROTO', interfaces[0] ?? '');
        }
      });
      const closed = new Promise<void>((done) => {
        let pending = streams.child ? 2 : 1;
        const one = () => {
          if (--pending === 0) done();
        };
        streams.output.once('close', one);
        streams.child?.once('exit', one);
      });
      streams.control.on('error', () => undefined); // the program may be gone already
      streams.output.on('data', (chunk: Buffer) => {
        try {
          reader.push(chunk);
        } catch (err) {
          if (source_) source_.fail(err as Error);
          else failure = new LiveCaptureOpenError((err as Error).message, 'EPROTO', interfaces[0] ?? '');
          streams.output.destroy();
          streams.child?.kill('SIGKILL');
        }
      });
      streams.child?.stderr?.on('data', (d: Buffer) => {
        if (stderr.length < 4096) stderr += d.toString();
      });
      streams.child?.once('error', (err) => {
        failure ??= new LiveCaptureOpenError(`cannot start netmon-capture: ${err.message}`, 'ENOTSUP', interfaces[0] ?? '');
      });
      const openTimer = setTimeout(() => {
        failure ??= new LiveCaptureOpenError(
          `netmon-capture did not report its interfaces open within ${openTimeoutMs} ms; it was ended`, 'ETIMEDOUT', interfaces[0] ?? '',
        );
        // Closing the control input ends a program this process did not start (a handed-over one).
        streams.control.end();
        streams.output.destroy();
        streams.child?.kill('SIGKILL');
      }, openTimeoutMs);
      if (streams.held) streams.control.write(RELEASE_BYTE);
      void closed.then(() => {
        clearTimeout(openTimer);
        if (source_) {
          source_.onClosed(streams.child);
          return;
        }
        const how = streams.child ? `exit status ${streams.child.exitCode ?? streams.child.signalCode}` : 'its output closed';
        reject(failure ?? new LiveCaptureOpenError(`netmon-capture ended before opening (${how})${stderr ? `: ${stderr.trim()}` : ''}`, 'EPCAP', interfaces[0] ?? ''));
      });
    });
  }

  get linkTypes(): readonly number[] {
    return this.slots.map((s) => s.linkType);
  }

  start(sink: PacketSink, onError: (err: LiveCaptureError) => void): void {
    this.sink = sink;
    this.onError = onError;
    const early = this.early ?? [];
    this.early = null;
    for (const [type, payload] of early) this.onMessage(type, payload);
    this.streams.output.resume();
  }

  stats(): LiveStats {
    return liveStats(this.path, this.slots, (s) => (s.program?.kernelValid ? s.program : null), (s) => (s.program?.programDrops ?? 0) + s.sinkDrops);
  }

  /**
   * Ends the capture: closes the program's control input; it delivers what
   * the kernel already holds (one ring timeout), its final counters, and
   * exits. Resolves once everything it wrote has been read.
   */
  async stop(): Promise<void> {
    if (!this.ended) {
      if (this.early !== null) this.streams.output.resume();
      this.streams.control.end();
      const child = this.streams.child;
      const killer = setTimeout(() => child?.kill('SIGKILL'), STOP_GRACE_MS);
      await this.closed;
      clearTimeout(killer);
    }
  }

  private onMessage(type: number, payload: Uint8Array): void {
    if (this.early !== null) {
      this.early.push([type, Uint8Array.from(payload)]);
      return;
    }
    switch (type) {
      case MessageType.batch:
        this.onBatch(payload);
        break;
      case MessageType.stats:
        for (const s of parseStats(payload)) {
          const slot = this.slots[s.index];
          if (slot) slot.program = s;
        }
        break;
      case MessageType.error: {
        const e = parseJsonMessage(payload);
        const index = typeof e.index === 'number' ? e.index : -1;
        const targets = index >= 0 && this.slots[index] ? [this.slots[index]] : this.slots;
        for (const slot of targets) this.report(slot, String(e.message ?? 'netmon-capture failed'), String(e.code ?? 'EPCAP'));
        break;
      }
      case MessageType.end:
        this.ended = true;
        break;
      default:
        throw new CaptureMessageError(`unexpected message ${type} during capture`);
    }
  }

  private onBatch(payload: Uint8Array): void {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const count = view.getUint32(0, true);
    const end = payload.byteLength;
    const record = this.record;
    const sink = this.sink;
    record.bytes = payload;
    let off = BATCH_PAYLOAD_HEADER;
    for (let i = 0; i < count; i++) {
      if (off + RECORD_HEADER > end) throw new CaptureMessageError('BATCH message shorter than its count');
      const caplen = view.getUint32(off, true);
      const ifIndex = view.getUint32(off + 20, true);
      const slot = this.slots[ifIndex];
      if (slot === undefined || off + RECORD_HEADER + caplen > end) throw new CaptureMessageError('malformed record in a BATCH message');
      record.wireLength = view.getUint32(off + 4, true);
      record.tsSec = view.getUint32(off + 8, true) + view.getInt32(off + 12, true) * 4294967296;
      record.tsNsec = view.getUint32(off + 16, true);
      record.ifIndex = ifIndex;
      record.linkType = slot.linkType;
      record.offset = off + RECORD_HEADER;
      record.length = caplen;
      off += (RECORD_HEADER + caplen + 7) & ~7;
      if (slot.failed || sink === null) {
        slot.sinkDrops++;
        continue;
      }
      try {
        sink.packet(record);
      } catch (err) {
        // A failing consumer is a bug of ours: count what it loses and report, instead of killing the helper.
        slot.sinkDrops++;
        this.report(slot, `packet processing failed: ${(err as Error).message}`, 'EINTERNAL');
        continue;
      }
      slot.packets++;
      slot.bytes += record.wireLength;
    }
  }

  private report(slot: Slot, message: string, code: string): void {
    if (slot.failed) return;
    slot.failed = true;
    this.onError?.({ iface: slot.name, message, code });
  }

  private fail(err: Error): void {
    for (const slot of this.slots) this.report(slot, `netmon-capture output is malformed: ${err.message}`, 'EPROTO');
  }

  private onClosed(child: ChildProcess | null): void {
    if (this.ended) return;
    this.ended = true;
    const how = child ? `exit status ${child.exitCode ?? child.signalCode}` : 'its output closed';
    for (const slot of this.slots) this.report(slot, `netmon-capture ended unexpectedly (${how})`, 'ECHILD');
  }
}

function withGrantHint(message: string): string {
  return `${message}; capture rights are not set up for this user: run '${GRANT_COMMAND}'`;
}
