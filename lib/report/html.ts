/**
 * The status page: one self-contained HTML document (inline CSS, script and SVG; nothing fetched) made from
 * `status`'s numbers. Pure: input in, text out. Every string from the config or the data goes through
 * {@link html}, so it renders as text.
 */
import { html, raw, type Html } from './escape.ts';
import { countStates, STATES, type ReportInput, type ReportPeriod, type ReportPublication, type TableDrift } from './model.ts';
import { CSP, CSS, SCRIPT } from './style.ts';
import { dagSvg, fmt, rowsChart } from './svg.ts';

const COLOURS: Record<string, string> = { built: '#2e7d32', stale: '#f9a825', pending: '#9e9e9e', failed: '#c62828', archived: '#5c6bc0' };

export function renderReport(input: ReportInput): string {
  const pubs = input.status.publications;
  const counts = countStates(pubs);
  const failures = pubs.flatMap((p) => p.periods.filter((x) => x.failure).map((x) => ({ pub: p, period: x })));
  const failId = new Map(failures.map((f, i) => [`${f.pub.publication}/${f.period.period}`, `fail-${i + 1}`]));
  const total = pubs.reduce((n, p) => n + p.periods.length, 0);
  const page = html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nhs-pipeline status</title>
<style>${raw(CSS)}</style></head>
<body>
<h1>nhs-pipeline status</h1>
<p class="meta">Workspace <code>${input.workspace}</code> · made ${input.generatedAt} · ${total} period${total === 1 ? '' : 's'} of ${pubs.length} publication${pubs.length === 1 ? '' : 's'}:
<span id="counts">${STATES.filter((s) => counts[s]).map((s, i) => html`${i ? ', ' : ''}<span data-count="${s}">${counts[s]} ${s}</span>`)}</span></p>
${input.status.databaseAsOfLastBuild ? html`<p class="note">A build holds the database: rows are shown as of the last completed build.</p>` : ''}
<h2>Publications × periods</h2>
${legend()}
${matrix(pubs, failId)}
<h2 id="failures">Failures</h2>
${failures.length ? failures.map((f) => failure(f.pub, f.period, failId.get(`${f.pub.publication}/${f.period.period}`)!)) : html`<p>None.</p>`}
${waiting(pubs)}
<h2 id="rows">Rows per table and period</h2>
${rows(pubs)}
<h2 id="drift">Drift between periods</h2>
${drift(input.drift)}
<h2 id="dag">Stages of one period</h2>
${dag(input)}
<script>${raw(SCRIPT)}</script>
</body></html>
`;
  return page.text;
}

function legend(): Html {
  return html`<ul class="legend">${STATES.map((s) => html`<li><label><input type="checkbox" value="${s}" checked><span class="swatch" style="background:${COLOURS[s]}"></span>${s}</label></li>`)}</ul>`;
}

function matrix(pubs: readonly ReportPublication[], failId: Map<string, string>): Html {
  const periods = [...new Set(pubs.flatMap((p) => p.periods.map((x) => x.period)))].sort();
  return html`<div class="scroll"><table id="matrix"><thead><tr><th>Publication</th>${periods.map((p) => html`<th scope="col">${p}</th>`)}</tr></thead><tbody>${pubs.map((pub) => {
    const byPeriod = new Map(pub.periods.map((x) => [x.period, x]));
    return html`<tr data-publication="${pub.publication}"><th scope="row"><div class="code">${pub.publication}</div><div class="small name">${pub.name}</div></th>${periods.map((label) => {
      const x = byPeriod.get(label);
      if (!x) return html`<td class="empty" title="not configured"></td>`;
      const id = failId.get(`${pub.publication}/${label}`);
      return html`<td class="cell state-${x.state}" data-publication="${pub.publication}" data-period="${label}" data-state="${x.state}" title="${cellTitle(pub, x)}">${id ? html`<a href="#${id}">${x.state}</a>` : x.state}</td>`;
    })}</tr>`;
  })}</tbody></table></div>`;
}

function cellTitle(pub: ReportPublication, x: ReportPeriod): string {
  const id = `${pub.publication}/${x.period}`;
  if (x.failure) return `${id}: ${x.failure.target} failed: ${x.failure.error}`;
  if (x.stale) return `${id}: ${x.stale.target} — ${x.stale.reason}`;
  if (x.archive?.removedAt) return `${id}: rows in ${x.archive.remote} only, since ${x.archive.removedAt}`;
  return `${id}: ${x.state}${x.builtThrough ? ` through ${x.builtThrough}` : ''}`;
}

function failure(pub: ReportPublication, x: ReportPeriod, id: string): Html {
  const f = x.failure!;
  return html`<article class="failure" id="${id}" data-publication="${pub.publication}" data-period="${x.period}"><h3>${pub.publication}/${x.period} <span class="small">${f.target}</span></h3><p class="error">${f.error}</p>${f.hint ? html`<p class="hint"><strong>Hint:</strong> ${f.hint}</p>` : ''}<p class="small">at ${f.at} · attempt ${f.attempts}</p></article>`;
}

function waiting(pubs: readonly ReportPublication[]): Html {
  const list = pubs.flatMap((p) => p.periods.filter((x) => x.stale && x.state !== 'failed').map((x) => ({ p, x })));
  if (!list.length) return html``;
  return html`<h2 id="stale">Stale and pending</h2><table><thead><tr><th>Period</th><th>State</th><th>Next step</th><th>Why</th></tr></thead><tbody>${list.map(({ p, x }) => html`<tr><td>${p.publication}/${x.period}</td><td>${x.state}</td><td>${x.stale!.target}</td><td>${x.stale!.reason}</td></tr>`)}</tbody></table>`;
}

function rows(pubs: readonly ReportPublication[]): Html {
  const withTables = pubs.filter((p) => p.tables.length);
  if (!withTables.length) return html`<p>No rows loaded yet.</p>`;
  return html`${withTables.map((pub) => {
    const byTable = new Map<string, { period: string; rows: number }[]>();
    for (const t of pub.tables) byTable.set(t.table, [...(byTable.get(t.table) ?? []), { period: t.period, rows: t.rows }]);
    return html`<h3>${pub.publication} <span class="small">${pub.name}</span></h3><div class="tables">${[...byTable].map(([table, bars]) => html`<section class="tablecard" data-publication="${pub.publication}" data-table="${table}"><h4>${table}</h4><div class="small">${fmt(bars.reduce((n, b) => n + b.rows, 0))} rows in ${bars.length} period${bars.length === 1 ? '' : 's'}</div>${rowsChart(table, bars)}</section>`)}</div>`;
  })}`;
}

function change(d: TableDrift): string {
  if (d.rowsFrom === undefined || d.rowsTo === undefined) return 'not loaded';
  const delta = d.rowsTo - d.rowsFrom;
  const pct = d.rowsFrom ? ` (${delta >= 0 ? '+' : ''}${((delta / d.rowsFrom) * 100).toFixed(1)}%)` : '';
  return `${fmt(d.rowsFrom)} → ${fmt(d.rowsTo)}: ${delta >= 0 ? '+' : ''}${fmt(delta)}${pct}`;
}

function drift(list: readonly TableDrift[]): Html {
  if (!list.length) return html`<p>No table has two periods to compare yet.</p>`;
  const names = (xs: string[], cls: string, sign: string) => (xs.length ? html`<span class="${cls}">${xs.map((c, i) => html`${i ? ', ' : ''}${sign}${c}`)}</span>` : html`<span class="same">none</span>`);
  return html`<div class="scroll"><table id="drift-table"><thead><tr><th>Table</th><th>From → to</th><th>Columns added</th><th>Columns removed</th><th>Rows</th></tr></thead><tbody>${list.map((d) => html`<tr data-publication="${d.publication}" data-table="${d.table}"><td>${d.publication}: ${d.table}</td><td>${d.from} → ${d.to}</td><td>${names(d.added, 'added', '+')}</td><td>${names(d.removed, 'removed', '−')}</td><td>${change(d)}</td></tr>`)}</tbody></table></div>`;
}

/** The period drawn: the first that failed, else the first stale or pending, else the newest of the first publication. */
function dag(input: ReportInput): Html {
  const pubs = input.status.publications;
  const all = pubs.flatMap((p) => p.periods.map((x) => ({ p, x })));
  const pick = all.find((a) => a.x.state === 'failed') ?? all.find((a) => a.x.state === 'stale' || a.x.state === 'pending') ?? (pubs[0]?.periods.length ? { p: pubs[0], x: pubs[0].periods[pubs[0].periods.length - 1] } : undefined);
  if (!pick) return html`<p>No period is configured.</p>`;
  const id = `${pick.p.publication}/${pick.x.period}`;
  const tables = pick.p.tables.filter((t) => t.period === pick.x.period).map((t) => t.table);
  return html`<p>${id} (${pick.x.state}). Filled: up to date; dashed: waits for an earlier stage; grey: per table or for the whole workspace.</p><div class="scroll">${dagSvg(id, pick.x, input.stages, tables)}</div>`;
}
