/**
 * The malformed and hostile corpus (issue 14): files a publisher's server, a broken download or an attacker
 * could hand the pipeline, generated from the real samples in tests/fixtures/nhs-samples and a seed. Each case
 * says what a correct reader does with it: find tables with rows, or refuse the file with an error that names
 * it (and the sheet or line where that applies); never crash, hang or return nothing without saying why.
 *
 *   npx tsx tests/corpus/generate.ts OUT_DIR [SEED]    writes the files and prints the cases
 *
 * `hole` marks the cases that issue 14 found broken in the spreadsheet readers (3: zip bombs inside
 * workbooks, 4: DOCTYPE in sheet XML and truncated or empty files that yield no table, 5: one-column CSVs);
 * tests/corpus/corpus.test.ts expects those to fail until lib/sheets is fixed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import * as XLSX from '@e965/xlsx';

export interface Case {
  name: string;
  /** tables: must yield tables with rows; error: must be refused; either: one or the other. */
  expect: 'tables' | 'error' | 'either';
  /** An error must also name the sheet (`sheet "…"`) or the CSV line (`line N`). */
  where?: 'sheet' | 'line';
  /** Issue 14 hole this case waits for (lib/sheets). */
  hole?: 3 | 4 | 5;
  /** A problem the corpus found that issue 14 does not list (reported; the case waits for it like a hole). */
  finding?: string;
  /** The error must match this too. */
  message?: RegExp;
  /** A zip: every one of its `members` must yield a table or be skipped with a reason, none dropped unsaid. */
  members?: number;
  why: string;
}

const SAMPLES = join(import.meta.dirname, '../fixtures/nhs-samples');
export const SOURCES = {
  csv: join(SAMPLES, 'pcn-workforce/Primary Care Networks – March 2020 Individual Level.csv'),
  xls: join(SAMPLES, 'ae-attendances-emergency-admissions/Monthly-AE-Time-Series-January-2024.xls'),
  xlsx: join(SAMPLES, 'rtt-waiting-times/RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx'),
};

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TABLE = [['Code', 'Region', 'Value'], ['A1', 'North', 10], ['A2', 'South', 20], ['A3', 'East', 30]];

function book(sheets: Record<string, unknown[][]>, bookType: 'xlsx' | 'ods' = 'xlsx'): Buffer {
  const wb = XLSX.utils.book_new();
  for (const [name, rows] of Object.entries(sheets)) XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(rows), name);
  return XLSX.write(wb, { type: 'buffer', bookType, bookSST: true }) as Buffer;
}

/** A container with `edit` applied to its members (an ODS keeps `mimetype` first and stored, as the format requires). */
function rezip(bytes: Uint8Array, edit: (files: Record<string, Uint8Array>) => void): Buffer {
  const files = unzipSync(bytes);
  edit(files);
  const out: Zippable = {};
  if (files.mimetype) out.mimetype = [files.mimetype, { level: 0 }];
  for (const [k, v] of Object.entries(files)) if (k !== 'mimetype') out[k] = v;
  return Buffer.from(zipSync(out, { level: 6 }));
}

const xml = (files: Record<string, Uint8Array>, path: string, change: (text: string) => string) => {
  files[path] = strToU8(change(strFromU8(files[path]!)));
};

