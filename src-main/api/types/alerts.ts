/**
 * Alert rules, their notification channels and the events they send (plain JSON data: see traffic.ts).
 * The alert engine (src-main/core/alerts/) uses these shapes as they are and adds their validation.
 */

import type { Direction, FlowProto } from './traffic';

// A rule's shapes are inferred from its schema (src-shared/alert-rule-schema.ts), which documents each field.
export type { AlertMetric, AlertRuleInput, AlertScope, AlertSeverity } from '../../../src-shared/alert-rule-schema';
import type { AlertMetric, AlertRuleInput, AlertScope, AlertSeverity } from '../../../src-shared/alert-rule-schema';

export interface AlertRule extends AlertRuleInput {
  id: string;
}

/** A rule as listed: with whether it is firing right now. */
export interface AlertRuleState extends AlertRule {
  firing: boolean;
}

// A channel's shapes are inferred from its schema (src-shared/alert-channel-schema.ts), which documents each field.
export type { AlertChannelInput, AlertChannelKind, AlertChannelSpec } from '../../../src-shared/alert-channel-schema';
import type { AlertChannelKind, AlertChannelSpec } from '../../../src-shared/alert-channel-schema';

/** A notification channel (docs/alerts.md): the desktop, a Discord webhook, a JSON webhook or a command. */
export type AlertChannel = AlertChannelSpec & { id: string };

/** A channel's delivery health, for the dashboard. */
export interface AlertChannelStatus {
  channelId: string;
  name: string;
  kind: AlertChannelKind;
  enabled: boolean;
  state: 'idle' | 'ok' | 'retrying' | 'failing';
  queued: number;
  delivered: number;
  /** Notifications given up after their attempts or a permanent error. */
  failed: number;
  /** Notifications dropped because the queue was full or the channel closed. */
  dropped: number;
  attempts: number;
  consecutiveFailures: number;
  lastError: string | null;
  lastErrorAt: number | null;
  lastDeliveredAt: number | null;
}

/** Rates per second at the moment of an event; in/out only when the source told the direction. */
export interface TalkerRates {
  bps: number;
  pps: number;
  bpsIn?: number;
  bpsOut?: number;
  ppsIn?: number;
  ppsOut?: number;
}

/** A top host at the moment of the event. */
export interface TalkerHost extends TalkerRates {
  address: string;
  name?: string;
}

export interface TalkerFlow extends TalkerRates {
  protocol: FlowProto;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  name?: string;
}

/** A rule firing or recovering, as kept in the history and sent to the dashboard and the notification channels. */
export interface AlertEvent {
  id: number;
  kind: 'firing' | 'recovered';
  /** Timestamp of the sample that triggered the event, ms since the epoch. */
  ts: number;
  ruleId: string;
  /** The rule as it was when the event happened, so history survives edits. */
  ruleName: string;
  metric: AlertMetric;
  direction: Direction | 'both';
  scope: AlertScope;
  comparison: 'above' | 'below';
  severity: AlertSeverity;
  threshold: number;
  recoveryThreshold: number;
  windowSec: number;
  /** The windowed value compared with the threshold. */
  value: number;
  /** One line a person reads, e.g. "Upload bit rate 23.4 Mbit/s above 10 Mbit/s (10 s average)". */
  summary: string;
  topHosts: TalkerHost[];
  topFlows: TalkerFlow[];
  /** Why the event went to no channel: 'demo' while the demo capture plays (absent: sent to its rule's channels). */
  notSent?: 'demo';
}
