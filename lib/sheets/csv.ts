/**
 * CSV tables: one streaming pass to describe the table (encoding detected on the way, all values
 * scanned for types, no row cap) and a second streaming pass to yield rows. Memory stays flat however
 * many rows there are: papaparse parses one decoded chunk at a time and rows are consumed as they come.
 *
 * Both passes run per record over millions of records, so the per-record work avoids allocation:
 * records travel in batches (one per chunk) with their line numbers computed per batch, and field
 * checks use `trimText`, which only calls `trim` when there is something to trim.
 */
import type { ByteSource } from './bytes.ts';
import { csvBatches, isBlank } from './csv-records.ts';
import { bomEncoding, detectEncoding, InvalidUtf8Error, textDecoder, Utf8Decoder, type ChunkDecoder } from './decode.ts';
import { MAX_TABLE_COLUMNS, SheetError, tooWideError, type Cell, type SheetLocation, type TableInfo, type TableRow } from './types.ts';
import { ColumnStats } from './column-stats.ts';
import { cleanHeader, trimText } from './values.ts';
import { uniqueNames } from './names.ts';
import { LevelCounter } from './levels.ts';
import { mayHoldLabel, rowKindOf, TotalsCounter } from './row-kinds.ts';
import { annotateRow } from './annotations.ts';

export { detectEncoding, textDecoder } from './decode.ts';

/**
 * How one data record relates to the table: a row, a blank line, a repeated header, or a ragged line.
 * `header` holds the header's fields trimmed. Loops, not array methods: this runs on every record.
 */
function recordRole(fields: string[], header: string[]): 'row' | 'blank' | 'header' | 'ragged' {
  if (isBlank(fields)) return 'blank';
  const n = header.length;
  if (fields.length < n) return 'ragged';
  for (let i = n; i < fields.length; i++) if (trimText(fields[i]) !== '') return 'ragged';
  for (let i = 0; i < n; i++) if (trimText(fields[i]) !== header[i]) return 'row';
  return 'header';
}

/** At most this many title and metadata lines above a header. */
const MAX_PREAMBLE = 20;

/** A title or `Label:,value` metadata line above the header (one field, or a first field ending in a colon). */
function isPreambleRecord(fields: string[]): boolean {
  const filled = fields.filter((f) => f.trim() !== '');
  return filled.length < 2 || (filled.length <= 3 && /^[^:]{1,60}:$/.test(fields[0].trim()));
}

/** A trailing note line such as "Source: NHS England" (one non-empty field). */
function isNoteRecord(fields: string[]): boolean {
  return fields.filter((f) => f.trim() !== '').length === 1 && fields[0].trim() !== '';
}

/**
 * Describes a CSV as one table; `key`/`member` place it inside a zip when it came from one.
 *
 * Encoding: a BOM names it; otherwise the file is decoded as strict UTF-8 while it is described, and
 * the first invalid byte sequence (NHS CSVs that are not UTF-8 are Windows-1252) restarts the pass
 * with the Windows-1252 decoder. A UTF-8 or ASCII file is thus read once, not validated separately.
 */
export async function describeCsv(source: ByteSource, loc: SheetLocation, key: string, signal?: AbortSignal): Promise<TableInfo> {
  const bom = bomEncoding(await source.head(3));
  if (bom) return describeAs(source, bom, textDecoder(bom), loc, key, signal);
  try {
    return await describeAs(source, 'utf-8', new Utf8Decoder(true), loc, key, signal);
  } catch (err) {
    if (!(err instanceof InvalidUtf8Error)) throw err;
    return describeAs(source, 'windows-1252', textDecoder('windows-1252'), loc, key, signal);
  }
}

