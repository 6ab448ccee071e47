import type { AlertSeverity } from '../alerts/alert-rule';

export interface DesktopNotification {
  title: string;
  body: string;
  severity: AlertSeverity;
  kind: 'firing' | 'recovered' | 'test';
}

/**
 * Implemented by the Electron shell (a system notification); absent in
 * headless serve mode, where a desktop channel reports itself unavailable.
 */
export interface DesktopNotifier {
  notify(notification: DesktopNotification): Promise<void> | void;
}
