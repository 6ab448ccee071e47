import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type Database from 'better-sqlite3';
import { CHANNEL_ID_PATTERN, validateChannelSpec, type AlertChannel } from '../notifiers/channel-config';
import { NotifierHub, type ChannelStatus, type NotifierHubOptions, type TestResult } from '../notifiers/notifier-hub';
import type { DesktopNotifier } from '../notifiers/desktop-notifier';
import type { AlertEvent } from './alert-event';
import type { AlertSample } from './alert-sample';
import { validateRuleSpec, type AlertRule } from './alert-rule';
import { AlertStore, type EventQuery } from './alert-store';
import { MAX_CHANNELS, MAX_RULES, slugOf, validateAlertsSection } from './alerts-settings';
import { RuleEngine } from './rule-engine';
import { describe, fail, forbid, isPlainObject, ok, type Result } from './validation';

export interface AlertServiceOptions {
  db: Database.Database;
  /** The Electron shell's notifier; absent in serve mode. */
  desktop?: DesktopNotifier;
  /** Delivery settings (timeouts, queue bounds); tests shorten the delays. */
  notifiers?: Omit<NotifierHubOptions, 'desktop'>;
  maxEvents?: number;
}

export interface RuleView extends AlertRule {
  /** The rule is in the firing state right now. */
  firing: boolean;
}

export interface AlertServiceStats {
  samplesEvaluated: number;
  samplesIgnored: number;
  eventsPruned: number;
  /** Events that could not be written to SQLite; they were still emitted and notified. */
  eventStoreErrors: number;
  /** Stored rules or channels skipped at load because they no longer validate. */
  skippedAtLoad: string[];
  /** Exceptions thrown by `event` listeners; caught so one bad listener cannot stop alerting. */
  listenerErrors: number;
}

const COMMAND_FROM_FILE = 'command channels are set in the settings file only (docs/alerts.md)';

function sameExceptEnabled(a: AlertChannel, b: AlertChannel): boolean {
  return JSON.stringify({ ...a, enabled: true }) === JSON.stringify({ ...b, enabled: true });
}

/**
 * The alert feature behind one façade for the REST routes, the IPC handlers
 * and serve mode. User input comes back as values (`Result`), never as
 * exceptions; `onSample` never blocks on delivery.
 */
export class AlertService extends EventEmitter<{ event: [AlertEvent] }> {
  private readonly store: AlertStore;
  private readonly engine = new RuleEngine();
  private readonly hub: NotifierHub;
  private rules: AlertRule[] = [];
  private channels: AlertChannel[] = [];
  private eventStoreErrors = 0;
  private listenerErrors = 0;
  private skippedAtLoad: string[] = [];
  /** While set, events are kept and shown but reach no channel (the demo capture's traffic is nobody's). */
  private deliveryHeld: 'demo' | null = null;

  constructor(options: AlertServiceOptions) {
    super();
    this.store = new AlertStore(options.db, { maxEvents: options.maxEvents });
    this.hub = new NotifierHub({ ...options.notifiers, desktop: options.desktop });
    this.load();
  }

  listRules(): RuleView[] {
    return this.rules.map((r) => ({ ...r, firing: this.engine.isFiring(r.id) }));
  }

  createRule(input: unknown): Result<AlertRule> {
    if (isPlainObject(input) && input.id !== undefined) {
      return fail('id', 'is assigned by Netmon; leave it out when creating a rule');
    }
    if (this.rules.length >= MAX_RULES) return fail('', `at most ${MAX_RULES} rules; delete one first`);
    const spec = validateRuleSpec(input, { knownChannels: this.channelIds() });
    if (!spec.ok) return spec;
    const rule: AlertRule = { id: randomUUID(), ...spec.value };
    this.store.putRule(rule);
    this.setRules([...this.rules, rule]);
    return ok(rule);
  }

  /** Replaces a rule's settings (PUT semantics: omitted fields take their defaults). */
  updateRule(id: string, input: unknown): Result<AlertRule> {
    if (!this.rules.some((r) => r.id === id)) return fail('id', `no rule with id '${id}'`);
    if (isPlainObject(input) && input.id !== undefined && input.id !== id) {
      return fail('id', `does not match the rule being updated ('${id}')`);
    }
    const spec = validateRuleSpec(input, { knownChannels: this.channelIds() });
    if (!spec.ok) return spec;
    const rule: AlertRule = { id, ...spec.value };
    this.store.putRule(rule);
    this.setRules(this.rules.map((r) => (r.id === id ? rule : r)));
    return ok(rule);
  }