async function describeAs(
  source: ByteSource,
  encoding: string,
  decoder: ChunkDecoder,
  loc: SheetLocation,
  key: string,
  signal?: AbortSignal,
): Promise<TableInfo> {
  const preamble: string[][] = [];
  let header: string[] | undefined;
  let trimmedHeader: string[] = [];
  let headerLine = 0;
  let stats: ColumnStats[] = [];
  let firstDataRow = 0;
  let lastDataRow = 0;
  let rowCount = 0;
  const preambleLines: number[] = [];
  const repeatedHeaders: number[] = [];
  let pendingRagged: { line: number; fields: string[] } | undefined;
  let levels: LevelCounter | undefined;
  let totals = new TotalsCounter();
  const trailingNotes: number[] = [];
  const warnings: string[] = [];

  const startTable = (fields: string[], line: number) => {
    header = fields;
    headerLine = line;
    if (header.length > MAX_TABLE_COLUMNS) throw tooWideError(header.length, { ...loc, cell: `${line}:${MAX_TABLE_COLUMNS + 1}` });
    trimmedHeader = header.map((h) => h.trim());
    stats = header.map(() => new ColumnStats());
    levels = new LevelCounter(header.map((h) => cleanHeader(h)));
    if (levels.empty) levels = undefined;
    totals = new TotalsCounter(levels?.columns);
  };
  const take = (fields: string[], line: number, h: string[]) => {
    const role = recordRole(fields, trimmedHeader);
    if (role === 'blank') return;
    if (role === 'ragged') {
      if (isNoteRecord(fields)) {
        trailingNotes.push(line);
        pendingRagged ??= { line, fields };
        return;
      }
      throw raggedError(line, fields, h.length, headerLine, loc);
    }
    if (pendingRagged) throw raggedError(pendingRagged.line, pendingRagged.fields, h.length, headerLine, loc);
    if (role === 'header') {
      repeatedHeaders.push(line);
      return;
    }
    if (!firstDataRow) firstDataRow = line;
    lastDataRow = line;
    rowCount++;
    // One scan of the cells for both the column statistics and the totals counter, which then only
    // looks at rows with a possible total label (fields past the header's width are blank: see recordRole).
    const columns = stats;
    let labelled = fields.length !== columns.length;
    for (let i = 0; i < columns.length; i++) {
      const v = fields[i];
      columns[i].add(v);
      if (!labelled && mayHoldLabel(v)) labelled = true;
    }
    if (labelled) totals.add(fields);
    else totals.addUnlabelled(fields);
    if (levels) levels.add(fields);
  };
  /**
   * A file of single-field lines only (`value\n1\n2\n3`) is a one-column table, not a title above nothing: its
   * first line is the header and the lines taken for titles are its data.
   */
  const oneColumn = () => {
    const [first, ...rest] = preamble;
    const lines = preambleLines.splice(0);
    preamble.length = 0;
    startTable(first!, lines[0]!);
    rest.forEach((f, i) => take(f, lines[i + 1]!, header!));
  };

  // Records arrive in batches, one per decoded chunk.
  for await (const batch of csvBatches(source, decoder, loc, signal)) {
    for (let k = 0; k < batch.fields.length; k++) {
      const fields = batch.fields[k];
      const line = batch.lines ? batch.lines[k] : batch.line0 + k;
      if (!header) {
        if (isBlank(fields)) continue;
        // Title lines above the header have a single field, metadata lines a `Label:` first field
        // (`Period:,January 2024`); the header is the first other line.
        if (isPreambleRecord(fields) && preamble.length < MAX_PREAMBLE) {
          preamble.push(fields);
          preambleLines.push(line);
          continue;
        }
        if (fields.length === 1 && preamble.every((p) => p.length === 1)) {
          oneColumn();
          take(fields, line, header!);
          continue;
        }
        startTable(fields, line);
        continue;
      }
      take(fields, line, header);
    }
  }
  if (!header && preamble.length >= 2 && preamble.every((p) => p.length === 1)) oneColumn();
  if (!header) {
    throw new SheetError('CSV file has no header row (it is empty or holds only blank lines)', loc, 'Check the download: the publisher may have served an empty file.');
  }
  if (rowCount === 0) {
    throw new SheetError(`CSV file has a header row (line ${headerLine}) but no data rows`, loc, 'Check the download; an empty extract usually means the publisher has not filled this file yet.');
  }
  if (repeatedHeaders.length) warnings.push(`${repeatedHeaders.length} repeated header line(s) inside the data were skipped`);
  const omittedRows = [
    { reason: 'title or metadata line above the header', rows: preambleLines },
    { reason: 'repeated header row', rows: repeatedHeaders },
    { reason: 'note line after the data', rows: trailingNotes },
  ].filter((o) => o.rows.length);
  if (trailingNotes.length) warnings.push(`${trailingNotes.length} note line(s) after the data were excluded (from line ${trailingNotes[0]})`);
  const names = uniqueNames(header.map((h, i) => cleanHeader(h) || `Column ${i + 1}`));
  const level = levels?.result();
  if (level) level.column = names[level.index];
  const totalsContext = totals.context();
  const rowKinds = totals.counts(totalsContext, level);
  const metadata: Record<string, string> = {};
  let caption: string | undefined;
  for (const p of preamble) {
    const text = p.filter((f) => f.trim() !== '').map((f) => f.trim()).join(' ');
    const m = /^([^:]{1,40}):\s*(.*)$/.exec(text);
    if (m) metadata[m[1].trim()] = m[2].trim();
    else caption ??= text;
  }
  return {
    key,
    ...(loc.member ? { member: loc.member } : {}),
    ...(caption ? { caption } : {}),
    metadata,
    headerRows: [headerLine],
    firstDataRow,
    lastDataRow,
    rowCount,
    columns: header.map((h, i) => stats[i].toColumn({ index: i, sourceColumn: String(i + 1), rawHeader: h, name: names[i] })),
    totalsRows: rowKinds.total + rowKinds.subtotal,
    rowKinds,
    ...(omittedRows.length ? { omittedRows } : {}),
    ...(Object.keys(totalsContext).length ? { totals: totalsContext } : {}),
    ...(level ? { levels: level } : {}),
    warnings,
    encoding,
  };
}

