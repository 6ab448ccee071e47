import { describe, expect, it } from 'vitest';
import { validateRuleSpec } from '../../../src-main/core/alerts/alert-rule';
import { parseCidr } from '../../../src-shared/ip';

const base = { name: 'Big download', metric: 'bps', threshold: '10M' };

function errorsOf(input: unknown, knownChannels?: string[]): string[] {
  const result = validateRuleSpec(input, knownChannels === undefined ? {} : { knownChannels: new Set(knownChannels) });
  return result.ok ? [] : result.errors.map((e) => `${e.field}: ${e.message}`);
}

describe('rule validation', () => {
  it('fills defaults for a minimal rule', () => {
    const result = validateRuleSpec(base);
    expect(result).toEqual({
      ok: true,
      value: {
        name: 'Big download', enabled: true, metric: 'bps', direction: 'both', scope: { kind: 'all' },
        comparison: 'above', threshold: 10e6, recoveryThreshold: 10e6, windowSec: 10, forSec: 0, cooldownSec: 300,
        severity: 'warning', topN: 5, channels: [],
      },
    });
  });

  it('refuses a negative threshold, given as text or number, with the reason', () => {
    expect(errorsOf({ ...base, threshold: '-5' })).toEqual(['threshold: must be zero or more, got -5']);
    expect(errorsOf({ ...base, threshold: -5 })).toEqual(['threshold: must be zero or more, got -5']);
    expect(errorsOf({ ...base, threshold: 'lots' })).toEqual(['threshold: must be a number, got "lots"']);
  });

  it('refuses an unknown metric and lists the valid ones', () => {
    expect(errorsOf({ ...base, metric: 'latency' }))
      .toEqual(['metric: unknown metric "latency"; expected one of bps, pps, activeFlows, newFlows, drops, rtt, retransmissions']);
  });

  it('refuses an invalid CIDR and says why', () => {
    expect(errorsOf({ ...base, scope: { kind: 'cidr', cidr: '10.0.0.0/33' } }))
      .toEqual(["scope.cidr: invalid CIDR: prefix length '33' must be a whole number from 0 to 32"]);
    expect(errorsOf({ ...base, scope: { kind: 'cidr', cidr: '10.300.0.0/16' } }))
      .toEqual(["scope.cidr: invalid CIDR: '10.300.0.0' is not an IPv4 or IPv6 address"]);
    expect(errorsOf({ ...base, scope: { kind: 'cidr', cidr: '10.1.2.3/8' } }))
      .toEqual(["scope.cidr: invalid CIDR: host bits are set in '10.1.2.3/8'; did you mean 10.0.0.0/8?"]);
  });

  it('reports every problem at once', () => {
    expect(errorsOf({ metric: 'pps', threshold: 1, windowSec: 0, forSec: 1.5, colour: 'red' })).toEqual([
      "colour: unknown field 'colour'",
      'name: is required',
      'windowSec: must be at least 1, got 0',
      'forSec: must be a whole number, got 1.5',
    ]);
  });

  it('checks that combinations make sense', () => {
    expect(errorsOf({ ...base, metric: 'activeFlows', direction: 'in', threshold: 5 }))
      .toEqual(["direction: only bps and pps have a direction; use 'both' for activeFlows"]);
    expect(errorsOf({ ...base, metric: 'drops', threshold: 5, scope: { kind: 'host', address: '10.0.0.1' } }))
      .toEqual(["scope.kind: drops are counted per interface; scope must be 'all', 'interface' or 'probe', not 'host'"]);
    expect(errorsOf({ ...base, recoveryThreshold: '20M' }))
      .toEqual(["recoveryThreshold: must be at most the threshold (10000000) for an 'above' rule, got 20000000"]);
    expect(errorsOf({ ...base, comparison: 'below', threshold: 0 }))
      .toEqual(["threshold: a 'below' rule with threshold 0 can never fire"]);
  });

  it('validates each scope kind', () => {
    expect(errorsOf({ ...base, scope: { kind: 'host', address: 'example.com' } }))
      .toEqual(["scope.address: 'example.com' is not an IPv4 or IPv6 address"]);
    expect(errorsOf({ ...base, scope: { kind: 'port', port: 70000 } })).toEqual(['scope.port: must be at most 65535, got 70000']);
    expect(errorsOf({ ...base, scope: { kind: 'port', port: 53, protocol: 'sctp' } }))
      .toEqual(['scope.protocol: unknown protocol "sctp"; expected one of tcp, udp']);
    expect(errorsOf({ ...base, scope: { kind: 'name', pattern: 'a*.example.com' } }))
      .toEqual(["scope.pattern: 'a*.example.com': a wildcard is only allowed as a leading '*.'"]);
    expect(errorsOf({ ...base, scope: { kind: 'country', country: 'Germany' } }))
      .toEqual(["scope.country: 'Germany' is not a two-letter country code (ISO 3166-1)"]);
    expect(errorsOf({ ...base, scope: { kind: 'asn', asn: -1 } })).toHaveLength(1);
    expect(errorsOf({ ...base, scope: { kind: 'asn', asn: 1.5 } })).toHaveLength(1);
    expect(errorsOf({ ...base, scope: { kind: 'country', country: 'de' } })).toEqual([]);
    expect(errorsOf({ ...base, scope: { kind: 'asn', asn: 13335 } })).toEqual([]);
    expect(errorsOf({ ...base, scope: { kind: 'application' } })).toEqual(['scope.application: is required']);
    expect(errorsOf({ ...base, scope: { kind: 'application', application: '  ' } }))
      .toEqual(['scope.application: must not be empty']);
    expect(errorsOf({ ...base, scope: { kind: 'application', application: 'cu\nrl' } }))
      .toEqual(['scope.application: an application name cannot hold control characters']);
    expect(errorsOf({ ...base, scope: { kind: 'application', application: 'x'.repeat(257) } })).toHaveLength(1);
    expect(errorsOf({ ...base, scope: { kind: 'application', application: 7 } })).toHaveLength(1);
    expect(errorsOf({ ...base, scope: { kind: 'application', application: 'curl', pid: 5 } })).toHaveLength(1);
    expect(errorsOf({ ...base, scope: { kind: 'application', application: 'system (user 0)' } })).toEqual([]);
    expect(validateRuleSpec({ ...base, scope: { kind: 'application', application: ' curl ' } })).toMatchObject({ ok: true, value: { scope: { kind: 'application', application: 'curl' } } });
    expect(errorsOf({ ...base, scope: { kind: 'planet' } }))
      .toEqual(['scope.kind: unknown kind "planet"; expected one of all, interface, probe, host, cidr, port, protocol, name, country, asn, application']);
    expect(errorsOf({ ...base, scope: 'all' })).toEqual(['scope: must be an object such as {"kind": "all"}, got "all"']);
  });

  it('normalises addresses and networks', () => {
    const host = validateRuleSpec({ ...base, scope: { kind: 'host', address: '2001:DB8:0:0:0:0:0:1' } });
    expect(host.ok && host.value.scope).toEqual({ kind: 'host', address: '2001:db8::1' });
    const net = validateRuleSpec({ ...base, scope: { kind: 'cidr', cidr: ' 2001:db8:0::/48 ' } });
    expect(net.ok && net.value.scope).toEqual({ kind: 'cidr', cidr: '2001:db8::/48' });
  });

  it('checks channel ids against the known channels', () => {
    expect(errorsOf({ ...base, channels: ['discord', 'pager'] }, ['discord'])).toEqual(["channels.1: unknown channel 'pager'"]);
    expect(errorsOf({ ...base, channels: 'discord' }, ['discord'])).toEqual(['channels: must be a list of channel ids, got "discord"']);
  });

  it('refuses things that are not objects', () => {
    expect(errorsOf(null)).toEqual([': a rule must be an object, got null']);
    expect(errorsOf([base])).toEqual([': a rule must be an object, got a list']);
  });
});

describe('CIDR parsing', () => {
  it('parses IPv4, IPv6 and mapped forms', () => {
    expect(parseCidr('192.168.0.0/16')).toMatchObject({ text: '192.168.0.0/16', bits: 112 });
    expect(parseCidr('::ffff:10.0.0.0/104')).toMatchObject({ text: '10.0.0.0/8', bits: 104 });
    expect(parseCidr('fe80::/10')).toMatchObject({ text: 'fe80::/10', bits: 10 });
    expect(parseCidr('10.0.0.1')).toMatchObject({ text: '10.0.0.1/32' });
  });
});
