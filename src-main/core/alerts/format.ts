import { assertNever } from '../assert-never';
import type { AlertDirection, AlertMetric, AlertScope } from './alert-rule';

/** 23400000 -> "23.4 M", 950 -> "950"; three significant digits keep messages short. */
export function siPrefix(value: number): string {
  const abs = Math.abs(value);
  const steps: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [factor, prefix] of steps) {
    if (abs >= factor) return `${trimNumber(value / factor)} ${prefix}`;
  }
  return `${trimNumber(value)} `;
}

function trimNumber(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return String(Number(value.toFixed(digits)));
}

export function formatMetricValue(metric: AlertMetric, value: number): string {
  switch (metric) {
    case 'bps': return `${siPrefix(value)}bit/s`;
    case 'pps': return `${siPrefix(value)}packets/s`;
    case 'activeFlows': return `${siPrefix(value)}flows`;
    case 'newFlows': return `${siPrefix(value)}new flows/s`;
    case 'drops': return `${siPrefix(value)}drops/s`;
    case 'rtt': return `${trimNumber(value)} ms`;
    case 'retransmissions': return `${siPrefix(value)}retransmissions/s`;
    default: return assertNever(metric);
  }
}

export function formatBitRate(bps: number): string {
  return `${siPrefix(bps)}bit/s`;
}

export function metricLabel(metric: AlertMetric, direction: AlertDirection): string {
  const dir = direction === 'in' ? 'Download ' : direction === 'out' ? 'Upload ' : '';
  switch (metric) {
    case 'bps': return `${dir}bit rate`.replace(/^b/, 'B');
    case 'pps': return `${dir}packet rate`.replace(/^p/, 'P');
    case 'activeFlows': return 'Active flows';
    case 'newFlows': return 'New flows';
    case 'drops': return 'Dropped packets';
    case 'rtt': return 'TCP handshake RTT';
    case 'retransmissions': return 'TCP retransmissions';
    default: return assertNever(metric);
  }
}

export function describeScope(scope: AlertScope): string {
  switch (scope.kind) {
    case 'all': return 'all traffic';
    case 'interface': return `interface ${scope.interface}`;
    case 'probe': return `probe ${scope.probe}`;
    case 'host': return `host ${scope.address}`;
    case 'cidr': return `network ${scope.cidr}`;
    case 'port': return scope.protocol === undefined ? `port ${scope.port}` : `${scope.protocol}/${scope.port}`;
    case 'protocol': return `protocol ${scope.protocol}`;
    case 'name': return `name ${scope.pattern}`;
    case 'country': return `country ${scope.country}`;
    case 'asn': return `AS${scope.asn}`;
    case 'application': return `application ${scope.application}`;
    default: return assertNever(scope);
  }
}
