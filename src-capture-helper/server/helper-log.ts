import type { EventMap, LogLevel } from '../protocol/messages';

export type LogRecord = EventMap['log'];
export type LogFields = Record<string, string | number | boolean>;

/**
 * The helper's logger. Records go to main over the socket as `log` events;
 * while no client is connected they wait in a bounded ring (the oldest are
 * dropped and counted) and are delivered to the next client.
 */
export class HelperLog {
  private readonly backlog: LogRecord[] = [];
  private deliver: ((record: LogRecord) => void) | null = null;
  private droppedCount = 0;

  constructor(private readonly maxBacklog = 1000, private readonly mirror?: (record: LogRecord) => void) {}

  get dropped(): number {
    return this.droppedCount;
  }

  /** Sets where records go from now on (null: keep them in the backlog); flushes the backlog there. */
  attach(deliver: ((record: LogRecord) => void) | null): void {
    this.deliver = deliver;
    if (deliver) for (const record of this.backlog.splice(0)) deliver(record);
  }

  log(level: LogLevel, msg: string, fields?: LogFields): void {
    const record: LogRecord = { level, time: Date.now() / 1000, msg: msg.slice(0, 8192) };
    if (fields) {
      record.fields = {};
      for (const [k, v] of Object.entries(fields).slice(0, 32)) record.fields[k] = String(v).slice(0, 1024);
    }
    this.mirror?.(record);
    if (this.deliver) return this.deliver(record);
    if (this.backlog.length >= this.maxBacklog) {
      this.backlog.shift();
      this.droppedCount++;
    }
    this.backlog.push(record);
  }

  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }
}
