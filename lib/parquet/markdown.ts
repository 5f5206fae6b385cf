/**
 * The `output/metadata/<table>.md` sidecar: what a table is, its columns, periods and sources, as GitHub-flavoured
 * Markdown. The old system's sidecar mixed prose and per-column headings and a program could not parse it
 * (docs/datawarp.md §6, failure 16); here everything a program needs is in pipe tables under fixed headings, one table
 * row per column/period/source, and nothing varies between runs (no timestamps, fixed ordering).
 */

/** Everything the sidecar says about one output table. */
export interface TableDoc {
  /** Table name, e.g. `rtt_incomplete_pathways`. */
  table: string;
  /** Publication id from config, e.g. `rtt-waiting-times`. */
  publication: string;
  /** Publication title as NHS England names it. */
  publicationName: string;
  /** What the table holds, in a sentence or a paragraph. */
  description: string;
  /**
   * Data columns in table order, with their type, description, the source headers they were read from (each with
   * the periods that published it), the special values loaded as NULL over all periods, and the first and last
   * period that has the column.
   */
  columns: {
    name: string;
    type: string;
    description: string;
    sourceHeaders: (string | { header: string; periods: string[] })[];
    markers?: Record<string, number>;
    firstPeriod?: string;
    lastPeriod?: string;
  }[];
  /** Periods loaded, each with its row count and the source files it came from. */
  periods: {
    period: string;
    rows: number;
    sources: { file: string; url: string; sheet: string | null; sha256: string; rows: number }[];
  }[];
  /** Columns the pipeline adds to every row (period, source file, …), with what they mean. */
  provenanceColumns: { name: string; description: string }[];
  /** How numbers are stored, in a sentence (`numeric` columns as DOUBLE, and why); omitted when absent. */
  numbers?: string;
  /** Which editions' rows the Parquet file keeps, in a sentence (`history:` in config); omitted: all of them. */
  history?: string;
}

/** `"*" ×23867, "c" ×12`: markers and their counts, most frequent first (then by marker). */
function markerList(markers: Record<string, number> | undefined): string {
  return Object.entries(markers ?? {})
    .sort(([a, x], [b, y]) => y - x || compare(a, b))
    .map(([m, n]) => `${code(m)} ×${n}`)
    .join(', ');
}

/** A source header with the periods it was published under: `` `Header` `` or `` `Header` (2016-10 to 2017-02, 3 periods) ``. */
function headerText(h: string | { header: string; periods: string[] }): string {
  if (typeof h === 'string') return code(h);
  const ps = [...h.periods].sort(compare);
  if (!ps.length) return code(h.header);
  const span = ps.length === 1 ? ps[0] : `${ps[0]} to ${ps[ps.length - 1]}, ${ps.length} periods`;
  return `${code(h.header)} (${span})`;
}

/**
 * One table cell: line breaks become spaces (a cell cannot span lines) and `|` is escaped (it would end the cell,
 * even inside a code span, per GFM).
 */
function cell(text: string): string {
  return text.replace(/\r\n|\r|\n/g, ' ').trim().replaceAll('|', '\\|');
}

/** Inline code for a name: a name containing backticks is fenced with two, so it still shows exactly. */
function code(text: string): string {
  const t = text.replace(/\r\n|\r|\n/g, ' ');
  if (t === '') return '';
  return t.includes('`') ? `\`\` ${t} \`\`` : `\`${t}\``;
}

/** A pipe table: header row, delimiter row, one line per row. */
function table(headers: string[], rows: string[][]): string[] {
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `|${r.map((c) => (c === '' ? ' ' : ` ${c} `)).join('|')}|`), // an empty cell is `| |`
  ];
}

/** Plain code-unit comparison: the same on every machine and locale (localeCompare is not). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Renders the Markdown sidecar of a table. Deterministic: the same doc always gives the same text, and periods and
 * sources are sorted (by period; by file, sheet, URL), so the caller's ordering does not change the bytes. Columns
 * keep the table's order. Sections, always present and in this order: title, description, summary list,
 * `## Columns`, `## Provenance columns`, `## Periods`, `## Sources`. Numbers are plain digits (no separators).
 */
export function renderTableMarkdown(doc: TableDoc): string {
  const periods = [...doc.periods].sort((a, b) => compare(a.period, b.period));
  const totalRows = periods.reduce((sum, p) => sum + p.rows, 0);
  const lines: string[] = [`# ${doc.table.replace(/\r\n|\r|\n/g, ' ')}`, ''];

  const description = doc.description.replace(/\r\n|\r/g, '\n').trim();
  if (description !== '') lines.push(description, '');

  const first = periods[0]?.period;
  const last = periods[periods.length - 1]?.period;
  lines.push(
    `- Table: ${code(doc.table)}`,
    `- Publication: ${doc.publicationName.replace(/\r\n|\r|\n/g, ' ').trim()} (${code(doc.publication)})`,
    `- Rows: ${totalRows}`,
    `- Periods: ${periods.length}${first === undefined ? '' : first === last ? ` (${first})` : ` (${first} to ${last})`}`,
    `- Columns: ${doc.columns.length} data + ${doc.provenanceColumns.length} provenance`,
    ...(doc.numbers ? [`- Numbers: ${doc.numbers.replace(/\r\n|\r|\n/g, ' ').trim()}`] : []),
    ...(doc.history ? [`- History: ${doc.history.replace(/\r\n|\r|\n/g, ' ').trim()}`] : []),
    '',
  );

  lines.push('## Columns', '');
  lines.push(
    ...table(
      ['Column', 'Type', 'Description', 'Markers (NULL)', 'Periods', 'Source headers'],
      doc.columns.map((c) => [
        cell(code(c.name)),
        cell(c.type),
        cell(c.description),
        cell(markerList(c.markers)),
        cell(c.firstPeriod === undefined ? '' : c.firstPeriod === c.lastPeriod ? c.firstPeriod : `${c.firstPeriod} to ${c.lastPeriod}`),
        cell(c.sourceHeaders.map(headerText).join(', ')),
      ]),
    ),
    '',
  );

  lines.push('## Provenance columns', '');
  lines.push(
    ...table(
      ['Column', 'Description'],
      doc.provenanceColumns.map((c) => [cell(code(c.name)), cell(c.description)]),
    ),
    '',
  );

  lines.push('## Periods', '');
  lines.push(
    ...table(
      ['Period', 'Rows', 'Sources'],
      periods.map((p) => [cell(p.period), String(p.rows), String(p.sources.length)]),
    ),
    '',
  );

  lines.push('## Sources', '');
  const sourceRows: string[][] = [];
  for (const p of periods) {
    const sources = [...p.sources].sort(
      (a, b) => compare(a.file, b.file) || compare(a.sheet ?? '', b.sheet ?? '') || compare(a.url, b.url),
    );
    for (const s of sources) {
      sourceRows.push([cell(p.period), cell(code(s.file)), cell(s.sheet === null ? '' : code(s.sheet)), String(s.rows), cell(code(s.sha256)), cell(s.url)]);
    }
  }
  lines.push(...table(['Period', 'File', 'Sheet', 'Rows', 'SHA-256', 'URL'], sourceRows));

  return `${lines.join('\n')}\n`;
}
