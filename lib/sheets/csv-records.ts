/**
 * CSV records: bytes → decoded text → records (papaparse, one chunk at a time), each with the physical line it
 * starts on, and the refusals that name the line (a quote never closed, a line of tens of MB, a NUL byte).
 */
import Papa from 'papaparse';
import { throwIfAborted, type ByteSource } from './bytes.ts';
import type { ChunkDecoder } from './decode.ts';
import { SheetError, type SheetLocation } from './types.ts';
import { trimText } from './values.ts';

/** Parsed records of one chunk: `fields[i]` starts on the 1-based physical line `lines ? lines[i] : line0 + i`. */
export interface CsvBatch {
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

export async function* csvBatches(source: ByteSource, decoder: ChunkDecoder, loc: SheetLocation, signal?: AbortSignal): AsyncGenerator<CsvBatch> {
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

export function isBlank(fields: string[]): boolean {
  for (let i = 0; i < fields.length; i++) if (trimText(fields[i]) !== '') return false;
  return true;
}

