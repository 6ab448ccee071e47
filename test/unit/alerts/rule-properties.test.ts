import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateRuleSpec } from '../../../src-main/core/alerts/alert-rule';
import { cidrContains, formatIp, parseCidr, parseIp } from '../../../src-main/core/alerts/ip-address';

describe('rule validation properties', () => {
  it('never throws on arbitrary JSON and always explains a refusal', () => {
    fc.assert(fc.property(fc.jsonValue(), (input) => {
      const result = validateRuleSpec(input);
      if (!result.ok) {
        expect(result.errors.length).toBeGreaterThan(0);
        for (const e of result.errors) expect(e.message).not.toBe('');
      }
    }), { numRuns: 500 });
  });

  it('accepts its own output unchanged (validation is a fixpoint)', () => {
    const ruleLike = fc.record({
      name: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== ''),
      metric: fc.constantFrom('bps', 'pps', 'activeFlows', 'newFlows', 'drops'),
      threshold: fc.oneof(fc.double({ min: 0, max: 1e12, noNaN: true }), fc.constantFrom('5k', '10M', '1.5G')),
      windowSec: fc.integer({ min: 1, max: 3600 }),
      comparison: fc.constantFrom('above', 'below'),
      scope: fc.constantFrom(
        { kind: 'all' }, { kind: 'cidr', cidr: '10.0.0.0/8' }, { kind: 'port', port: 443 }, { kind: 'name', pattern: '*.Example.com' },
      ),
    });
    fc.assert(fc.property(ruleLike, (input) => {
      const first = validateRuleSpec(input);
      if (!first.ok) return;
      expect(validateRuleSpec(first.value)).toEqual(first);
    }), { numRuns: 300 });
  });
});

describe('address properties', () => {
  it('formats and parses any 16-byte address back to itself', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      expect(parseIp(formatIp(bytes))).toEqual(bytes);
    }), { numRuns: 1000 });
  });

  it('a network built from an address contains it, and its text parses back to the same network', () => {
    fc.assert(fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (address, bits) => {
      const probe = parseCidr(`${address}/${bits}`);
      const network = probe.ok ? probe.cidr.text : /did you mean (\S+)\?$/.exec(probe.reason)?.[1];
      expect(network).toBeDefined();
      const parsed = parseCidr(network as string);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) {
        expect(parsed.cidr.text).toBe(network);
        expect(cidrContains(parsed.cidr, parseIp(address) as Uint8Array)).toBe(true);
      }
    }), { numRuns: 1000 });
  });
});