function raggedError(line: number, fields: string[], want: number, headerLine: number, loc: SheetLocation): SheetError {
  return new SheetError(
    `CSV line ${line} has ${fields.length} fields but the header on line ${headerLine} has ${want}`,
    { ...loc, cell: `${line}:1` },
    'The file is ragged (a stray comma, an unquoted field or a truncated line); fix or re-download the file.',
  );
}


/**
 * Streams the rows of a CSV table described by `describeCsv`, exactly `table.rowCount` of them, in
 * batches (one per decoded chunk): the caller yields them one by one, so each row crosses a single
 * async boundary instead of one per generator layer.
 */
export async function* readCsvBatches(
  source: ByteSource,
  table: TableInfo,
  loc: SheetLocation,
  signal?: AbortSignal,
): AsyncGenerator<TableRow[]> {
  const encoding = table.encoding ?? (await detectEncoding(source, signal));
  const headerLine = table.headerRows[0];
  const cols = table.columns.map((c) => Number(c.sourceColumn) - 1);
  const width = cols.length;
  // Usually every field is a column, in order: each record's own field array then becomes its values.
  const identity = cols.every((c, j) => c === j);
  const annotated = table.columns.filter((c) => c.annotations).map((c) => c.index);
  let header: string[] | undefined;
  let yielded = 0;
  // Records arrive in batches (one per decoded chunk); `rows` ends both loops after the last data row.
  let out: TableRow[] = [];
  rows: for await (const batch of csvBatches(source, textDecoder(encoding), loc, signal)) {
    for (let k = 0; k < batch.fields.length; k++) {
      const fields = batch.fields[k];
      const line = batch.lines ? batch.lines[k] : batch.line0 + k;
      if (line < headerLine) continue;
      if (line === headerLine) {
        header = fields.map((h) => h.trim());
        continue;
      }
      if (!header || line < table.firstDataRow) continue;
      if (line > table.lastDataRow) break rows;
      const role = recordRole(fields, header);
      if (role === 'blank' || role === 'header') continue;
      if (role === 'ragged') throw raggedError(line, fields, header.length, headerLine, loc);
      const values: Cell[] = identity ? fields : new Array(width);
      if (identity && fields.length !== width) values.length = width; // blank fields past the header's width (recordRole allowed them)
      for (let j = 0; j < width; j++) {
        const v = fields[cols[j]];
        if (v === undefined) {
          values[j] = null;
          continue;
        }
        const t = trimText(v);
        values[j] = t === '' ? null : t;
      }
      const kind = rowKindOf(values, table.totals, table.levels);
      yielded++;
      const row: TableRow = { row: line, values, isTotal: kind !== 'detail', kind };
      if (annotated.length) annotateRow(row, table, annotated);
      out.push(row);
    }
    if (out.length) {
      yield out;
      out = [];
    }
  }
  if (out.length) yield out;
  if (yielded !== table.rowCount) {
    throw new SheetError(
      `CSV yielded ${yielded} rows but was described with ${table.rowCount}`,
      loc,
      'The file changed since it was described; describe it again.',
    );
  }
}
