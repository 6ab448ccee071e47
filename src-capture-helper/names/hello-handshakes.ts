/**
 * ClientHellos carried over UDP: QUIC Initial packets (decrypted with the
 * client keys derived from the connection's first Destination Connection ID,
 * their CRYPTO frames assembled by offset) and DTLS handshake fragments.
 * One handshake per flow direction, bounded in count, bytes and idle time.
 */
import type { HelloResult } from './client-hello';
import { dtlsClientHelloFragments, HelloStatus, parseClientHelloBody, parseHandshakeClientHello } from './client-hello';
import { BoundedMap } from '../../src-shared/bounded-map';
import { OffsetAssembler } from './offset-assembler';
import { clientInitialKeys, cryptoFrames, decryptInitial, findInitialPackets } from './quic-initial';
import type { InitialKeys } from './quic-initial';

interface Handshake {
  asm: OffsetAssembler;
  /** QUIC: the client keys of this connection (derived from its first Destination Connection ID). */
  keys?: InitialKeys;
  /** DTLS: message sequence of the ClientHello being assembled. */
  messageSeq: number;
  done: boolean;
  lastSec: number;
}

/** Where a ClientHello read from a handshake goes. */
export interface HelloSink {
  helloResult(r: HelloResult, flowId: number): void;
}

export class HelloHandshakes {
  private readonly handshakes: BoundedMap<number, Handshake>;
  /** QUIC client keys by version and DCID: retransmitted Initials need no new derivation. */
  private readonly keyCache = new BoundedMap<string, InitialKeys>(256);
  quicInitials = 0;
  /** QUIC Initial packets no client key opened (server Initials, damaged packets). */
  quicUndecrypted = 0;
  dtlsClientHellos = 0;
  /** Handshakes given up because the ClientHello outgrew the buffer or had too many holes. */
  overflowed = 0;
  /** Handshakes dropped after `idleSec` without completing. */
  timedOut = 0;

  constructor(
    maxHandshakes: number,
    private readonly bufferBytes: number,
    private readonly idleSec: number,
    private readonly sink: HelloSink,
  ) {
    this.handshakes = new BoundedMap(maxHandshakes);
  }

  /** Handshakes dropped because `maxHandshakes` were tracked. */
  get evicted(): number {
    return this.handshakes.evicted;
  }

  get size(): number {
    return this.handshakes.size;
  }

  /** Reads the QUIC Initial packets of a datagram of flow direction `key`. */
  quic(data: Uint8Array, start: number, end: number, key: number, flowId: number, sec: number): void {
    let hs = key >= 0 ? this.handshakes.get(key) : undefined;
    if (hs?.done) return;
    for (const pkt of findInitialPackets(data, start, end)) {
      this.quicInitials++;
      let plain = hs?.keys ? decryptInitial(data, pkt, hs.keys) : undefined;
      if (!plain) {
        const keys = this.initialKeys(pkt.version, pkt.dcid);
        plain = keys && decryptInitial(data, pkt, keys);
        if (plain) {
          // First Initial of a connection in this direction (or a new connection on the same ports).
          hs = this.start(key, sec);
          hs.keys = keys;
        }
      }
      if (!plain || !hs) {
        this.quicUndecrypted++;
        continue;
      }
      hs.lastSec = sec;
      for (const f of cryptoFrames(plain)) hs.asm.write(f.offset, f.data, 0, f.data.length);
      const r = parseHandshakeClientHello(hs.asm.bytes, 0, hs.asm.contiguous, this.bufferBytes);
      if (r.status === HelloStatus.needMore && !hs.asm.overflowed && !hs.asm.tooFragmented) continue;
      if (r.status === HelloStatus.needMore) this.overflowed++;
      hs.done = true;
      hs.asm = new OffsetAssembler(0, 0);
      this.sink.helloResult(r, flowId);
      return;
    }
  }

  /** Reads the DTLS ClientHello fragments of a datagram of flow direction `key`. */
  dtls(data: Uint8Array, start: number, end: number, key: number, flowId: number, sec: number): void {
    for (const f of dtlsClientHelloFragments(data, start, end, this.bufferBytes)) {
      if (f.fragmentOffset === 0 && f.end - f.start === f.messageLength) {
        this.dtlsClientHellos++;
        this.sink.helloResult(parseClientHelloBody(data, f.start, f.end, true), flowId);
        continue;
      }
      let hs = key >= 0 ? this.handshakes.get(key) : undefined;
      if (!hs || hs.messageSeq !== f.messageSeq || hs.done) {
        hs = this.start(key, sec);
        hs.messageSeq = f.messageSeq;
      }
      hs.lastSec = sec;
      hs.asm.write(f.fragmentOffset, data, f.start, f.end);
      if (hs.asm.contiguous >= f.messageLength) {
        hs.done = true;
        this.dtlsClientHellos++;
        this.sink.helloResult(parseClientHelloBody(hs.asm.bytes, 0, f.messageLength, true), flowId);
      } else if (hs.asm.overflowed || hs.asm.tooFragmented) {
        hs.done = true;
        this.overflowed++;
      }
    }
  }

  delete(key: number): void {
    this.handshakes.delete(key);
  }

  expire(nowSec: number): void {
    for (;;) {
      const oldest = this.handshakes.oldest();
      if (!oldest || nowSec - oldest[1].lastSec <= this.idleSec) return;
      this.handshakes.delete(oldest[0]);
      if (!oldest[1].done) this.timedOut++;
    }
  }

  private start(key: number, sec: number): Handshake {
    this.expire(sec);
    const hs: Handshake = { asm: new OffsetAssembler(this.bufferBytes), messageSeq: -1, done: false, lastSec: sec };
    if (key >= 0) this.handshakes.setNewest(key, hs);
    return hs;
  }

  private initialKeys(version: number, dcid: Uint8Array): InitialKeys | undefined {
    const k = `${version}:${Buffer.from(dcid.buffer, dcid.byteOffset, dcid.length).toString('hex')}`;
    let keys = this.keyCache.get(k);
    if (!keys) {
      keys = clientInitialKeys(version, dcid);
      if (keys) this.keyCache.set(k, keys);
    }
    return keys;
  }
}