  deleteRule(id: string): Result<{ id: string }> {
    if (!this.store.deleteRule(id)) return fail('id', `no rule with id '${id}'`);
    this.setRules(this.rules.filter((r) => r.id !== id));
    return ok({ id });
  }

  listChannels(): AlertChannel[] {
    return this.channels.map((c) => ({ ...c }));
  }

  /**
   * A channel id may be given (a readable slug for settings files and rules); without one it is made
   * from the name as in the settings file (`Ops on Discord` -> `ops-on-discord`, then `-2`, `-3` when taken).
   * Command channels run programs: they come from the settings file only (`applySettings`).
   */
  createChannel(input: unknown): Result<AlertChannel> {
    if (isPlainObject(input) && input.kind === 'command') return forbid('kind', COMMAND_FROM_FILE);
    if (this.channels.length >= MAX_CHANNELS) return fail('', `at most ${MAX_CHANNELS} channels; delete one first`);
    let id: string | null = null;
    if (isPlainObject(input) && input.id !== undefined) {
      if (typeof input.id !== 'string' || !CHANNEL_ID_PATTERN.test(input.id)) {
        return fail('id', `must be 1-64 of a-z 0-9 - _ starting with a letter or digit, got ${describe(input.id)}`);
      }
      if (this.channels.some((c) => c.id === input.id)) return fail('id', `a channel with id '${input.id}' exists already`);
      id = input.id;
    }
    const spec = validateChannelSpec(input);
    if (!spec.ok) return spec;
    const channel = { id: id ?? this.freeChannelId(slugOf(spec.value.name)), ...spec.value } as AlertChannel;
    this.store.putChannel(channel);
    this.setChannels([...this.channels, channel]);
    return ok(channel);
  }

  /** Replaces a channel's settings; of a command channel only `enabled` may change (its program is the file's). */
  updateChannel(id: string, input: unknown): Result<AlertChannel> {
    const current = this.channels.find((c) => c.id === id);
    if (current === undefined) return fail('id', `no channel with id '${id}'`);
    if (isPlainObject(input) && input.id !== undefined && input.id !== id) {
      return fail('id', `does not match the channel being updated ('${id}')`);
    }
    if (current.kind !== 'command' && isPlainObject(input) && input.kind === 'command') return forbid('kind', COMMAND_FROM_FILE);
    const spec = validateChannelSpec(input);
    if (!spec.ok) return spec;
    const channel = { id, ...spec.value } as AlertChannel;
    if (current.kind === 'command' && !sameExceptEnabled(current, channel)) {
      return forbid('', `channel '${id}' runs a program: through the API it can only be enabled or disabled; ${COMMAND_FROM_FILE}`);
    }
    this.store.putChannel(channel);
    this.setChannels(this.channels.map((c) => (c.id === id ? channel : c)));
    return ok(channel);
  }

  /** Refused while a rule still notifies the channel, so no rule is left pointing nowhere. */
  deleteChannel(id: string): Result<{ id: string }> {
    const current = this.channels.find((c) => c.id === id);
    if (current === undefined) return fail('id', `no channel with id '${id}'`);
    if (current.kind === 'command') return forbid('id', `channel '${id}' runs a program; ${COMMAND_FROM_FILE}`);
    const users = this.rules.filter((r) => r.channels.includes(id)).map((r) => `'${r.name}'`);
    if (users.length > 0) return fail('id', `channel '${id}' is used by ${users.join(', ')}; remove it from those rules first`);
    this.store.deleteChannel(id);
    this.setChannels(this.channels.filter((c) => c.id !== id));
    return ok({ id });
  }

  listEvents(query: EventQuery = {}): AlertEvent[] {
    return this.store.listEvents(query);
  }

  testChannel(id: string): Promise<TestResult> {
    return this.hub.sendTest(id);
  }

  channelStatus(): ChannelStatus[] {
    return this.hub.status();
  }

