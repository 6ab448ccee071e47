import type { AlertSeverity } from '../alerts/alert-rule';
import type { TalkerFlow, TalkerHost } from '../alerts/alert-event';
import { assertNever } from '../assert-never';
import { describeScope, formatBitRate, formatMetricValue } from '../alerts/format';
import type { Notification } from './notification';

/** Embed colours: firing by severity, recovered green, test grey. */
export const DISCORD_COLOURS = {
  critical: 0xe03e2f,
  warning: 0xf0a020,
  info: 0x3b82f6,
  recovered: 0x2ead5b,
  test: 0x808891,
} as const;

export interface DiscordEmbedField {
  name: string;
  value: string;
  inline?: boolean;
}

export interface DiscordWebhookBody {
  username: string;
  /** No @everyone or role pings, whatever a host name learned from the network says. */
  allowed_mentions: { parse: never[] };
  embeds: {
    title: string;
    description: string;
    color: number;
    timestamp: string;
    fields: DiscordEmbedField[];
    footer: { text: string };
  }[];
}

// Discord's documented embed limits.
const TITLE_MAX = 256;
const DESCRIPTION_MAX = 1024;
const FIELD_NAME_MAX = 256;
const FIELD_VALUE_MAX = 1024;
const HOST_FIELDS_MAX = 10;

export function buildDiscordBody(notification: Notification): DiscordWebhookBody {
  const { event } = notification;
  const label = notification.kind === 'test' ? 'TEST' : event.kind === 'firing' ? 'FIRING' : 'RECOVERED';
  const fields: DiscordEmbedField[] = [
    { name: 'Value', value: formatMetricValue(event.metric, event.value), inline: true },
    {
      name: event.kind === 'firing' ? 'Threshold' : 'Recovery threshold',
      value: `${event.comparison} ${formatMetricValue(event.metric, event.kind === 'firing' ? event.threshold : event.recoveryThreshold)}`,
      inline: true,
    },
    { name: 'Scope', value: clip(escapeMarkdown(describeScope(event.scope)), FIELD_VALUE_MAX), inline: true },
  ];
  for (const host of event.topHosts.slice(0, HOST_FIELDS_MAX)) {
    fields.push({ name: clip(escapeMarkdown(hostTitle(host)), FIELD_NAME_MAX), value: hostRates(host), inline: false });
  }
  if (event.topFlows.length > 0) {
    fields.push({ name: 'Top flows', value: clipLines(event.topFlows.map(flowLine), FIELD_VALUE_MAX), inline: false });
  }
  return {
    username: 'Netmon',
    allowed_mentions: { parse: [] },
    embeds: [{
      title: clip(`[${label}] ${escapeMarkdown(event.ruleName)}`, TITLE_MAX),
      description: clip(escapeMarkdown(event.summary), DESCRIPTION_MAX),
      color: colourOf(notification),
      timestamp: new Date(event.ts).toISOString(),
      fields,
      footer: { text: `Netmon · ${event.severity}` },
    }],
  };
}

function colourOf(notification: Notification): number {
  if (notification.kind === 'test') return DISCORD_COLOURS.test;
  if (notification.event.kind === 'recovered') return DISCORD_COLOURS.recovered;
  return severityColour(notification.event.severity);
}

function severityColour(severity: AlertSeverity): number {
  switch (severity) {
    case 'critical': return DISCORD_COLOURS.critical;
    case 'warning': return DISCORD_COLOURS.warning;
    case 'info': return DISCORD_COLOURS.info;
    default: return assertNever(severity);
  }
}

function hostTitle(host: TalkerHost): string {
  return host.name === undefined ? host.address : `${host.name} (${host.address})`;
}

function hostRates(host: TalkerHost): string {
  return `${rates(host)} · ${Math.round(host.pps)} packets/s`;
}

/** `in X · out Y` when the source told direction, else the total. */
function rates(t: TalkerHost | TalkerFlow): string {
  if (t.bpsIn === undefined || t.bpsOut === undefined) return `${formatBitRate(t.bps)} in+out`;
  return `in ${formatBitRate(t.bpsIn)} · out ${formatBitRate(t.bpsOut)}`;
}

function flowLine(flow: TalkerFlow): string {
  const remote = flow.remoteAddress.includes(':') ? `[${flow.remoteAddress}]` : flow.remoteAddress;
  const name = flow.name === undefined ? '' : ` ${flow.name}`;
  return escapeMarkdown(`${flow.protocol.toUpperCase()} ${remote}:${flow.remotePort}${name}`)
    + ` — ${rates(flow)}`;
}

/** Names come off the wire: keep them from turning into links, bold text or code blocks. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_~|>[\]#<]/g, '\\$&');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function clipLines(lines: string[], max: number): string {
  let out = '';
  for (const line of lines) {
    const next = out === '' ? line : `${out}\n${line}`;
    if (next.length > max) break;
    out = next;
  }
  return out === '' ? clip(lines[0] ?? '', max) : out;
}
