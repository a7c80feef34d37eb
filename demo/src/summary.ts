import type { Checklist } from './checklist.js';
import type { FinalRow } from './stage.js';
import { renderTable } from './table.js';

function total(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/** Drops by reason, leaving out the ones every client makes when it closes. */
function dropsText(drops: Readonly<Record<string, number>>): string {
  const shown = Object.entries(drops).filter(([reason, n]) => n > 0 && reason !== 'client closed');
  return shown.length === 0 ? '-' : shown.map(([reason, n]) => `${reason} ${n}`).join(', ');
}

/** The summary table: every client's final stats. */
export function summaryTable(rows: readonly FinalRow[]): string[] {
  return renderTable(
    ['peer', 'process', 'transport', 'listener?', 'sent', 'read', 'connects', 'reuses', 'drops'],
    rows.map(({ id, where, transport, listen, stats }) => [
      id,
      where,
      transport,
      listen ? 'yes' : 'no',
      String(total(stats.sent)),
      String(total(stats.read)),
      String(stats.connects),
      String(stats.reuses),
      dropsText(stats.drops),
    ]),
    ['left', 'left', 'left', 'left', 'right', 'right', 'right', 'right', 'left'],
  );
}

/**
 * Every message any client counted as sent to another was counted as read
 * by that one: for each ordered pair, `a.sent[b] === b.read[a]`.
 */
export function checkNothingLost(rows: readonly FinalRow[], checks: Checklist): void {
  let messages = 0;
  let pairs = 0;
  const mismatches: string[] = [];
  for (const a of rows) {
    for (const b of rows) {
      const sent = a.stats.sent[b.id] ?? 0;
      const read = b.stats.read[a.id] ?? 0;
      if (sent === 0 && read === 0) continue;
      pairs++;
      messages += sent;
      if (sent !== read) mismatches.push(`${a.id} sent ${b.id} ${sent}, ${b.id} read ${read}`);
    }
  }
  checks.check(
    'no message lost: what each client sent, the other read',
    mismatches.length === 0 && messages > 0,
    mismatches.length === 0 ? `${messages} messages over ${pairs} sender→receiver pairs` : mismatches.join('; '),
  );
}
