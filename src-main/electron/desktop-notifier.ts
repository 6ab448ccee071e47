import { Notification } from 'electron';
import type { DesktopNotification, DesktopNotifier } from '../core/notifiers/desktop-notifier';

/** Alert notifications as system notifications; clicking one brings the window forward. */
export class ElectronDesktopNotifier implements DesktopNotifier {
  constructor(private readonly focusWindow: () => void) {}

  notify(notification: DesktopNotification): void {
    if (!Notification.isSupported()) throw new Error('desktop notifications are not supported on this system');
    const shown = new Notification({
      title: notification.title,
      body: notification.body,
      urgency: notification.kind === 'firing' && notification.severity === 'critical' ? 'critical' : 'normal',
    });
    shown.on('click', this.focusWindow);
    shown.show();
  }
}