  /**
   * Feeds one second of traffic. Events are stored, emitted as `event` and
   * queued on their rule's channels; delivery happens in the background.
   */
  onSample(sample: AlertSample): AlertEvent[] {
    const held = this.deliveryHeld;
    const drafts = this.engine.evaluate(sample).map((d) => (held === null ? d : { ...d, notSent: held }));
    const events: AlertEvent[] = [];
    for (const draft of drafts) {
      let event: AlertEvent;
      try {
        event = this.store.addEvent(draft);
      } catch {
        // A full disk must not silence an alert: notify anyway, with id 0 marking "not kept".
        this.eventStoreErrors += 1;
        event = { ...draft, id: 0 };
      }
      events.push(event);
      const rule = this.rules.find((r) => r.id === draft.ruleId);
      if (rule !== undefined && held === null) this.hub.dispatch(event, rule.channels);
      try {
        this.emit('event', event);
      } catch {
        this.listenerErrors += 1;
      }
    }
    return events;
  }

  /**
   * 'demo': events from now on are kept and shown, marked not sent, and no channel is called
   * (webhook, Discord, command, desktop); null: they are delivered again. A person's test send still goes out.
   */
  holdDelivery(reason: 'demo' | null): void {
    this.deliveryHeld = reason;
  }

  /** A new capture started: windows and firing states start afresh, without recovery events. */
  resetTimeline(): void {
    this.engine.reset();
  }

  /**
   * Applies the settings file's `alerts` section (headless serve): the
   * section's rules and channels replace the stored ones, all or nothing.
   */
  applySettings(section: unknown): Result<{ rules: number; channels: number }> {
    const parsed = validateAlertsSection(section);
    if (!parsed.ok) return parsed;
    const { rules, channels } = parsed.value;
    this.store.replaceAll(rules, channels);
    this.setChannels(channels);
    this.setRules(rules);
    // What the store held, skipped or not, is replaced by the file.
    this.skippedAtLoad = [];
    return ok({ rules: rules.length, channels: channels.length });
  }

  stats(): AlertServiceStats {
    return {
      ...this.engine.stats(),
      eventsPruned: this.store.prunedEvents(),
      eventStoreErrors: this.eventStoreErrors,
      listenerErrors: this.listenerErrors,
      skippedAtLoad: [...this.skippedAtLoad],
    };
  }

  /** Resolves once every channel's queue is empty. */
  idle(): Promise<void> {
    return this.hub.idle();
  }

  close(): void {
    this.hub.close();
    this.removeAllListeners();
  }

  private load(): void {
    const stored = this.store.listChannels();
    const channels: AlertChannel[] = [];
    const skipped = stored.unreadable.map((id) => `channel ${id}: unreadable`);
    for (const c of stored.channels) {
      const spec = validateChannelSpec(c);
      // Only the settings file names programs to run (applySettings puts them back at each start).
      if (spec.ok && spec.value.kind === 'command') skipped.push(`channel ${c.id}: command channels are read from the settings file at each start`);
      else if (spec.ok) channels.push({ id: c.id, ...spec.value } as AlertChannel);
      else skipped.push(`channel ${c.id}: ${spec.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`);
    }
    this.setChannels(channels);
    const storedRules = this.store.listRules();
    skipped.push(...storedRules.unreadable.map((id) => `rule ${id}: unreadable`));
    const rules: AlertRule[] = [];
    for (const r of storedRules.rules) {
      const spec = validateRuleSpec(r, { knownChannels: this.channelIds() });
      if (spec.ok) rules.push({ id: r.id, ...spec.value });
      else skipped.push(`rule ${r.id}: ${spec.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`);
    }
    this.setRules(rules);
    this.skippedAtLoad = skipped;
  }

  /** `base`, or `base-2`, `base-3`… : the first id no channel has. */
  private freeChannelId(base: string): string {
    const taken = this.channelIds();
    if (!taken.has(base)) return base;
    for (let n = 2; ; n += 1) {
      const id = `${base.slice(0, 64 - String(n).length - 1)}-${n}`;
      if (!taken.has(id)) return id;
    }
  }

  private channelIds(): Set<string> {
    return new Set(this.channels.map((c) => c.id));
  }

  private setRules(rules: AlertRule[]): void {
    this.rules = rules;
    this.engine.setRules(rules);
  }

  private setChannels(channels: AlertChannel[]): void {
    this.channels = channels;
    this.hub.setChannels(channels);
  }
}
