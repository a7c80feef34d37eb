export type Align = 'left' | 'right';

/** Lays out rows under headers with columns padded to their widest cell. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[]): string[] {
  const widths = headers.map((header, col) => Math.max(header.length, ...rows.map((row) => (row[col] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, col) => (align[col] === 'right' ? cell.padStart(widths[col] ?? 0) : cell.padEnd(widths[col] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
}
