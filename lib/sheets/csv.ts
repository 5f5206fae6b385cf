/**
 * CSV tables: one streaming pass to describe the table (encoding detected on the way, all values
 * scanned for types, no row cap) and a second streaming pass to yield rows. Memory stays flat however
 * many rows there are: papaparse parses one decoded chunk at a time and rows are consumed as they come.
 *
 * Both passes run per record over millions of records, so the per-record work avoids allocation:
 * records travel in batches (one per chunk) with their line numbers computed per batch, and field
 * checks use `trimText`, which only calls `trim` when there is something to trim.
 */
import Papa from 'papaparse';
import { throwIfAborted, type ByteSource } from './bytes.ts';
import { bomEncoding, detectEncoding, InvalidUtf8Error, textDecoder, Utf8Decoder, type ChunkDecoder } from './decode.ts';
import { MAX_TABLE_COLUMNS, SheetError, tooWideError, type Cell, type SheetLocation, type TableInfo, type TableRow } from './types.ts';
import { ColumnStats } from './column-stats.ts';
import { cleanHeader, trimText } from './values.ts';
import { uniqueNames } from './names.ts';
import { LevelCounter } from './levels.ts';
import { rowKindOf, TotalsCounter } from './row-kinds.ts';
import { annotateRow } from './annotations.ts';

export { detectEncoding, textDecoder } from './decode.ts';

/** Parsed records of one chunk: `fields[i]` starts on the 1-based physical line `lines ? lines[i] : line0 + i`. */
interface CsvBatch {
  fields: string[][];
  line0: number;
  /** Only when quoted fields hold line breaks, which make line numbers skip. */
  lines?: number[];
}

/** Bytes decoded and parsed at a time (see `csvBatches`). */
const PIECE = 64 * 1024;

