import pino from 'pino';
import type { LogLevel } from '../api/types/settings';

export type Logger = pino.Logger;

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** Turns one pino JSON line into `HH:MM:SS.mmm LEVEL [component] message key=value ...`. */
export function formatLogLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '--:--:--.---';
  const level = LEVEL_NAMES[record.level as number] ?? String(record.level);
  const component = typeof record.component === 'string' ? ` [${record.component}]` : '';
  const extras = Object.entries(record)
    .filter(([k]) => !HIDDEN_KEYS.has(k) && k !== 'component' && k !== 'err')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const err = record.err as { stack?: string } | undefined;
  const stack = err?.stack ? `\n${err.stack}` : '';
  return `${time} ${level.padEnd(5)}${component} ${String(record.msg ?? '')}${extras.length ? ` ${extras.join(' ')}` : ''}${stack}\n`;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Defaults to stderr; JSON lines unless it is a terminal. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Force a format instead of guessing from the stream. */
  pretty?: boolean;
}

/** Structured JSON-lines logs (pino); human-readable lines when writing to a terminal. */
export function createLogger(options: LoggerOptions): Logger {
  const stream = options.stream ?? process.stderr;
  const pretty = options.pretty ?? stream.isTTY === true;
  const destination = pretty
    ? { write: (line: string) => stream.write(formatLogLine(line)) }
    : { write: (line: string) => stream.write(line) };
  return pino({ level: options.level, base: { pid: process.pid } }, destination);
}
