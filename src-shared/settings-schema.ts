/**
 * The settings, as one schema: the `Settings` type is inferred from it, the settings module checks
 * every layer (file, environment, flags, API patches) against its leaves, and
 * `scripts/make-settings-schema.ts` publishes it as `docs/settings.schema.json` for editors.
 * A description that reads "an absolute path, ..." also completes the message of a value that
 * does not match its pattern.
 */
import { oneOf, Type, type Static } from './schema';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const days = (max: number, description: string) => Type.Integer({ minimum: 1, maximum: max, description });
const idleSec = (what: string) => Type.Integer({ minimum: 1, maximum: 86_400, description: `Seconds a ${what} flow may stay silent before it ends.` });
const absolutePathOr = (empty: string) => Type.String({ maxLength: 4096, pattern: '^$|^/', description: `an absolute path, or empty for ${empty}` });

/** Every section; a section's every setting is required in `Settings` (the defaults fill what a layer leaves out). */
export const settingsSections = {
  capture: Type.Object({
    interfaces: Type.Array(Type.String({ pattern: '^[^\\s/]{1,64}$', description: 'interface names without spaces or slashes' }), {
      maxItems: 64,
      description: 'Interfaces netmon serve captures on at start; a capture started from the dashboard is remembered here.',
    }),
    bpf: Type.String({ maxLength: 4096, description: 'A capture filter (BPF, as tcpdump takes it); empty = every packet.' }),
    snaplen: Type.Integer({ minimum: 64, maximum: 262_144, description: 'Bytes kept of each packet.' }),
    promiscuous: Type.Boolean({ description: 'Capture packets addressed to other hosts too.' }),
    bufferMb: Type.Integer({ minimum: 1, maximum: 2048, description: 'Kernel capture buffer, MiB.' }),
    /** The directory API clients may replay capture files from; empty string = none (they upload instead). */
    replayDir: absolutePathOr('none'),
  }, { additionalProperties: false }),
  flows: Type.Object({
    tcpIdleSec: idleSec('TCP'),
    udpIdleSec: idleSec('UDP'),
    icmpIdleSec: idleSec('ICMP'),
    maxFlows: Type.Integer({ minimum: 1000, maximum: 10_000_000, description: 'Flows the flow table holds at most.' }),
  }, { additionalProperties: false }),
  history: Type.Object({
    /** SQLite file; empty string = the default in the user's data directory. */
    dbPath: Type.String({ maxLength: 4096, description: "The history database (SQLite); empty = the default in the user's data directory." }),
    /** Retention of the 1 min rollups, the 1 h rollups and the finished-flow log. */
    minuteDays: days(3650, 'Days the 1-minute rollups are kept.'),
    hourDays: days(36_500, 'Days the 1-hour rollups are kept; at least minuteDays.'),
    flowLogDays: days(36_500, 'Days finished flows are kept.'),
  }, { additionalProperties: false }),
  server: Type.Object({
    bind: Type.String({ maxLength: 300, description: 'Address and port netmon serve listens on (host:port).' }),
    /** Empty string = `netmon serve` makes a random one at each start. */
    token: Type.String({ maxLength: 256, pattern: '^$|^[A-Za-z0-9\\-_.~]{16,256}$', description: '16-256 characters of A-Z a-z 0-9 - _ . ~' }),
    /** Largest capture file the dashboard may upload to `netmon serve`. */
    maxUploadMb: Type.Integer({ minimum: 1, maximum: 65_536, description: 'Largest capture file the dashboard may upload, MiB.' }),
  }, { additionalProperties: false }),
  log: Type.Object({
    level: oneOf(LOG_LEVELS, { description: 'Least severe log level written.' }),
  }, { additionalProperties: false }),
  geo: Type.Object({
    /** Country MMDB file; empty string = the database shipped with Netmon. */
    countryDb: absolutePathOr('the shipped database'),
    /** AS database: an ASN MMDB or ranges as CSV (first,last,asn,name); empty string = the shipped one. */
    asnDb: absolutePathOr('the shipped database'),
  }, { additionalProperties: false }),
};

export const settingsSchema = Type.Object(settingsSections, { additionalProperties: false });
export type Settings = Static<typeof settingsSchema>;
export type SettingsSection = keyof Settings;