/** Number of `\n` characters in `text` before `end`. */
function countLf(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Longest text one record may carry open (an unmatched quote makes the rest of the file one field). */
const MAX_OPEN_RECORD = 32 * 1024 * 1024;

async function* csvBatches(source: ByteSource, decoder: ChunkDecoder, loc: SheetLocation, signal?: AbortSignal): AsyncGenerator<CsvBatch> {
  // papaparse's core parser over decoded chunks: each chunk yields a whole batch of records, and the
  // incomplete last record is carried into the next chunk (as papaparse's own ChunkStreamer does).
  // Batches keep the per-record cost synchronous; papaparse's Node stream mode pushes every record
  // through a stream on its own, which costs several times the parse.
  let parser: InstanceType<typeof Papa.Parser> | undefined;
  let newline: '\r\n' | '\n' | '\r' = '\n';
  let partial = '';
  // A record still open after a parse (a quoted field spanning pieces) is parsed again only once the
  // text has doubled: an unmatched quote would otherwise re-parse the growing rest of the file per piece.
  let parseAt = 0;
  let line = 1;
  /** Carries `text` into the next piece unparsed; a record open past the limit is an error naming its line. */
  function carry(text: string, what: string): undefined {
    partial = text;
    if (partial.length > MAX_OPEN_RECORD) {
      // Without a quote in it, a record that never ends is a line that never ends: no quote to blame.
      if (!partial.includes('"')) throw longLineError(line, loc);
      throw quoteError(line, `${what} after ${MAX_OPEN_RECORD / 1024 / 1024} MB of text: a quoted field never closes, or this is not a CSV file`, loc);
    }
    return undefined;
  }
  function batch(text: string, last: boolean): CsvBatch | undefined {
    // At the end, spaces, tabs and a lone CR after the last field are not data (trimmed from values
    // anyway), and papaparse takes them after a closing quote for an unclosed quote (`1,"2" `).
    const input = last ? (partial + text).replace(/[ \t\r]+$/, '') : partial + text;
    if (!parser) {
      // The line ending is decided by the first line break that is not the last character so far.
      const guessed = guessNewline(input, last);
      if (!guessed) return carry(input, 'has no line break');
      newline = guessed;
      parser = new Papa.Parser({ delimiter: ',', quoteChar: '"', newline });
    }
    if (!last && input.length < parseAt) return carry(input, 'starts a record that is still open');
    const res = parser.parse(input, 0, !last) as { data: string[][]; errors: { code: string; row: number }[]; meta: { cursor: number } };
    const data = res.data;
    parseAt = data.length === 0 ? input.length * 2 : 0;
    const line0 = line;
    // Every record of a non-final batch ends with one newline: exactly that many line feeds in the
    // consumed text means no field holds a line break, and lines simply count up. With LF line ends
    // and no quote character in the text, no field can hold one, and the count is not needed.
    const noBreaksInFields = newline === '\n' && input.indexOf('"') < 0;
    let lines: number[] | undefined;
    if (!last && (noBreaksInFields || countLf(input, res.meta.cursor) === (newline === '\r' ? 0 : data.length))) {
      line += data.length;
    } else {
      lines = new Array(data.length);
      for (let r = 0; r < data.length; r++) {
        lines[r] = line;
        // Line breaks inside fields advance the physical line number.
        line += 1;
        for (const f of data[r]) for (let i = f.indexOf('\n'); i >= 0; i = f.indexOf('\n', i + 1)) line++;
      }
    }
    // The carried record starts on `line`.
    carry(last ? '' : input.substring(res.meta.cursor), 'starts a record that is still open');
    const unclosed = last ? res.errors.find((e) => e.code === 'MissingQuotes') : undefined;
    if (unclosed) {
      throw quoteError(lines ? lines[unclosed.row] : line0 + unclosed.row, 'has a quoted field that never closes properly: the rest of the file would be one field', loc);
    }
    return lines ? { fields: data, line0, lines } : { fields: data, line0 };
  }
  for await (const chunk of source.stream(signal)) {
    throwIfAborted(signal);
    // Decoded and parsed in pieces of at most 64 KiB: V8 puts strings over 128 KiB (and the field
    // strings split from them) in its large-object space, which makes decoding alone 20 times slower.
    for (let at = 0; at < chunk.length; at += PIECE) {
      const text = decoder.decode(chunk.subarray(at, at + PIECE), { stream: true });
      // Text never holds a NUL; PostgreSQL refuses one in any value. Say where it is, now.
      const nul = text.indexOf('\u0000');
      if (nul >= 0) throw nulError(partial + text, partial.length + nul, line, loc);
      const b = text ? batch(text, false) : undefined;
      if (b) yield b;
    }
  }
  const rest = decoder.decode();
  const b = rest || partial ? batch(rest, true) : undefined;
  if (b) yield b;
}

function longLineError(line: number, loc: SheetLocation): SheetError {
  return new SheetError(
    `CSV line ${line} runs on for more than ${MAX_OPEN_RECORD / 1024 / 1024} MB without a line break`,
    { ...loc, cell: `${line}:1` },
    'This is not a CSV file of rows, or its line breaks were lost; open it in a text editor and check that it is the file the publisher links.',
  );
}

/** A NUL at `at` in `text`, whose first character is on line `line0`: where it is, as line and column. */
function nulError(text: string, at: number, line0: number, loc: SheetLocation): SheetError {
  const before = text.lastIndexOf('\n', at - 1);
  const line = line0 + countLf(text, at);
  const col = at - before;
  return new SheetError(
    `CSV line ${line}, column ${col} holds a NUL byte, which text never contains`,
    { ...loc, cell: `${line}:${col}` },
    'The file is damaged or not plain text (binary data, or UTF-16 without its byte-order mark); download it again, or remove the NUL bytes.',
  );
}

function quoteError(line: number, what: string, loc: SheetLocation): SheetError {
  return new SheetError(`CSV line ${line} ${what}`, { ...loc, cell: `${line}:1` }, 'Look for an unmatched or misplaced double quote (") on that line; fix or re-download the file.');
}

/**
 * The line ending of a file: CRLF, LF or (old Mac) CR, from its first line break; undefined while
 * the text so far has none, or ends in a CR that an LF may follow (unless it is all the text there is).
 */
function guessNewline(text: string, last: boolean): '\r\n' | '\n' | '\r' | undefined {
  const lf = text.indexOf('\n');
  const cr = text.indexOf('\r');
  if (lf < 0) {
    if (cr < 0) return last ? '\n' : undefined;
    return cr === text.length - 1 && !last ? undefined : '\r';
  }
  return cr >= 0 && cr === lf - 1 ? '\r\n' : cr >= 0 && cr < lf ? '\r' : '\n';
}

function isBlank(fields: string[]): boolean {
  for (let i = 0; i < fields.length; i++) if (trimText(fields[i]) !== '') return false;
  return true;
}

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

  // Records arrive in batches, one per decoded chunk.
  for await (const batch of csvBatches(source, decoder, loc, signal)) {
    for (let k = 0; k < batch.fields.length; k++) {
      const fields = batch.fields[k];
      const line = batch.lines ? batch.lines[k] : batch.line0 + k;
      if (!header) {
        if (isBlank(fields)) continue;
        // Title lines above the header have a single field, metadata lines a `Label:` first field
        // (`Period:,January 2024`); the header is the first other line.
        if (isPreambleRecord(fields) && preamble.length < 20) {
          preamble.push(fields);
          preambleLines.push(line);
          continue;
        }
        header = fields;
        headerLine = line;
        if (header.length > MAX_TABLE_COLUMNS) throw tooWideError(header.length, { ...loc, cell: `${line}:${MAX_TABLE_COLUMNS + 1}` });
        trimmedHeader = header.map((h) => h.trim());
        stats = header.map(() => new ColumnStats());
        levels = new LevelCounter(header.map((h) => cleanHeader(h)));
        if (levels.empty) levels = undefined;
        totals = new TotalsCounter(levels?.columns);
        continue;
      }
      const role = recordRole(fields, trimmedHeader);
      if (role === 'blank') continue;
      if (role === 'ragged') {
        if (isNoteRecord(fields)) {
          trailingNotes.push(line);
          pendingRagged ??= { line, fields };
          continue;
        }
        throw raggedError(line, fields, header.length, headerLine, loc);
      }
      if (pendingRagged) throw raggedError(pendingRagged.line, pendingRagged.fields, header.length, headerLine, loc);
      if (role === 'header') {
        repeatedHeaders.push(line);
        continue;
      }
      if (!firstDataRow) firstDataRow = line;
      lastDataRow = line;
      rowCount++;
      for (let i = 0; i < stats.length; i++) stats[i].add(fields[i]);
      totals.add(fields);
      if (levels) levels.add(fields);
    }
  }
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