/** Writes the corpus into `dir`; returns its cases (at least 40). */
export async function generateCorpus(dir: string, seed = 14): Promise<Case[]> {
  const random = prng(seed);
  const cases: Case[] = [];
  const put = async (c: Case, bytes: string | Uint8Array) => {
    await writeFile(join(dir, c.name), bytes);
    cases.push(c);
  };
  const sample = {
    csv: await readFile(SOURCES.csv),
    xls: await readFile(SOURCES.xls),
    xlsx: await readFile(SOURCES.xlsx),
  };
  const ods = XLSX.write(XLSX.read(sample.xlsx), { type: 'buffer', bookType: 'ods' }) as Buffer;
  const zip = Buffer.from(zipSync({ 'data/pcn.csv': new Uint8Array(sample.csv) }));
  await put({ name: 'whole.ods', expect: 'tables', why: 'the RTT workbook saved as ODS, whole (the control for the truncations)' }, ods);
  await put({ name: 'whole.zip', expect: 'tables', why: 'a zip of a real CSV, whole' }, zip);

  // Truncations at random offsets of every format: the download or the copy was cut short.
  const formats: [string, Buffer, Case['expect']][] = [['csv', sample.csv, 'either'], ['xls', sample.xls, 'error'], ['xlsx', sample.xlsx, 'error'], ['ods', ods, 'error'], ['zip', zip, 'error']];
  for (const [ext, bytes, expect] of formats) {
    const offsets = [1 + Math.floor(random() * 511), ...Array.from({ length: 3 }, () => 512 + Math.floor(random() * (bytes.length - 513)))];
    for (const at of offsets) await put({ name: `cut-${at}.${ext}`, expect, why: `the ${ext} sample cut after ${at} of ${bytes.length} bytes` }, bytes.subarray(0, at));
  }
  // Cut inside the container: a whole zip around a truncated sheet (a writer that died, re-zipped by a tool).
  const half = (f: Record<string, Uint8Array>, path: string) => void (f[path] = f[path]!.subarray(0, Math.floor(f[path]!.length / 2)));
  await put({ name: 'cut-member.ods', expect: 'error', why: 'content.xml cut in half inside an intact ODS container' }, rezip(ods, (f) => half(f, 'content.xml')));
  await put({ name: 'cut-member.xlsx', expect: 'error', why: 'the sheet XML cut in half inside an intact xlsx container' }, rezip(sample.xlsx, (f) => half(f, Object.keys(f).find((k) => /^xl\/worksheets\/sheet\d+\.xml$/.test(k))!)));

  // Hostile names: SQL, paths, markup and the pipeline's own provenance column names, as headers and sheet names.
  const hostileHeaders = ['"; DROP TABLE staging.x; --', '_source_file', '_publication', '', 'a', 'a', 'A', 'select', 'x'.repeat(1000), '2020', 'line\nbreak', 'ünïcödé ✓', '  spaces  ', '=cmd|\' /C calc\'!A0'];
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const row = (i: number) => hostileHeaders.map((_, j) => (j === 0 ? `R${i}` : String(i * 10 + j))).join(',');
  await put({ name: 'hostile-headers.csv', expect: 'tables', why: 'headers that are SQL, duplicates, empty, reserved words, provenance column names, 1,000 characters, a formula' }, `${hostileHeaders.map(q).join(',')}\n${row(1)}\n${row(2)}\n${row(3)}\n`);
  await put({ name: 'hostile-sheets.xlsx', expect: 'tables', why: 'sheet names that are SQL, markup, traversal-looking, emoji, 31 characters' }, book({ "x'; DROP TABLE x; --": TABLE, '<script>alert(1)<': TABLE, '..%2F..%2Fetc%2Fpasswd': TABLE, 'Robert"); DROP': TABLE, '🙂 emoji 🙂': TABLE, ['x'.repeat(31)]: TABLE }));
  await put(
    { name: 'forbidden-sheet-names.xlsx', expect: 'either', why: 'sheet names Excel forbids (/ : [ ] and one of 300 characters), written into workbook.xml by hand' },
    rezip(book({ One: TABLE, Two: TABLE }), (f) => xml(f, 'xl/workbook.xml', (t) => t.replace('name="One"', 'name="../../a/b:c"').replace('name="Two"', `name="[${'y'.repeat(300)}]"`))),
  );
  await put({ name: 'formula-injection.csv', expect: 'tables', why: 'cells that are spreadsheet formulas (CSV injection) stay text' }, 'Code,Formula\nA1,=1+1\nA2,"=HYPERLINK(""http://x"",""y"")"\nA3,@SUM(1)\nA4,+1-1\n');

  // NUL bytes.
  await put({ name: 'nul-near-start.csv', expect: 'error', where: 'line', why: 'a NUL byte in the second line' }, 'Code,Name,Value\nA1,Al\u0000pha,1\nA2,Beta,2\n');
  await put({ name: 'nul-deep.csv', expect: 'error', where: 'line', why: 'a NUL byte 100 KB into a real CSV' }, Buffer.concat([sample.csv.subarray(0, 100_000), Buffer.from([0]), sample.csv.subarray(100_000)]));
  await put({ name: 'nul-in-cell.xlsx', expect: 'either', why: 'a NUL character reference in a shared string' }, rezip(book({ Data: TABLE }), (f) => xml(f, 'xl/sharedStrings.xml', (t) => t.replace('North', 'No&#0;rth'))));

  // Huge lines and sizes.
  await put({ name: 'long-line.csv', expect: 'error', where: 'line', why: 'a 40 MB line without a quote or a line break' }, Buffer.concat([Buffer.from('Code,Name\nA1,x\n'), Buffer.alloc(40 * 1024 * 1024, 'z'), Buffer.from('\nA2,y\n')]));
  await put({ name: 'open-quote.csv', expect: 'error', where: 'line', why: 'a quote opened on line 3 and never closed' }, 'Code,Name\nA1,x\nA2,"y\nA3,z\n');
  await put({ name: 'dimension-lie.xlsx', expect: 'tables', why: 'a sheet claiming A1:XFD1048576 with four rows: must not allocate the claimed grid' }, rezip(book({ Data: TABLE }), (f) => xml(f, 'xl/worksheets/sheet1.xml', (t) => t.replace(/<dimension ref="[^"]*"\/>/, '<dimension ref="A1:XFD1048576"/>'))));

  // Zip slip: member names that climb out of any folder they might be extracted to.
  const csvRows = new Uint8Array(Buffer.from('Code,Value\nA1,1\nA2,2\n'));
  await put({ name: 'zip-slip.zip', expect: 'either', members: 4, why: 'members named ../../evil.csv, /etc/evil.csv, ..\\..\\win.csv, a/../../b.csv' }, zipSync({ '../../evil.csv': csvRows, '/etc/evil.csv': csvRows, '..\\..\\win.csv': csvRows, 'a/../../b.csv': csvRows }));
  await put({ name: 'nested.zip', expect: 'either', why: 'a zip in a zip in a zip in a zip' }, zipSync({ 'l1.zip': zipSync({ 'l2.zip': zipSync({ 'l3.zip': zipSync({ 'deep.csv': csvRows }) }) }) }));
  await put({ name: 'empty.zip', expect: 'error', why: 'a zip with no members: no table and no reason' }, zipSync({}));
  await put({ name: 'pdf-only.zip', expect: 'either', members: 1, why: 'a zip holding only a PDF: no table, with the reason' }, zipSync({ 'notes.pdf': strToU8('%PDF-1.4\n%%EOF\n') }));

  // DOCTYPE and entity tricks in workbook XML (hole 4: must be refused, saying so).
  const doctype = (decl: string, use: string) => (t: string) => t.replace(/^(<\?xml[^>]*\?>\s*)?/, (m) => `${m}${decl}`).replace('North', use);
  await put({ name: 'doctype-sheet.xlsx', expect: 'error', why: 'sheet XML with an internal DOCTYPE' }, rezip(book({ Data: TABLE }), (f) => xml(f, 'xl/worksheets/sheet1.xml', doctype('<!DOCTYPE worksheet [<!ENTITY n "North">]>', 'North'))));
  const laughs = ['<!ENTITY l0 "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`)].join('');
  await put({ name: 'billion-laughs.xlsx', expect: 'error', why: 'shared strings with nested entities (a billion laughs)' }, rezip(book({ Data: TABLE }), (f) => xml(f, 'xl/sharedStrings.xml', doctype(`<!DOCTYPE sst [${laughs}]>`, '&l9;'))));
  await put({ name: 'xxe.xlsx', expect: 'error', why: 'an external entity naming /etc/passwd in the shared strings' }, rezip(book({ Data: TABLE }), (f) => xml(f, 'xl/sharedStrings.xml', doctype('<!DOCTYPE sst [<!ENTITY e SYSTEM "file:///etc/passwd">]>', '&e;'))));
  await put({ name: 'doctype-content.ods', expect: 'error', why: 'ODS content.xml with a DOCTYPE' }, rezip(book({ Data: TABLE }, 'ods'), (f) => xml(f, 'content.xml', doctype('<!DOCTYPE office:document-content [<!ENTITY n "North">]>', 'North'))));

  // Zip bombs inside workbook containers (hole 3: the .zip limits must apply to .xlsx and .ods too).
  const pad = ' '.repeat(24 * 1024 * 1024);
  await put({ name: 'bomb-sheet.xlsx', expect: 'error', why: 'sheet XML inflating to 24 MiB at over 1000:1' }, rezip(book({ Data: TABLE }), (f) => xml(f, 'xl/worksheets/sheet1.xml', (t) => t.replace('<sheetData>', `<sheetData>${pad}`))));
  await put({ name: 'bomb-content.ods', expect: 'error', why: 'ODS content.xml inflating to 24 MiB at over 1000:1' }, rezip(book({ Data: TABLE }, 'ods'), (f) => xml(f, 'content.xml', (t) => t.replace('<office:spreadsheet>', `<office:spreadsheet>${pad}`))));

  // One-column CSVs (hole 5: valid, refused as having no header row).
  await put({ name: 'one-column.csv', expect: 'tables', why: 'value\\n1\\n2\\n3' }, 'value\n1\n2\n3\n');
  await put({ name: 'one-column-text.csv', expect: 'tables', why: 'a one-column list of names, CRLF' }, 'name\r\nalpha\r\nbeta\r\ngamma\r\n');

  // Files that are not what their name says, or nothing at all.
  await put({ name: 'empty.csv', expect: 'error', why: '0 bytes' }, '');
  await put({ name: 'bom-only.csv', expect: 'error', why: 'a UTF-8 byte-order mark and nothing else' }, Buffer.from([0xef, 0xbb, 0xbf]));
  await put({ name: 'blank-lines.csv', expect: 'error', why: 'line breaks and spaces only' }, '\n\n   \n\r\n');
  await put({ name: 'only-commas.csv', expect: 'error', why: 'rows of empty fields' }, ',,,\n,,,\n,,,\n');
  await put({ name: 'header-only.csv', expect: 'error', why: 'a header and no rows' }, 'Code,Name,Value\n');
  await put({ name: 'ragged.csv', expect: 'error', where: 'line', why: 'a row with an extra field' }, 'Code,Name\nA1,x\nA2,y,extra\n');
  await put({ name: 'pdf.xlsx', expect: 'error', message: /PDF document/, why: 'a PDF named .xlsx' }, '%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n');
  await put({ name: 'page.csv', expect: 'error', why: 'an HTML error page named .csv' }, '<!DOCTYPE html><html><body>Not found</body></html>');
  await put({ name: 'docx.xlsx', expect: 'error', why: 'a Word document named .xlsx' }, zipSync({ '[Content_Types].xml': strToU8('<Types/>'), 'word/document.xml': strToU8('<w:document/>') }));
  await put({ name: 'random.xls', expect: 'error', why: '64 KiB of random bytes named .xls' }, Buffer.from(Array.from({ length: 65536 }, () => Math.floor(random() * 256))));
  await put({ name: 'empty-sheet.xlsx', expect: 'either', why: 'a workbook whose only sheet is empty: no table, with the reason' }, book({ Empty: [] }));
  await put({ name: 'utf16.csv', expect: 'tables', why: 'UTF-16LE with a byte-order mark' }, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Code,Name\r\nA1,Ünïcode\r\nA2,x\r\n', 'utf16le')]));
  await put({ name: 'cr-only.csv', expect: 'tables', why: 'old Mac line endings (CR only)' }, 'Code,Name\rA1,x\rA2,y\r');
  return cases;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, seed] = process.argv.slice(2);
  if (!dir) throw new Error('usage: npx tsx tests/corpus/generate.ts OUT_DIR [SEED]');
  const cases = await generateCorpus(dir, seed ? Number(seed) : undefined);
  for (const c of cases) console.log(`${c.name.padEnd(34)} ${c.expect.padEnd(7)} ${c.hole ? `hole ${c.hole} ` : c.finding ? 'finding' : '       '} ${c.why}`);
  console.log(`${cases.length} files in ${dir}`);
}
