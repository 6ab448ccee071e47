import { formatMetricValue } from '../alerts/format';
import type { DesktopNotifier } from './desktop-notifier';
import type { Notification } from './notification';
import type { ChannelTransport, DeliveryOutcome } from './transport';

export class DesktopTransport implements ChannelTransport {
  constructor(private readonly notifier: DesktopNotifier | undefined) {}

  async deliver(notification: Notification): Promise<DeliveryOutcome> {
    if (this.notifier === undefined) {
      return { status: 'failed', error: 'desktop notifications are not available here (headless mode)' };
    }
    const { event } = notification;
    const prefix = notification.kind === 'test' ? 'Test' : event.kind === 'firing' ? 'Alert' : 'Recovered';
    const top = event.topHosts[0];
    const topLine = top === undefined ? '' : `\nTop: ${top.name ?? top.address}`;
    try {
      await this.notifier.notify({
        title: `${prefix}: ${event.ruleName}`,
        body: `${formatMetricValue(event.metric, event.value)} · ${event.summary}${topLine}`,
        severity: event.severity,
        kind: notification.kind,
      });
      return { status: 'delivered' };
    } catch (err) {
      return { status: 'failed', error: `desktop notification failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
}
