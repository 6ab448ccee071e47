import { assertNever } from '../assert-never';
import type { AlertEvent } from '../alerts/alert-event';
import { CommandTransport } from './command-transport';
import type { AlertChannel, AlertChannelKind } from './channel-config';
import { DeliveryQueue, type DeliveryHealth, type DeliveryQueueOptions } from './delivery-queue';
import type { DesktopNotifier } from './desktop-notifier';
import { DesktopTransport } from './desktop-transport';
import { buildDiscordBody } from './discord-payload';
import { HttpTransport, type FetchLike } from './http-transport';
import { testNotification } from './notification';
import type { ChannelTransport } from './transport';
import { buildWebhookBody } from './webhook-payload';

export interface ChannelStatus extends DeliveryHealth {
  channelId: string;
  name: string;
  kind: AlertChannelKind;
  enabled: boolean;
}

/** A test's outcome; `httpStatus` is the receiver's answer when there was one (HTTP channels). */
export type TestResult = { httpStatus?: number } & ({ ok: true } | { ok: false; error: string });

export interface NotifierHubOptions {
  desktop?: DesktopNotifier;
  fetchImpl?: FetchLike;
  /** Per-request timeout for HTTP channels. */
  httpTimeoutMs?: number;
  /** Overrides of the queue defaults (tests use short delays). */
  queue?: Partial<DeliveryQueueOptions>;
}

interface Channel {
  config: AlertChannel;
  key: string;
  queue: DeliveryQueue;
}

/** Owns one delivery queue per configured channel and routes events to them. */
export class NotifierHub {
  private channels = new Map<string, Channel>();

  constructor(private readonly options: NotifierHubOptions = {}) {}

  /**
   * Replaces the channel set. An unchanged channel keeps its queue and
   * health; a changed or removed one is closed (its waiting notifications
   * are counted as dropped).
   */
  setChannels(configs: readonly AlertChannel[]): void {
    const next = new Map<string, Channel>();
    for (const config of configs) {
      const key = JSON.stringify(config);
      const current = this.channels.get(config.id);
      if (current !== undefined && current.key === key) {
        next.set(config.id, current);
      } else {
        current?.queue.close();
        next.set(config.id, { config, key, queue: this.makeQueue(config) });
      }
    }
    for (const [id, channel] of this.channels) if (!next.has(id)) channel.queue.close();
    this.channels = next;
  }

  /** Queues the event on each named channel; returns at once. Disabled channels are skipped. */
  dispatch(event: AlertEvent, channelIds: readonly string[]): void {
    for (const id of channelIds) {
      const channel = this.channels.get(id);
      // Rules are validated against the channel list, so a missing channel means a disabled or just-removed one.
      if (channel === undefined || !channel.config.enabled) continue;
      channel.queue.enqueue({ kind: event.kind, event });
    }
  }

  /** The "send test" button: one attempt now, with the outcome as a value. Works on a disabled channel too. */
  async sendTest(channelId: string): Promise<TestResult> {
    const channel = this.channels.get(channelId);
    if (channel === undefined) return { ok: false, error: `unknown channel '${channelId}'` };
    const outcome = await channel.queue.sendNow(testNotification(Date.now()));
    const status = outcome.httpStatus === undefined ? {} : { httpStatus: outcome.httpStatus };
    return outcome.status === 'delivered' ? { ok: true, ...status } : { ok: false, error: outcome.error, ...status };
  }

  status(): ChannelStatus[] {
    return [...this.channels.values()].map(({ config, queue }) => ({
      channelId: config.id,
      name: config.name,
      kind: config.kind,
      enabled: config.enabled,
      ...queue.status(),
    }));
  }

  /** Resolves when every queue is empty. */
  async idle(): Promise<void> {
    await Promise.all([...this.channels.values()].map((c) => c.queue.idle()));
  }

  close(): void {
    for (const channel of this.channels.values()) channel.queue.close();
    this.channels.clear();
  }

  private makeQueue(config: AlertChannel): DeliveryQueue {
    return new DeliveryQueue(this.makeTransport(config), {
      ...this.options.queue,
      ratePerMinute: config.ratePerMinute,
      burst: config.burst,
    });
  }

  private makeTransport(config: AlertChannel): ChannelTransport {
    const timeoutMs = this.options.httpTimeoutMs ?? 10_000;
    switch (config.kind) {
      case 'desktop':
        return new DesktopTransport(this.options.desktop);
      case 'discord':
        return new HttpTransport({
          url: config.url, timeoutMs, fetchImpl: this.options.fetchImpl, body: (n) => buildDiscordBody(n),
        });
      case 'webhook':
        return new HttpTransport({
          url: config.url, headers: config.headers, timeoutMs, fetchImpl: this.options.fetchImpl,
          body: (n, queuedAt) => buildWebhookBody(n, queuedAt),
        });
      case 'command':
        return new CommandTransport(config.argv, config.timeoutSec * 1000);
      default:
        return assertNever(config);
    }
  }
}
