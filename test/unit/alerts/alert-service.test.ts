import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src-main/core/alerts/alert-event';
import { AlertService } from '../../../src-main/core/alerts/alert-service';
import { host, sample } from './sample-builder';

const MBIT = 1_000_000 / 8;
let dir: string;
let db: Database.Database;
let service: AlertService;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netmon-alert-service-'));
  db = new Database(path.join(dir, 'netmon.db'));
  service = new AlertService({ db });
});
afterEach(() => {
  service.close();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const desk = { id: 'desk', kind: 'desktop', name: 'Desktop' };

describe('AlertService rules', () => {
  it('creates, updates and deletes rules, with validation errors as values', () => {
    expect(service.createRule({ name: 'x', metric: 'bps', threshold: '-5' }))
      .toEqual({ ok: false, errors: [{ field: 'threshold', message: 'must be zero or more, got -5' }] });
    expect(service.createRule({ name: 'x', metric: 'bps', threshold: 1, channels: ['nowhere'] }))
      .toEqual({ ok: false, errors: [{ field: 'channels.0', message: "unknown channel 'nowhere'" }] });
    expect(service.listRules()).toEqual([]);

    const created = service.createRule({ name: 'Big download', metric: 'bps', direction: 'in', threshold: '10M' });
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    const { id } = created.value;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const badUpdate = service.updateRule(id, { name: 'Big download', metric: 'latency', threshold: 1 });
    expect(badUpdate.ok).toBe(false);
    expect(service.listRules()[0]).toMatchObject({ id, metric: 'bps', threshold: 10e6, firing: false }); // untouched

    expect(service.updateRule(id, { name: 'Huge download', metric: 'bps', threshold: '50M' })).toMatchObject({ ok: true });
    expect(service.listRules().map((r) => [r.name, r.threshold])).toEqual([['Huge download', 50e6]]);
    expect(service.updateRule('missing', { name: 'a', metric: 'bps', threshold: 1 }))
      .toEqual({ ok: false, errors: [{ field: 'id', message: "no rule with id 'missing'" }] });
    expect(service.deleteRule(id)).toEqual({ ok: true, value: { id } });
    expect(service.deleteRule(id)).toEqual({ ok: false, errors: [{ field: 'id', message: `no rule with id '${id}'` }] });
  });

  it('makes a channel id from the name when none is given, as the settings file does', () => {
    const hook = { kind: 'webhook', name: 'Ops on Discord!', url: 'https://example.org/hook' };
    expect(service.createChannel(hook)).toMatchObject({ ok: true, value: { id: 'ops-on-discord' } });
    expect(service.createChannel(hook)).toMatchObject({ ok: true, value: { id: 'ops-on-discord-2' } });
    expect(service.createChannel({ ...hook, name: '***' })).toMatchObject({ ok: true, value: { id: 'item' } });
    expect(service.listChannels().map((c) => c.id)).toEqual(['ops-on-discord', 'ops-on-discord-2', 'item']);
  });

  it('refuses to delete a channel a rule still uses', () => {
    expect(service.createChannel(desk)).toMatchObject({ ok: true, value: { id: 'desk', kind: 'desktop' } });
    expect(service.createChannel(desk)).toEqual({ ok: false, errors: [{ field: 'id', message: "a channel with id 'desk' exists already" }] });
    service.createRule({ name: 'Flood', metric: 'pps', threshold: 1000, channels: ['desk'] });
    expect(service.deleteChannel('desk'))
      .toEqual({ ok: false, errors: [{ field: 'id', message: "channel 'desk' is used by 'Flood'; remove it from those rules first" }] });
    expect(service.listChannels().map((c) => c.id)).toEqual(['desk']);
  });
});

describe('AlertService samples and events', () => {
  it('stores and emits firing and recovery events with the top talkers, and lists them after a restart', () => {
    service.createRule({ name: 'Big download', metric: 'bps', direction: 'in', threshold: '10M', windowSec: 2, cooldownSec: 0 });
    const emitted: AlertEvent[] = [];
    service.on('event', (e) => emitted.push(e));
    const hosts = [host('203.0.113.5', 20 * MBIT, 0, 'cdn.example.net')];
    const rates = [0, 30, 30, 30, 0, 0];
    rates.forEach((m, i) => service.onSample(sample(i, { bytesIn: m * MBIT, hosts: m > 0 ? hosts : [] })));
    expect(emitted.map((e) => [e.kind, e.value])).toEqual([['firing', 15e6], ['recovered', 0]]);
    expect(emitted[0].topHosts).toEqual([{
      address: '203.0.113.5', name: 'cdn.example.net', bps: 20e6, pps: 2500, bpsIn: 20e6, bpsOut: 0, ppsIn: 2500, ppsOut: 0,
    }]);
    expect(service.listRules()[0].firing).toBe(false);

    service.close();
    service = new AlertService({ db });
    expect(service.listEvents().map((e) => [e.id, e.kind, e.ruleName])).toEqual([[2, 'recovered', 'Big download'], [1, 'firing', 'Big download']]);
    expect(service.listRules().map((r) => r.name)).toEqual(['Big download']);
  });
});

describe('AlertService settings section', () => {
  const section = {
    channels: [{ id: 'ops', kind: 'webhook', name: 'Ops hook', url: 'http://127.0.0.1:9/hook' }],
    rules: [
      { name: 'Big upload', metric: 'bps', direction: 'out', threshold: '20M', channels: ['ops'] },
      { id: 'scan', name: 'Port scan', metric: 'newFlows', threshold: 200, windowSec: 5 },
    ],
  };

  it('replaces rules and channels from the settings file', () => {
    service.createRule({ name: 'old', metric: 'bps', threshold: 1 });
    expect(service.applySettings(section)).toEqual({ ok: true, value: { rules: 2, channels: 1 } });
    expect(service.listRules().map((r) => r.id)).toEqual(['big-upload', 'scan']);
    expect(service.listChannels().map((c) => c.id)).toEqual(['ops']);
  });

  it('applies nothing when any entry is invalid, and names each problem by path', () => {
    service.createRule({ name: 'old', metric: 'bps', threshold: 1 });
    const bad = {
      channels: [{ id: 'ops', kind: 'discord', name: 'Ops', url: 'ftp://example.com/x' }],
      rules: [
        { name: 'a', metric: 'bps', threshold: '-5', channels: ['ops'] },
        { name: 'b', metric: 'bps', threshold: 1, scope: { kind: 'cidr', cidr: '10.0.0.0/40' } },
        { name: 'a', metric: 'pps', threshold: 1 },
      ],
      extra: true,
    };
    expect(service.applySettings(bad)).toEqual({
      ok: false,
      errors: [
        { field: 'alerts.extra', message: "unknown field 'extra'" },
        { field: 'alerts.channels.0.url', message: 'must be an http:// or https:// URL, got ftp:' },
        { field: 'alerts.rules.0.threshold', message: 'must be zero or more, got -5' },
        { field: 'alerts.rules.0.channels.0', message: "unknown channel 'ops'" },
        { field: 'alerts.rules.1.scope.cidr', message: "invalid CIDR: prefix length '40' must be a whole number from 0 to 32" },
      ],
    });
    expect(service.listRules().map((r) => r.name)).toEqual(['old']);
    expect(service.applySettings({ rules: [{ name: 'a', metric: 'pps', threshold: 1 }, { name: 'A', metric: 'bps', threshold: 1 }] }))
      .toEqual({ ok: false, errors: [{ field: 'alerts.rules', message: "id 'a' is used twice (ids come from the name when not given)" }] });
  });
});
