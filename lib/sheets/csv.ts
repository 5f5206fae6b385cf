/**
 * CSV tables: encoding detection, one streaming pass to describe the table (all values scanned for
 * types, no row cap) and a second streaming pass to yield rows. Memory stays flat however many rows
 * there are: papaparse parses one decoded chunk at a time and rows are consumed as they come.
 */
import Papa from 'papaparse';
import { throwIfAborted, type ByteSource } from './bytes.ts';
import { MAX_TABLE_COLUMNS, SheetError, tooWideError, type Cell, type SheetLocation, type TableInfo } from './types.ts';
import { ColumnStats, cleanHeader, isTotalLabel } from './values.ts';
import { uniqueNames } from './names.ts';
import { isAggregateLevel, LevelCounter } from './levels.ts';

/** Detects the text encoding: BOMs first, then strict UTF-8 validation over the whole stream, else Windows-1252. */
export async function detectEncoding(source: ByteSource, signal?: AbortSignal): Promise<string> {
  const head = await source.head(3);
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  const strict = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of source.stream(signal)) strict.decode(chunk, { stream: true });
    strict.decode();
    return 'utf-8';
  } catch (err) {
    if (err instanceof TypeError) return 'windows-1252'; // invalid UTF-8: NHS CSVs that are not UTF-8 are cp1252
    throw err;
  }
}

/**
 * Windows-1252's printable characters in 0x80–0x9F (en dash 0x96, euro 0x80, curly quotes...). Node 20's
 * `TextDecoder('windows-1252')` treats the label as Latin-1 and yields C1 control characters there instead,
 * so `Clinical Director – Medical` in the PCN files would lose its dash: decode those bytes ourselves.
 */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

/** A streaming decoder; strips a UTF BOM like TextDecoder does. */
export function textDecoder(encoding: string): { decode(chunk?: Uint8Array, opts?: { stream?: boolean }): string } {
  if (encoding.toLowerCase() !== 'windows-1252') return new TextDecoder(encoding);
  return {
    decode(chunk?: Uint8Array) {
      if (!chunk) return '';
      // Single-byte: every byte is one character, so chunks never split one.
      return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        .toString('latin1')
        .replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]);
    },
  };
}

/** One parsed CSV record with the 1-based physical line it starts on. */
interface CsvRecord {
  line: number;
  fields: string[];
}

async function* csvBatches(source: ByteSource, encoding: string, signal?: AbortSignal): AsyncGenerator<CsvRecord[]> {
  // papaparse's core parser over decoded chunks: each chunk yields a whole batch of records, and the
  // incomplete last record is carried into the next chunk (as papaparse's own ChunkStreamer does).
  // Batches keep the per-record cost synchronous; papaparse's Node stream mode pushes every record
  // through a stream on its own, which costs several times the parse.
  const decoder = textDecoder(encoding); // strips a BOM; Windows-1252 mapped explicitly (see above)
  let parser: InstanceType<typeof Papa.Parser> | undefined;
  let partial = '';
  let line = 1;
  function batch(text: string, last: boolean): CsvRecord[] {
    parser ??= new Papa.Parser({ delimiter: ',', quoteChar: '"', newline: guessNewline(text) });
    const input = partial + text;
    const res = parser.parse(input, 0, !last) as { data: string[][]; meta: { cursor: number } };
    partial = last ? '' : input.substring(res.meta.cursor);
    const out: CsvRecord[] = new Array(res.data.length);
    for (let r = 0; r < res.data.length; r++) {
      const fields = res.data[r];
      out[r] = { line, fields };
      // Embedded line breaks inside quoted fields advance the physical line number.
      line += 1;
      for (const f of fields) for (let i = f.indexOf('\n'); i >= 0; i = f.indexOf('\n', i + 1)) line++;
    }
    return out;
  }
  for await (const chunk of source.stream(signal)) {
    throwIfAborted(signal);
    const text = decoder.decode(chunk, { stream: true });
    if (text) yield batch(text, false);
  }
  const rest = decoder.decode();
  if (rest || partial) yield batch(rest, true);
}

