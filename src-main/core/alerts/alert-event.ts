import type { AlertComparison, AlertDirection, AlertMetric, AlertScope, AlertSeverity } from './alert-rule';
import type { TalkerFlow, TalkerHost } from '../../api/types';

export type AlertEventKind = 'firing' | 'recovered';

// The talkers an event carries are the API's own shapes: events reach the dashboard unchanged.
export type { TalkerFlow, TalkerHost } from '../../api/types';

/** What the engine emits; the store gives it an id once kept. */
export interface AlertEventDraft {
  kind: AlertEventKind;
  /** Timestamp of the sample that triggered the event, ms since the epoch. */
  ts: number;
  ruleId: string;
  /** The rule as it was when the event happened, so history survives edits. */
  ruleName: string;
  metric: AlertMetric;
  direction: AlertDirection;
  scope: AlertScope;
  comparison: AlertComparison;
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

export interface AlertEvent extends AlertEventDraft {
  id: number;
}
