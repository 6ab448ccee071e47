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
