import { describe, expect, it } from 'vitest';
import type { AlertRule } from '../../../src-main/api/types/alerts';
import { draftOf, emptyDraft, issuesAfterEdit, issuesByField, ruleBody, thresholdValue } from '../../../src-renderer/views/alerts/rule-draft';

const rule: AlertRule = {
  id: 'r1', name: 'Web', enabled: true, metric: 'pps', direction: 'out', scope: { kind: 'port', port: 443, protocol: 'tcp' },
  comparison: 'above', threshold: 1000, recoveryThreshold: 800, windowSec: 5, forSec: 2, cooldownSec: 60, severity: 'info', topN: 4, channels: ['ops'],
};

describe('the rule form draft', () => {
  it('round-trips a rule into the body the API takes', () => {
    const body = ruleBody(draftOf(rule));
    const { id: _id, ...input } = rule;
    expect(body).toEqual(input);
  });

  it('sends text the server must judge as text, and suffixed thresholds as typed', () => {
    const body = ruleBody({ ...emptyDraft(), name: ' Big ', threshold: '50M', windowSec: 'ten', scopeKind: 'cidr', scopeValue: ' 10.1.2.3/8 ' });
    expect(body).toMatchObject({ name: 'Big', threshold: '50M', windowSec: 'ten', scope: { kind: 'cidr', cidr: '10.1.2.3/8' } });
    expect(body).not.toHaveProperty('recoveryThreshold');
  });

  it('drops the direction of metrics that have none', () => {
    expect(ruleBody({ ...emptyDraft(), metric: 'activeFlows', direction: 'in' }).direction).toBe('both');
  });

  it('puts each server issue under its field', () => {
    const fields = issuesByField([
      { path: 'threshold', message: 'must be zero or more, got -5' },
      { path: 'scope.cidr', message: 'invalid CIDR' },
      { path: 'scope.kind', message: 'unknown scope' },
      { path: 'channels.1', message: "unknown channel 'x'" },
      { path: '', message: 'at most 500 rules' },
    ]);
    expect(Object.fromEntries(fields)).toEqual({
      threshold: ['must be zero or more, got -5'],
      scopeValue: ['invalid CIDR'],
      scopeKind: ['unknown scope'],
      channels: ["unknown channel 'x'"],
      form: ['at most 500 rules'],
    });
  });

  it('starts a new rule on both directions, as docs/alerts.md gives the default', () => {
    expect(emptyDraft().direction).toBe('both');
    expect(ruleBody({ ...emptyDraft(), name: 'x', threshold: '1M' }).direction).toBe('both');
  });

  it('drops the messages of a field once it is edited, and only those', () => {
    const issues = [
      { path: 'threshold', message: 'must be zero or more, got -5' },
      { path: 'scope.cidr', message: 'invalid CIDR' },
      { path: 'name', message: 'is required' },
      { path: '', message: 'at most 500 rules' },
    ];
    expect(issuesAfterEdit(issues, 'threshold').map((i) => i.path)).toEqual(['scope.cidr', 'name']);
    // A new scope kind makes the old scope value's message stale.
    expect(issuesAfterEdit(issues, 'scopeKind').map((i) => i.path)).toEqual(['threshold', 'name']);
    expect(issuesAfterEdit(issues, 'windowSec').map((i) => i.path)).toEqual(['threshold', 'scope.cidr', 'name']);
  });

  it('reads thresholds with suffixes as the server does, and leaves other text alone', () => {
    expect(thresholdValue('50M')).toBe(50e6);
    expect(thresholdValue(' 1.5 k ')).toBe(1500);
    expect(thresholdValue('2G')).toBe(2e9);
    expect(thresholdValue('-5')).toBe('-5');
    expect(thresholdValue('lots')).toBe('lots');
  });
});
