/**
 * Names of ICMP and ICMPv6 message types, as people read them in a flow list
 * ("echo request (8/0)"). Part of the contract so that every front end (CLI
 * text, API, dashboard) says the same.
 */

const ICMP4: Readonly<Record<number, string>> = {
  0: 'echo reply',
  3: 'destination unreachable',
  4: 'source quench',
  5: 'redirect',
  8: 'echo request',
  9: 'router advertisement',
  10: 'router solicitation',
  11: 'time exceeded',
  12: 'parameter problem',
  13: 'timestamp request',
  14: 'timestamp reply',
  15: 'information request',
  16: 'information reply',
  17: 'address mask request',
  18: 'address mask reply',
};

const ICMP6: Readonly<Record<number, string>> = {
  1: 'destination unreachable',
  2: 'packet too big',
  3: 'time exceeded',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  130: 'multicast listener query',
  131: 'multicast listener report',
  132: 'multicast listener done',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
  137: 'redirect',
  139: 'node information query',
  140: 'node information response',
  143: 'multicast listener report v2',
};

/** "echo request (8/0)", or "type 42 (42/1)" for a type without a name. */
export function icmpText(v6: boolean, type: number, code: number): string {
  const name = (v6 ? ICMP6 : ICMP4)[type] ?? `type ${type}`;
  return `${name} (${type}/${code})`;
}
