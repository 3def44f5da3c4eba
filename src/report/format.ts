/** Numbers for people: counts with thousands separators, byte sizes in decimal units. */

/** 1234567 -> "1,234,567". By hand: the first toLocaleString call loads ICU data (~30 ms). */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const digits = String(Math.abs(Math.round(n)));
  const grouped = digits.replace(/\B(?=(\d{3})+$)/g, ',');
  return Math.round(n) < 0 ? `-${grouped}` : grouped;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A size limit in binary units, as limits are set: `1 MiB`, `512 MiB`, `32 KiB`. */
export function formatLimit(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && value % 1024 === 0 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${formatCount(value)} ${units[unit]}`;
}

/** `match` for 1, `matches` otherwise: a noun that agrees with a count said elsewhere. */
export function noun(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

/** `1 match`, `2 matches`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function formatUsd(usd: number): string {
  return `$${usd < 0.01 ? usd.toFixed(4) : usd.toFixed(2)}`;
}
