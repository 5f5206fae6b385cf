/**
 * The two entry points: `describeFile` (what tables a file holds) and `readTable` (the rows of one).
 * Both walk the same path — file → (zip members →)* workbook sheet or CSV — so a table key found by
 * one is located the same way by the other.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { bufferAccess, fileSource, openFileAccess, throwIfAborted, type ByteSource } from './bytes.ts';
import { describeCsv, readCsvBatches } from './csv.ts';
import { sniff, type Blob } from './sniff.ts';
import { SheetError, type FileExtraction, type OtherCells, type SheetLocation, type SkippedPart, type SourceFile, type TableInfo, type TableRow } from './types.ts';
import { describeWorkbook, loadWorkbook, readWorkbookTable } from './workbook.ts';
import type { WorkbookNote } from './notes.ts';
import { checkZipLimits, DEFAULT_ZIP_LIMITS, memberSource, type ZipEntry, type ZipLimits } from './zip.ts';
import { checkContainer } from './containers.ts';

/** Options for `describeFile`. */
export interface DescribeOptions {
  /** Sheet names to read even though their names look like contents/notes/chart sheets. */
  includeSheets?: string[];
  signal?: AbortSignal;
  /** Zip-bomb limits (defaults: 8 GiB declared in total, ratio 200:1 for members over 16 MiB). */
  zipLimits?: Partial<ZipLimits>;
}

/** Options for `readTable`. */
export interface ReadOptions {
  signal?: AbortSignal;
  zipLimits?: Partial<ZipLimits>;
}

/** Nested zips are inflated into memory; beyond this size they are refused. */
const MAX_NESTED_ZIP_BYTES = 1024 ** 3;
const DATA_EXT = /\.(csv|txt|xlsx|xlsm|xls|ods|zip)$/i;

interface Ctx {
  file: SourceFile;
  cacheBase: string;
  limits: ZipLimits;
  includeSheets?: string[];
  signal?: AbortSignal;
}

function location(file: SourceFile): SheetLocation {
  if (file.origin) return { file: `${file.name || basename(file.path)} from ${file.origin}, stored as ${file.path}` };
  return { file: basename(file.path) === file.name || !file.name ? file.path : `${file.name} (${file.path})` };
}

async function open(file: SourceFile, zipLimits: Partial<ZipLimits> | undefined, signal: AbortSignal | undefined, includeSheets?: string[]): Promise<{ ctx: Ctx; blob: Blob }> {
  let st;
  try {
    st = await stat(file.path);
  } catch (err) {
    throw new SheetError(`File cannot be opened: ${(err as Error).message}`, location(file), 'Check that the download step finished and the path is right.');
  }
  const ctx: Ctx = { file, cacheBase: `${file.path}\0${st.size}\0${st.mtimeMs}`, limits: { ...DEFAULT_ZIP_LIMITS, ...zipLimits }, includeSheets, signal };
  return { ctx, blob: { source: fileSource(file.path, st.size), access: () => openFileAccess(file.path) } };
}

/**
 * Describes every table in a file: format, tables (header rows, data range, columns with inferred
 * types, markers, samples) and the parts skipped with a reason. Throws `SheetError` for unreadable
 * input (empty, HTML page, truncated, encrypted, zip bomb, ragged CSV …).
 */
export async function describeFile(file: SourceFile, opts: DescribeOptions = {}): Promise<FileExtraction> {
  const { ctx, blob } = await open(file, opts.zipLimits, opts.signal, opts.includeSheets);
  const out: FileExtraction = { format: 'csv', tables: [], skipped: [] };
  await describeBlob(ctx, blob, file.name, undefined, out, true);
  return out;
}

async function describeBlob(ctx: Ctx, blob: Blob, name: string, member: string | undefined, out: FileExtraction, top: boolean): Promise<void> {
  throwIfAborted(ctx.signal);
  const loc: SheetLocation = { ...location(ctx.file), ...(member ? { member } : {}) };
  const kind = await sniff(blob, name, loc);
  if (top) out.format = kind.format;
  if (kind.format === 'csv') {
    const table = await describeCsv(blob.source, loc, member ?? '', ctx.signal);
    if (kind.misnamed) table.warnings.push(`file is named .${kind.misnamed} but holds CSV text`);
    if (top) out.encoding = table.encoding;
    out.tables.push(table);
    return;
  }
  if (kind.format === 'zip') {
    await describeZip(ctx, blob, kind.entries, member, loc, out);
    return;
  }
  if (kind.format !== 'xls') {
    // An xlsx/ods is a zip: its limits, and no DOCTYPE or cut part, before SheetJS inflates and parses it (containers.ts).
    const ra = await blob.access();
    try {
      await checkContainer(ra, kind.entries, ctx.limits, loc, ctx.signal);
    } finally {
      await ra.close();
    }
  }
  const bytes = await blob.source.readAll(ctx.signal);
  const parsed = loadWorkbook(bytes, `${ctx.cacheBase}\0${member ?? ''}`, loc);
  const { tables, skipped, otherCells, notes } = describeWorkbook(parsed, loc, member ? `${member}!` : '', ctx.includeSheets, ctx.signal);
  out.tables.push(...tables);
  out.skipped.push(...skipped);
  if (otherCells.length) (out.otherCells ??= []).push(...otherCells);
  if (notes.length) (out.notes ??= []).push(...notes);
}

