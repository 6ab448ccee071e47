/** Human units: bit rates in SI (kbit/s = 1000 bit/s, as links are sold), byte sizes in IEC (KiB = 1024 B, as disks
 *  and memory are counted). One place so every view says the same thing about the same number. */

const BIT_UNITS = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'] as const;
const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** Three significant digits, no trailing noise: 1.23, 12.3, 123. */
function significant(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function scaled(value: number, base: number, units: readonly string[]): string {
  if (!Number.isFinite(value)) return '–';
  const sign = value < 0 ? '-' : '';
  let v = Math.abs(value);
  let i = 0;
  while (v >= base && i < units.length - 1) {
    v /= base;
    i++;
  }
  // Rounding 999.6 kbit/s to "1000 kbit/s" reads badly: move to the next unit instead.
  if (i > 0 && v.toFixed(0) === String(base) && i < units.length - 1) {
    v /= base;
    i++;
  }
  return `${sign}${i === 0 ? Math.round(v).toString() : significant(v)} ${units[i]}`;
}

/** Bits per second: `950 bit/s`, `1.25 kbit/s`, `12.5 Mbit/s`, `1.00 Gbit/s`. */
export function formatBitRate(bitsPerSecond: number): string {
  return scaled(bitsPerSecond, 1000, BIT_UNITS);
}

/** Bytes per second shown as a bit rate, the unit network people read. */
export function formatByteRateAsBits(bytesPerSecond: number): string {
  return formatBitRate(bytesPerSecond * 8);
}

/** Byte sizes: `512 B`, `1.50 KiB`, `12.0 MiB`. */
export function formatBytes(bytes: number): string {
  return scaled(bytes, 1024, BYTE_UNITS);
}

/** Packet rates: `12 pkt/s`, `1.20 kpkt/s`, `3.40 Mpkt/s`. */
export function formatPacketRate(packetsPerSecond: number): string {
  return scaled(packetsPerSecond, 1000, ['pkt/s', 'kpkt/s', 'Mpkt/s', 'Gpkt/s']);
}

/** Integer counts with the user's digit grouping: `1,234,567`. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString() : '–';
}

/** Compact axis labels for bit rates: `0`, `500k`, `1.2M`, `3G`. */
export function formatBitRateAxis(bitsPerSecond: number): string {
  const v = Math.abs(bitsPerSecond);
  if (v >= 1e9) return `${trimZeros(bitsPerSecond / 1e9)}G`;
  if (v >= 1e6) return `${trimZeros(bitsPerSecond / 1e6)}M`;
  if (v >= 1e3) return `${trimZeros(bitsPerSecond / 1e3)}k`;
  return trimZeros(bitsPerSecond);
}

function trimZeros(v: number): string {
  return String(Number(v.toFixed(1)));
}
