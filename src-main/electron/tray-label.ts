/** Compact rate for the tray tooltip, e.g. "↓ 12.4 Mbit/s ↑ 830 kbit/s". */
export function trayRateLabel(inBps: number, outBps: number): string {
  return `↓ ${formatBits(inBps)} ↑ ${formatBits(outBps)}`;
}

function formatBits(bytesPerSecond: number): string {
  const bits = bytesPerSecond * 8;
  const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s'];
  let value = bits;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}