/** Why a zip member is not read (listed in `skipped`), or undefined to read it; folders are not members. */
function ignoredMember(name: string): string | undefined {
  const parts = name.split(/[/\\]/);
  if (name.startsWith('/') || /^[a-z]:/i.test(name) || parts.includes('..')) return 'its path leaves the archive (zip slip): not read';
  if (name.startsWith('__MACOSX/')) return 'macOS metadata';
  if (parts.some((part) => part.startsWith('.'))) return 'hidden file';
  return undefined;
}

async function describeZip(ctx: Ctx, blob: Blob, entries: ZipEntry[], member: string | undefined, loc: SheetLocation, out: FileExtraction): Promise<void> {
  checkZipLimits(entries, ctx.limits, loc);
  const ra = await blob.access();
  try {
    const files = entries.filter((e) => !e.name.endsWith('/'));
    if (!files.length) throw new SheetError('Zip archive is empty: it holds no files', loc, 'Download it again; if it is empty at the source, tell the publisher.');
    const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).filter((e) => {
      const why = ignoredMember(e.name);
      if (why) out.skipped.push({ member: member ? `${member}/${e.name}` : e.name, reason: why });
      return !why;
    });
    const found: Found[] = [];
    for (const e of sorted) {
      const path = member ? `${member}/${e.name}` : e.name;
      if (!DATA_EXT.test(e.name)) {
        out.skipped.push({ member: path, reason: `not a data file (${/\.[^./]+$/.exec(e.name)?.[0] ?? 'no extension'})` });
        continue;
      }
      const src = memberSource(ra, e, { ...loc, member: path });
      const child: Blob = { source: src, access: () => nestedAccess(src, path, loc) };
      const part: FileExtraction = { format: 'zip', tables: [], skipped: [] };
      await describeBlob(ctx, child, e.name, path, part, false);
      found.push({ path, tables: part.tables, skipped: part.skipped, otherCells: part.otherCells ?? [], notes: part.notes ?? [] });
    }
    dropTwins(found, out);
  } finally {
    await ra.close();
  }
}

async function nestedAccess(src: ByteSource, path: string, loc: SheetLocation) {
  if (src.size > MAX_NESTED_ZIP_BYTES) {
    throw new SheetError(`Nested archive "${path}" is ${src.size} bytes, too large to open in memory`, { ...loc, member: path }, 'Unpack the outer archive and publish the inner files directly.');
  }
  return bufferAccess(await src.readAll());
}

/** What one zip member holds. */
interface Found {
  path: string;
  tables: TableInfo[];
  skipped: SkippedPart[];
  otherCells: OtherCells[];
  notes: WorkbookNote[];
}

/** A CSV and a workbook of the same base name with the same columns are one table published twice: keep the CSV. */
function dropTwins(found: Found[], out: FileExtraction): void {
  const stem = (p: string) => p.replace(/\.[^./]+$/, '').toLowerCase();
  const csvs = new Map(found.filter((f) => /\.(csv|txt)$/i.test(f.path) && f.tables.length === 1).map((f) => [stem(f.path), f]));
  for (const f of found) {
    const twin = /\.(xlsx|xlsm|xls|ods)$/i.test(f.path) ? csvs.get(stem(f.path)) : undefined;
    const csvNames = twin?.tables[0].columns.map((c) => c.name.toLowerCase()).join('\0');
    if (twin && f.tables.length === 1 && f.tables[0].columns.map((c) => c.name.toLowerCase()).join('\0') === csvNames) {
      out.skipped.push({ member: f.path, reason: `same table as ${twin.path} (twin); the CSV is kept` });
      out.skipped.push(...f.skipped);
      continue;
    }
    out.tables.push(...f.tables);
    out.skipped.push(...f.skipped);
    if (f.otherCells.length) (out.otherCells ??= []).push(...f.otherCells);
    if (f.notes.length) (out.notes ??= []).push(...f.notes);
  }
}


