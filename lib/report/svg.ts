/** The page's pictures, as inline SVG: rows per period of a table, and the stage chain of one period. */
import { html, type Html } from './escape.ts';
import type { ReportPeriod, ReportStage } from './model.ts';

export const fmt = (n: number): string => n.toLocaleString('en-GB');

/** A small bar chart: one bar per period, its row count written above it and the period below. */
export function rowsChart(table: string, bars: readonly { period: string; rows: number }[]): Html {
  const slot = 72;
  const top = 16;
  const tall = 56;
  const width = Math.max(slot * bars.length, slot);
  const most = Math.max(1, ...bars.map((b) => b.rows));
  return html`<svg class="chart" role="img" width="${width}" height="${top + tall + 18}" viewBox="0 0 ${width} ${top + tall + 18}" aria-label="${`rows per period of ${table}`}">${bars.map((b, i) => {
    const h = Math.max(1, Math.round((b.rows / most) * tall));
    const x = i * slot + 12;
    return html`<g class="bar" data-table="${table}" data-period="${b.period}"><title>${`${table} ${b.period}: ${fmt(b.rows)} rows`}</title><rect x="${x}" y="${top + tall - h}" width="${slot - 24}" height="${h}"></rect><text class="rows" x="${x + (slot - 24) / 2}" y="${top + tall - h - 4}" text-anchor="middle">${fmt(b.rows)}</text><text class="period" x="${x + (slot - 24) / 2}" y="${top + tall + 13}" text-anchor="middle">${b.period}</text></g>`;
  })}</svg>`;
}

type NodeState = 'built' | 'stale' | 'pending' | 'failed' | 'archived' | 'waiting' | 'later';

/** Each period stage's state for one period, from its status: up to date through `builtThrough`, then the stage that would run or failed. */
export function chainStates(p: ReportPeriod, chain: readonly string[]): NodeState[] {
  if (p.state === 'archived') return chain.map(() => 'archived');
  const through = p.builtThrough === null ? -1 : chain.indexOf(p.builtThrough);
  const next = p.failure?.target ?? p.stale?.target ?? '';
  const at = chain.findIndex((s) => next.startsWith(`${s}:`));
  return chain.map((_, i) => {
    if (i <= through) return 'built';
    if (i === at) return p.state === 'failed' ? 'failed' : p.state === 'pending' ? 'pending' : 'stale';
    return 'waiting';
  });
}

/**
 * The stage chain of one period: its period stages in order, then one node per table it loads for each table
 * stage, then the workspace stages. Table and workspace stages are drawn without a state (status reports
 * periods, not tables).
 */
export function dagSvg(id: string, p: ReportPeriod, stages: readonly ReportStage[], tables: readonly string[]): Html {
  const w = 112;
  const h = 30;
  const gap = 36;
  const rowGap = 10;
  const chain = stages.filter((s) => s.grain === 'period').map((s) => s.name);
  const states = chainStates(p, chain);
  const shown = tables.length > 6 ? [...tables.slice(0, 5), `… ${tables.length - 5} more`] : tables.length ? tables : ['(no table yet)'];
  const columns: { label: string; sub: string; state: NodeState }[][] = chain.map((s, i) => [{ label: s, sub: id, state: states[i] }]);
  for (const s of stages.filter((x) => x.grain === 'table')) columns.push(shown.map((t) => ({ label: s.name, sub: t, state: 'later' })));
  for (const s of stages.filter((x) => x.grain === 'workspace')) columns.push([{ label: s.name, sub: 'all', state: 'later' }]);
  const tallest = Math.max(...columns.map((c) => c.length));
  const height = tallest * (h + rowGap) + rowGap;
  const width = columns.length * (w + gap);
  const yOf = (col: number, row: number) => (height - columns[col].length * (h + rowGap) + rowGap) / 2 + row * (h + rowGap);
  const edges: Html[] = [];
  for (let c = 1; c < columns.length; c++) {
    for (const [i] of columns[c - 1].entries()) {
      for (const [j] of columns[c].entries()) {
        edges.push(html`<line x1="${(c - 1) * (w + gap) + w}" y1="${yOf(c - 1, i) + h / 2}" x2="${c * (w + gap) - 2}" y2="${yOf(c, j) + h / 2}" marker-end="url(#arrow)"></line>`);
      }
    }
  }
  const nodes = columns.flatMap((col, c) =>
    col.map((n, r) => html`<g class="node node-${n.state}" data-stage="${n.label}" data-state="${n.state}"><title>${`${n.label}:${n.sub} — ${n.state}`}</title><rect x="${c * (w + gap)}" y="${yOf(c, r)}" width="${w}" height="${h}" rx="6"></rect><text x="${c * (w + gap) + w / 2}" y="${yOf(c, r) + 13}" text-anchor="middle">${n.label}</text><text class="sub" x="${c * (w + gap) + w / 2}" y="${yOf(c, r) + 25}" text-anchor="middle">${n.sub.length > 18 ? `${n.sub.slice(0, 17)}…` : n.sub}</text></g>`),
  );
  return html`<svg class="dag" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" aria-label="${`stages of ${id}`}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z"></path></marker></defs><g class="edges">${edges}</g>${nodes}</svg>`;
}
