/** Timestamps are milliseconds since the epoch everywhere in the renderer and shown in the user's local time. */

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `14:03:27` in local time. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `2026-11-25 14:03:27.123` in local time, for first/last seen columns and details. */
export function formatLocalDateTime(ms: number, withMillis = false): string {
  const d = new Date(ms);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${formatClock(ms)}${withMillis ? `.${pad(d.getMilliseconds(), 3)}` : ''}`;
}

/** Same day as `nowMs`: just the clock; otherwise the date too. Keeps dense tables readable. */
export function formatSeen(ms: number, nowMs: number): string {
  const a = new Date(ms);
  const b = new Date(nowMs);
  const sameDay = a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  return sameDay ? formatClock(ms) : formatLocalDateTime(ms);
}

/** Durations: `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const totalS = Math.floor(s);
  const m = Math.floor(totalS / 60);
  if (m < 60) return `${m} min ${pad(totalS % 60)} s`;
  return `${Math.floor(m / 60)} h ${pad(m % 60)} min`;
}

/**
 * A local date and time typed the way the app shows them: `2025-01-31 14:03:27`, also with `T`, milliseconds
 * (`.250`), without seconds (`14:03`) or as a date alone (midnight). Milliseconds since the epoch, or why not.
 */
export function parseLocalDateTime(text: string): number | { error: string } {
  const t = text.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/.exec(t);
  if (!m) return { error: `"${t}" is not a date and time like 2025-01-31 14:03:27` };
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => (v === undefined ? 0 : Number(v)));
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  if (month < 1 || month > 12) return { error: `month ${m[2]} must be 01 to 12` };
  const daysInMonth = new Date(year, month, 0).getDate();
  if (day < 1 || day > daysInMonth) return { error: `day ${m[3]} must be 01 to ${daysInMonth} in ${m[1]}-${m[2]}` };
  if (hour > 23 || minute > 59 || second > 59) return { error: `time ${t.slice(11)} must be 00:00:00 to 23:59:59` };
  return new Date(year, month - 1, day, hour, minute, second, ms).getTime();
}