/**
 * Streams the rows of one table found by `describeFile`: exactly `table.rowCount` rows in file order,
 * values aligned with `table.columns`. CSVs stream with flat memory; workbooks are parsed whole.
 *
 * The rows are produced in batches and handed out one by one by a small iterator: an async generator
 * yielding each row would cost a suspended generator and two promises per row, as much again as
 * parsing the row.
 */
export function readTable(file: SourceFile, table: TableInfo, opts: ReadOptions = {}): AsyncGenerator<TableRow> {
  return flatten(readBatches(file, table, opts));
}

/**
 * The rows of one table as `readTable` yields them, in the batches they are produced in (one per decoded CSV chunk,
 * or per 1,000 workbook rows): for consumers that handle millions of rows (the database load), where even one
 * promise per row costs as much as converting the row.
 */
export function readTableBatches(file: SourceFile, table: TableInfo, opts: ReadOptions = {}): AsyncGenerator<TableRow[]> {
  return readBatches(file, table, opts);
}

/** One row at a time out of batches; `return`/`throw` reach the batch generator so its cleanup runs. */
function flatten<T>(batches: AsyncGenerator<T[]>): AsyncGenerator<T> {
  let buf: T[] = [];
  let i = 0;
  let done = false;
  let inflight: Promise<IteratorResult<T>> | undefined;
  const end = (): IteratorResult<T> => {
    done = true;
    buf = [];
    return { value: undefined, done: true };
  };
  async function pull(): Promise<IteratorResult<T>> {
    while (i >= buf.length) {
      if (done) return { value: undefined, done: true };
      const r = await batches.next();
      if (r.done) return end();
      buf = r.value;
      i = 0;
    }
    return { value: buf[i++], done: false };
  }
  const it: AsyncGenerator<T> = {
    next() {
      if (inflight) return inflight.then(() => it.next()); // calls overlapping a pull wait their turn
      if (i < buf.length) return Promise.resolve({ value: buf[i++], done: false });
      inflight = pull().finally(() => (inflight = undefined));
      return inflight;
    },
    async return(value) {
      end();
      await batches.return([]);
      return { value, done: true };
    },
    async throw(err) {
      end();
      await batches.throw(err);
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}

/** The rows of one table in batches: one per decoded CSV chunk, or per 1,000 workbook rows. */
async function* readBatches(file: SourceFile, table: TableInfo, opts: ReadOptions): AsyncGenerator<TableRow[]> {
  const { ctx, blob } = await open(file, opts.zipLimits, opts.signal);
  const loc = location(file);
  let target = blob;
  let name = file.name;
  const cleanups: (() => Promise<void>)[] = [];
  try {
    if (table.member) {
      let rest = table.member;
      let prefix = '';
      for (;;) {
        const kind = await sniff(target, name, { ...loc, ...(prefix ? { member: prefix } : {}) });
        if (kind.format !== 'zip') throw new SheetError(`"${prefix || file.name}" is not a zip archive`, { ...loc, member: table.member }, 'Describe the file again.');
        checkZipLimits(kind.entries, ctx.limits, loc);
        const ra = await target.access();
        cleanups.push(() => ra.close());
        const exact = kind.entries.find((e) => e.name === rest);
        const nested = exact ? undefined : kind.entries.find((e) => /\.zip$/i.test(e.name) && rest.startsWith(`${e.name}/`));
        const entry = exact ?? nested;
        if (!entry) throw new SheetError(`Zip member "${table.member}" is not in the archive`, { ...loc, member: table.member }, 'The file changed since it was described; describe it again.');
        const path = prefix ? `${prefix}/${entry.name}` : entry.name;
        const src = memberSource(ra, entry, { ...loc, member: path });
        target = { source: src, access: () => nestedAccess(src, path, loc) };
        name = entry.name;
        prefix = path;
        if (exact) break;
        rest = rest.slice(entry.name.length + 1);
      }
    }
    const where: SheetLocation = { ...loc, ...(table.member ? { member: table.member } : {}) };
    if (table.sheet === undefined) {
      yield* readCsvBatches(target.source, table, where, opts.signal);
      return;
    }
    const bytes = await target.source.readAll(opts.signal);
    const parsed = loadWorkbook(bytes, `${ctx.cacheBase}\0${table.member ?? ''}`, where);
    let batch: TableRow[] = [];
    for (const r of readWorkbookTable(parsed, table, where, opts.signal)) {
      batch.push(r);
      if (batch.length === 1000) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}
