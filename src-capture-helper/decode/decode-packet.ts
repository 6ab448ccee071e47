/**
 * The decoder's entry point. The decoders live by layer: link types
 * (`link-types.ts` and the files it dispatches to), IP (`ip.ts`), transports
 * (`transport.ts`) and tunnels (`tunnels.ts`), all reading one record through
 * the DecodedPacket's PacketReader.
 */
import type { DecodedPacket } from './decoded-packet';
import { decodeLink } from './link-types';

export { LinkType } from './link-types';

/**
 * Decode one captured record into `out` (reused). Never throws on packet
 * bytes: problems are reported in `out.status`/`out.reason`. The record is
 * `data[offset, offset + length)`, and every offset in `out` is an index into
 * `data` (a capture file's records are decoded where they lie in the read
 * buffer). `wireLength` is the record's original length; tshark's "reported
 * length" checks (IP total length, UDP length) are made against it.
 */
export function decodePacket(linkType: number, data: Uint8Array, out: DecodedPacket, wireLength = data.length, offset = 0, length = data.length - offset): void {
  out.reset();
  const r = out.reader;
  r.d = data;
  r.cap = offset + length;
  decodeLink(r, linkType, offset, offset + (wireLength > length ? wireLength : length));
}
