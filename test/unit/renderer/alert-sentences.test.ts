import { describe, expect, it } from 'vitest';
import type { AlertChannel, AlertRule } from '../../../src-main/api/types/alerts';
import { channelBody, channelDraftOf, channelIssuesByField, emptyChannelDraft, parseHeaders, testOutcomeText } from '../../../src-renderer/views/alerts/channel-draft';
import { ruleDetails, ruleSentence } from '../../../src-renderer/views/alerts/rule-sentence';

const ops: AlertChannel = { id: 'ops', kind: 'discord', name: 'ops', url: 'https://discord.com/api/webhooks/1/x', enabled: true, ratePerMinute: 30, burst: 5 };
const hook: AlertChannel = { id: 'hook', kind: 'webhook', name: 'Pager', url: 'http://127.0.0.1:9/h', headers: { 'X-Token': 'abc' }, enabled: true, ratePerMinute: 30, burst: 5 };
const rule: AlertRule = {
  id: 'r', name: 'Big', enabled: true, metric: 'bps', direction: 'both', scope: { kind: 'interface', interface: 'eth0' }, comparison: 'above',
  threshold: 10e6, recoveryThreshold: 10e6, windowSec: 10, forSec: 30, cooldownSec: 300, severity: 'warning', topN: 5, channels: ['ops'],
};

describe('a rule as a sentence', () => {
  it('says what is measured, where, against what, for how long and who hears of it', () => {
    expect(ruleSentence(rule, [ops])).toBe('When traffic in both directions on eth0 exceeds 10.0 Mbit/s for 30 s, notify Discord “ops”');
    expect(ruleSentence({ ...rule, direction: 'in', scope: { kind: 'all' }, forSec: 0, channels: ['ops', 'hook'] }, [ops, hook]))
      .toBe('When incoming traffic exceeds 10.0 Mbit/s, notify Discord “ops” and webhook “Pager”');
    expect(ruleSentence({ ...rule, metric: 'pps', direction: 'out', threshold: 1200, scope: { kind: 'port', port: 443, protocol: 'tcp' }, channels: [] }, []))
      .toBe('When the outgoing packet rate on port 443/tcp exceeds 1.20 kpkt/s for 30 s, list it here (no channel)');
    expect(ruleSentence({ ...rule, metric: 'activeFlows', comparison: 'below', threshold: 3, scope: { kind: 'cidr', cidr: '10.0.0.0/8' }, forSec: 0, channels: ['gone'] }, []))
      .toBe('When the number of active flows to or from 10.0.0.0/8 falls below 3 flows, notify “gone”');
  });

  it('shows text that is not a number yet as typed (the form preview)', () => {
    expect(ruleSentence({ ...rule, threshold: 'ten', channels: [] }, [])).toBe('When traffic in both directions on eth0 exceeds ten for 30 s, list it here (no channel)');
    expect(ruleSentence({ ...rule, threshold: '  ', forSec: 'x', channels: [] }, [])).toMatch(/exceeds …, list it here/);
  });

  it('adds the average, the recovery point and the cooldown after the sentence', () => {
    expect(ruleDetails({ ...rule, recoveryThreshold: 1e6 })).toBe('10 s average · recovers at 1.00 Mbit/s · at most every 300 s');
    expect(ruleDetails({ ...rule, cooldownSec: 0 })).toBe('10 s average');
  });
});

describe('the channel form draft', () => {
  it('round-trips a webhook with its headers, and leaves the id to the server when none is typed', () => {
    const draft = channelDraftOf(hook);
    expect(draft.headers).toBe('X-Token: abc');
    const parsed = parseHeaders(draft.headers);
    expect(parsed).toEqual({ ok: true, headers: { 'X-Token': 'abc' } });
    const { id: _id, ...spec } = hook;
    expect(channelBody(draft, { 'X-Token': 'abc' }, false)).toEqual(spec);
    expect(channelBody({ ...emptyChannelDraft(), name: ' Ops ', url: ' https://x.example/ ' }, {}, true)).toEqual({
      kind: 'discord', name: 'Ops', url: 'https://x.example/', enabled: true, ratePerMinute: 30, burst: 5,
    });
    expect(channelBody({ ...emptyChannelDraft(), id: 'ops', burst: 'many' }, {}, true)).toMatchObject({ id: 'ops', burst: 'many' });
  });

  it('says which header line is not a header', () => {
    expect(parseHeaders('A: 1\n\nnonsense')).toEqual({ ok: false, message: 'line 3: expected “Name: value”, got “nonsense”' });
    expect(parseHeaders('Authorization: Bearer a:b')).toEqual({ ok: true, headers: { Authorization: 'Bearer a:b' } });
  });

  it('puts server issues under their fields, header issues under the headers with the header named', () => {
    expect(Object.fromEntries(channelIssuesByField([
      { path: 'url', message: 'must be an http:// or https:// URL, got ftp:' },
      { path: 'headers.Host', message: 'is set by Netmon and cannot be overridden' },
      { path: '', message: 'at most 50 channels; delete one first' },
    ]))).toEqual({
      url: ['must be an http:// or https:// URL, got ftp:'],
      headers: ['Host is set by Netmon and cannot be overridden'],
      form: ['at most 50 channels; delete one first'],
    });
  });

  it('tells the test outcome with the receiver status', () => {
    expect(testOutcomeText({ delivered: true, httpStatus: 204, error: null })).toBe('Delivered (HTTP 204)');
    expect(testOutcomeText({ delivered: false, httpStatus: 404, error: 'HTTP 404: {"message": "Unknown Webhook"}' })).toBe('Failed (HTTP 404): {"message": "Unknown Webhook"}');
    expect(testOutcomeText({ delivered: false, httpStatus: 500, error: 'HTTP 500' })).toBe('Failed (HTTP 500)');
    expect(testOutcomeText({ delivered: false, httpStatus: null, error: 'connect ECONNREFUSED 127.0.0.1:9' })).toBe('Failed: connect ECONNREFUSED 127.0.0.1:9');
  });
});