/** The line ending of a file, from its first chunk: CRLF, LF or (old Mac) CR. */
function guessNewline(text: string): '\r\n' | '\n' | '\r' {
  const lf = text.indexOf('\n');
  const cr = text.indexOf('\r');
  if (lf < 0) return cr < 0 ? '\n' : '\r';
  return cr >= 0 && cr === lf - 1 ? '\r\n' : cr >= 0 && cr < lf ? '\r' : '\n';
}

function isBlank(fields: string[]): boolean {
  return fields.every((f) => f.trim() === '');
}

/** How one data record relates to the table: a row, a blank line, a repeated header, or a ragged line. */
function recordRole(fields: string[], header: string[]): 'row' | 'blank' | 'header' | 'ragged' {
  if (isBlank(fields)) return 'blank';
  if (fields.length > header.length && fields.slice(header.length).some((f) => f.trim() !== '')) return 'ragged';
  if (fields.length < header.length) return 'ragged';
  if (header.every((h, i) => (fields[i] ?? '').trim() === h.trim())) return 'header';
  return 'row';
}

/** A title or `Label:,value` metadata line above the header (one field, or a first field ending in a colon). */
function isPreambleRecord(fields: string[]): boolean {
  const filled = fields.filter((f) => f.trim() !== '');
  return filled.length < 2 || (filled.length <= 3 && /^[^:]{1,60}:$/.test(fields[0].trim()));
}

/** A trailing note line such as "Source: NHS England" (one non-empty field). */
function isNoteRecord(fields: string[]): boolean {
  return fields.filter((f) => f.trim() !== '').length === 1 && fields[0].trim() !== '';
}

/** Describes a CSV as one table; `key`/`member` place it inside a zip when it came from one. */
export async function describeCsv(
  source: ByteSource,
  loc: SheetLocation,
  key: string,
  signal?: AbortSignal,
): Promise<TableInfo> {
  const encoding = await detectEncoding(source, signal);
  const preamble: string[][] = [];
  let header: string[] | undefined;
  let headerLine = 0;
  let stats: ColumnStats[] = [];
  let firstDataRow = 0;
  let lastDataRow = 0;
  let rowCount = 0;
  let totalsRows = 0;
  let repeatedHeaders = 0;
  let pendingRagged: CsvRecord | undefined;
  let levels: LevelCounter | undefined;
  const labelTotals = new Map<string, number>();
  const trailingNotes: number[] = [];
  const warnings: string[] = [];

  // Records arrive in batches, one per decoded chunk.
  for await (const recs of csvBatches(source, encoding, signal)) for (const rec of recs) {
    if (!header) {
      if (isBlank(rec.fields)) continue;
      // Title lines above the header have a single field, metadata lines a `Label:` first field
      // (`Period:,January 2024`); the header is the first other line.
      if (isPreambleRecord(rec.fields) && preamble.length < 20) {
        preamble.push(rec.fields);
        continue;
      }
      header = rec.fields;
      headerLine = rec.line;
      if (header.length > MAX_TABLE_COLUMNS) throw tooWideError(header.length, { ...loc, cell: `${rec.line}:${MAX_TABLE_COLUMNS + 1}` });
      stats = header.map(() => new ColumnStats());
      levels = new LevelCounter(header.map((h) => cleanHeader(h)));
      continue;
    }
    const role = recordRole(rec.fields, header);
    if (role === 'blank') continue;
    if (role === 'ragged') {
      if (isNoteRecord(rec.fields)) {
        trailingNotes.push(rec.line);
        pendingRagged ??= rec;
        continue;
      }
      throw raggedError(rec, header.length, headerLine, loc);
    }
    if (pendingRagged) throw raggedError(pendingRagged, header.length, headerLine, loc);
    if (role === 'header') {
      repeatedHeaders++;
      continue;
    }
    if (!firstDataRow) firstDataRow = rec.line;
    lastDataRow = rec.line;
    rowCount++;
    let total = false;
    for (let i = 0; i < header.length; i++) {
      const v = rec.fields[i];
      stats[i].add(v);
      if (!total && isTotalLabel(v)) total = true;
    }
    if (total) totalsRows++;
    if (levels && !levels.empty) {
      levels.add(rec.fields);
      // Rows already flagged by a total label are counted once: remember them per level value.
      if (total) for (const i of levels.columns) labelTotals.set(`${i}\0${rec.fields[i]?.trim()}`, (labelTotals.get(`${i}\0${rec.fields[i]?.trim()}`) ?? 0) + 1);
    }
  }
  if (!header) {
    throw new SheetError('CSV file has no header row (it is empty or holds only blank lines)', loc, 'Check the download: the publisher may have served an empty file.');
  }
  if (rowCount === 0) {
    throw new SheetError(`CSV file has a header row (line ${headerLine}) but no data rows`, loc, 'Check the download; an empty extract usually means the publisher has not filled this file yet.');
  }
  if (repeatedHeaders) warnings.push(`${repeatedHeaders} repeated header line(s) inside the data were skipped`);
  if (trailingNotes.length) warnings.push(`${trailingNotes.length} note line(s) after the data were excluded (from line ${trailingNotes[0]})`);
  const names = uniqueNames(header.map((h, i) => cleanHeader(h) || `Column ${i + 1}`));
  const level = levels?.result();
  if (level) {
    level.column = names[level.index];
    for (const [value, n] of Object.entries(level.counts)) {
      if (value !== level.detail) totalsRows += n - (labelTotals.get(`${level.index}\0${value}`) ?? 0);
    }
  }
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
    totalsRows,
    ...(level ? { levels: level } : {}),
    warnings,
    encoding,
  };
}

