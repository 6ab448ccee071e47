import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateRuleSpec } from '../../../src-main/core/alerts/alert-rule';

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
