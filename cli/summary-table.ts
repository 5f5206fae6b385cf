/**
 * The table that closes a build that did something: per group, what ran, what was already up to date, what
 * failed, was skipped or cancelled, and the time its targets took; then the failed targets by name.
 */
import type { Progress } from './progress.ts';

export function summaryTable(progress: Progress, label: (key: string) => string): string {
  const rows = [...progress.groups].filter(([, g]) => g.done > 0);
  const worked = rows.some(([, g]) => g.counts.ran || g.counts.failed || g.counts.skipped || g.counts.cancelled);
  if (!worked) return '';
  const head = ['', 'built', 'up to date', 'failed', 'skipped', 'cancelled', 'busy'];
  const body = rows.map(([name, g]) => [
    name,
    String(g.counts.ran ?? 0),
    String(g.counts['up-to-date'] ?? 0),
    String(g.counts.failed ?? 0),
    String(g.counts.skipped ?? 0),
    String(g.counts.cancelled ?? 0),
    `${(g.ms / 1000).toFixed(1)}s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ').trimEnd();
  const lines = [fmt(head), ...body.map(fmt)];
  const failed = rows.flatMap(([, g]) => g.failed);
  if (failed.length) lines.push(`failed: ${failed.map(label).join(', ')}`);
  return lines.join('\n') + '\n';
}
