import { DecodeStatus } from './decoded-packet';
import { etherType, llc } from './ethernet';
import type { PacketReader } from './packet-reader';

const ARPHRD_NETLINK = 824;

/** Linux cooked capture v1: 16 bytes, the protocol last (an EtherType, or a Linux ETH_P_ value up to 1500: LLC). */
export function linuxSll(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 16)) {
    r.pkt.fail(DecodeStatus.truncated, 'linux cooked header truncated');
    return;
  }
  if (r.u16(off + 2) === ARPHRD_NETLINK) return;
  etherOrLlc(r, r.u16(off + 14), off + 16, end);
}

/** Linux cooked capture v2: 20 bytes, the protocol first. */
export function linuxSll2(r: PacketReader, off: number, end: number): void {
  if (!r.has(off, 20)) {
    r.pkt.fail(DecodeStatus.truncated, 'linux cooked v2 header truncated');
    return;
  }
  if (r.u16(off + 8) === ARPHRD_NETLINK) return;
  etherOrLlc(r, r.u16(off), off + 20, end);
}

function etherOrLlc(r: PacketReader, type: number, off: number, end: number): void {
  if (type <= 1500) llc(r, off, end);
  else etherType(r, type, off, end);
}
