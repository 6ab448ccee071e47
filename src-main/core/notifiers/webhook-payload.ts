import type { AlertComparison, AlertDirection, AlertMetric, AlertScope, AlertSeverity } from '../alerts/alert-rule';
import { metricUnit } from '../alerts/alert-rule';
import type { AlertEventKind, TalkerFlow, TalkerHost } from '../alerts/alert-event';
import type { Notification } from './notification';

/** Version tag of the generic webhook body; docs/alerts.md documents it field by field. */
export const WEBHOOK_SCHEMA = 'netmon.alert.v1';

export interface WebhookBody {
  schema: typeof WEBHOOK_SCHEMA;
  /** `test` for the "send test" button; otherwise the event's kind. */
  type: AlertEventKind | 'test';
  /** When this delivery was built (retries keep the first value). ISO 8601. */
  sentAt: string;
  event: {
    /** Store id; 0 for a test. */
    id: number;
    kind: AlertEventKind;
    /** Time of the sample that caused the event, ISO 8601. */
    time: string;
    summary: string;
    value: number;
    unit: string;
    rule: {
      id: string;
      name: string;
      metric: AlertMetric;
      direction: AlertDirection;
      scope: AlertScope;
      comparison: AlertComparison;
      threshold: number;
      recoveryThreshold: number;
      windowSec: number;
      severity: AlertSeverity;
    };
    topHosts: TalkerHost[];
    topFlows: TalkerFlow[];
  };
}

export function buildWebhookBody(notification: Notification, sentAt: number): WebhookBody {
  const e = notification.event;
  return {
    schema: WEBHOOK_SCHEMA,
    type: notification.kind === 'test' ? 'test' : e.kind,
    sentAt: new Date(sentAt).toISOString(),
    event: {
      id: e.id,
      kind: e.kind,
      time: new Date(e.ts).toISOString(),
      summary: e.summary,
      value: e.value,
      unit: metricUnit(e.metric),
      rule: {
        id: e.ruleId,
        name: e.ruleName,
        metric: e.metric,
        direction: e.direction,
        scope: e.scope,
        comparison: e.comparison,
        threshold: e.threshold,
        recoveryThreshold: e.recoveryThreshold,
        windowSec: e.windowSec,
        severity: e.severity,
      },
      topHosts: e.topHosts,
      topFlows: e.topFlows,
    },
  };
}