function raggedError(rec: CsvRecord, want: number, headerLine: number, loc: SheetLocation): SheetError {
  return new SheetError(
    `CSV line ${rec.line} has ${rec.fields.length} fields but the header on line ${headerLine} has ${want}`,
    { ...loc, cell: `${rec.line}:1` },
    'The file is ragged (a stray comma, an unquoted field or a truncated line); fix or re-download the file.',
  );
}

/** A row as `readTable` yields it. */
export interface CsvRow {
  row: number;
  values: Cell[];
  isTotal: boolean;
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
): AsyncGenerator<CsvRow[]> {
  const encoding = table.encoding ?? (await detectEncoding(source, signal));
  const headerLine = table.headerRows[0];
  const cols = table.columns.map((c) => Number(c.sourceColumn) - 1);
  let header: string[] | undefined;
  let yielded = 0;
  // Records arrive in batches (one per decoded chunk); `rows` ends both loops after the last data row.
  let out: CsvRow[] = [];
  rows: for await (const recs of csvBatches(source, encoding, signal)) {
    for (const rec of recs) {
      if (rec.line < headerLine) continue;
      if (rec.line === headerLine) {
        header = rec.fields;
        continue;
      }
      if (!header || rec.line < table.firstDataRow) continue;
      if (rec.line > table.lastDataRow) break rows;
      const role = recordRole(rec.fields, header);
      if (role === 'blank' || role === 'header') continue;
      if (role === 'ragged') throw raggedError(rec, header.length, headerLine, loc);
      let isTotal = false;
      const values: Cell[] = cols.map((i) => {
        const v = rec.fields[i];
        if (!isTotal && isTotalLabel(v)) isTotal = true;
        const t = v === undefined ? '' : v.trim();
        return t === '' ? null : t;
      });
      if (!isTotal && isAggregateLevel(table.levels, values)) isTotal = true;
      yielded++;
      out.push({ row: rec.line, values, isTotal });
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
