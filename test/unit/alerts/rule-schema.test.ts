import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateRuleSpec } from '../../../src-main/core/alerts/alert-rule';
import { alertRuleSchema } from '../../../src-shared/alert-rule-schema';
import { checkerOf } from '../../../src-shared/schema';

function errorsOf(input: unknown): string[] {
  const result = validateRuleSpec(input);
  return result.ok ? [] : result.errors.map((e) => `${e.field}: ${e.message}`);
}

const base = { name: 'Big download', metric: 'bps', threshold: 1 };

describe('rule schema', () => {
  it('gives every accepted rule the shape of the complete rule schema', () => {
    const scopes = [
      { kind: 'all' }, { kind: 'interface', interface: ' eth0 ' }, { kind: 'probe', probe: 'edge-1' },
      { kind: 'host', address: '10.0.0.1' }, { kind: 'cidr', cidr: '10.0.0.0/8' }, { kind: 'port', port: '443', protocol: 'tcp' },
      { kind: 'protocol', protocol: 'udp' }, { kind: 'name', pattern: '*.Example.com' }, { kind: 'country', country: 'de' },
      { kind: 'asn', asn: 13335 }, { kind: 'application', application: 'curl' },
    ];
    fc.assert(fc.property(
      fc.constantFrom(...scopes),
      fc.constantFrom('bps', 'pps', 'activeFlows'),
      fc.oneof(fc.double({ min: 0, max: 1e12, noNaN: true }), fc.constantFrom('5k', ' 10M ', '1.5G', '7')),
      fc.subarray(['ops', 'pager', 'ops']),
      (scope, metric, threshold, channels) => {
        const result = validateRuleSpec({ ...base, metric, threshold, scope, channels, windowSec: '30' });
        expect(result.ok).toBe(true);
        if (result.ok) expect(checkerOf(alertRuleSchema).Check(result.value)).toBe(true);
      },
    ), { numRuns: 200 });
  });

  it('reads k, M and G on thresholds only', () => {
    expect(validateRuleSpec({ ...base, threshold: '2.5G', recoveryThreshold: '2k' })).toMatchObject({ ok: true, value: { threshold: 2.5e9, recoveryThreshold: 2000 } });
    expect(errorsOf({ ...base, windowSec: '10k' })).toEqual(['windowSec: must be a number, got "10k"']);
    expect(errorsOf({ ...base, threshold: '2T' })).toEqual(['threshold: must be a number, got "2T"']);
  });

  it('names a missing scope kind and a list that is too long', () => {
    expect(errorsOf({ ...base, scope: { address: '10.0.0.1' } }))
      .toEqual(['scope.kind: is required (one of all, interface, probe, host, cidr, port, protocol, name, country, asn, application)']);
    expect(errorsOf({ ...base, channels: Array.from({ length: 11 }, (_, i) => `c${i}`) })).toEqual(['channels: at most 10 channels per rule, got 11']);
    expect(errorsOf({ ...base, channels: ['ops', ' '] })).toEqual(['channels.1: must be a channel id, got ""']);
  });

  it('keeps a __proto__ field a refused field, and treats a field set to undefined as left out', () => {
    expect(errorsOf(JSON.parse('{"name":"x","metric":"bps","threshold":1,"__proto__":{"polluted":true}}'))).toEqual(["__proto__: unknown field '__proto__'"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(validateRuleSpec({ ...base, windowSec: undefined })).toMatchObject({ ok: true, value: { windowSec: 10 } });
    expect(errorsOf({ ...base, name: undefined })).toEqual(['name: is required']);
  });
});
