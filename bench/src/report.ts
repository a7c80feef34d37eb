/** Operations per second, with a unit: `12.3M`, `845k`, `950`. */
export function formatOps(opsPerSec: number): string {
  if (!Number.isFinite(opsPerSec)) return String(opsPerSec);
  if (opsPerSec >= 1e6) return `${(opsPerSec / 1e6).toFixed(opsPerSec >= 1e8 ? 0 : 2)}M`;
  if (opsPerSec >= 1e3) return `${(opsPerSec / 1e3).toFixed(opsPerSec >= 1e5 ? 0 : 1)}k`;
  return opsPerSec.toFixed(0);
}

/** A ratio with three significant digits. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return String(ratio);
  if (ratio >= 100) return ratio.toFixed(0);
  return ratio.toPrecision(3);
}

export function verdict(ok: boolean): string {
  return ok ? 'OK' : 'MISSED';
}

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A size in binary units: `64 B`, `16 KiB`, `48 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/** A data rate in decimal megabytes per second: `812 MB/s`, `12.5 MB/s`. */
export function formatRate(bytesPerSec: number): string {
  const mb = bytesPerSec / 1e6;
  if (!Number.isFinite(mb)) return String(mb);
  return `${mb >= 100 ? mb.toFixed(0) : mb.toFixed(1)} MB/s`;
}
