import type { AlertRule } from '../../../src-main/core/alerts/alert-rule';
import { validateRuleSpec } from '../../../src-main/core/alerts/alert-rule';
import type { AlertFlowRate, AlertHostRate, AlertSample } from '../../../src-main/core/alerts/alert-sample';

export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

/** A sample where eth0 carried `bytesIn`/`bytesOut` this second, with optional hosts and flows. */
export function sample(second: number, parts: {
  bytesIn?: number;
  bytesOut?: number;
  packetsIn?: number;
  activeFlows?: number;
  newFlows?: number;
  drops?: number;
  hosts?: AlertHostRate[];
  flows?: AlertFlowRate[];
  iface?: string;
} = {}): AlertSample {
  const bytesIn = parts.bytesIn ?? 0;
  const bytesOut = parts.bytesOut ?? 0;
  return {
    ts: T0 + second * 1000,
    activeFlows: parts.activeFlows ?? 0,
    newFlows: parts.newFlows ?? 0,
    interfaces: [{
      name: parts.iface ?? 'eth0',
      bytesIn,
      bytesOut,
      packetsIn: parts.packetsIn ?? Math.ceil(bytesIn / 1000),
      packetsOut: Math.ceil(bytesOut / 1000),
      drops: parts.drops ?? 0,
    }],
    protocols: [],
    hosts: parts.hosts ?? [],
    flows: parts.flows ?? [],
  };
}

export function host(address: string, bytesIn: number, bytesOut = 0, name?: string): AlertHostRate {
  const h: AlertHostRate = {
    address, bytesIn, bytesOut, packetsIn: Math.ceil(bytesIn / 1000), packetsOut: Math.ceil(bytesOut / 1000),
    activeFlows: 1, newFlows: 0,
  };
  if (name !== undefined) h.name = name;
  return h;
}

export function flow(
  protocol: 'tcp' | 'udp', remoteAddress: string, remotePort: number, bytesIn: number,
  extra: Partial<AlertFlowRate> = {},
): AlertFlowRate {
  return {
    protocol, localAddress: '192.168.1.10', localPort: 50_000 + remotePort % 1000, remoteAddress, remotePort,
    bytesIn, bytesOut: 0, packetsIn: Math.ceil(bytesIn / 1000), packetsOut: 0, isNew: false, ...extra,
  };
}

/** A validated rule; the test fails loudly if the input itself is invalid. */
export function rule(input: Record<string, unknown>, id = 'r1'): AlertRule {
  const result = validateRuleSpec({ name: 'test rule', cooldownSec: 0, ...input });
  if (!result.ok) throw new Error(`bad test rule: ${JSON.stringify(result.errors)}`);
  return { id, ...result.value };
}
