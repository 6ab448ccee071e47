import { icmpText } from '../../src-capture-helper/protocol/icmp-names';
import type { IcmpKind } from '../api/types/flows';
import type { FlowProto } from '../api/types/traffic';

/** The ICMP type and code of an ICMP/ICMPv6 flow, with their name; null for other protocols. */
export function icmpKind(proto: FlowProto, type: number | null | undefined, code: number | null | undefined): IcmpKind | null {
  if ((proto !== 'icmp' && proto !== 'icmpv6') || type === null || type === undefined || code === null || code === undefined) return null;
  return { type, code, text: icmpText(proto === 'icmpv6', type, code) };
}
