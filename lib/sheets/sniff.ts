/**
 * Format detection from magic bytes, not file names: NHS servers return HTML error pages saved as
 * `.xlsx`, CSVs named `.xls`, and encrypted OOXML workbooks that look like legacy `.xls` files.
 */
import type { ByteSource, RandomAccess } from './bytes.ts';
import { SheetError, type SheetLocation } from './types.ts';
import { listZip, type ZipEntry } from './zip.ts';

/** What a blob of bytes is. */
export type Sniffed =
  | { format: 'xlsx' | 'xlsm' | 'ods'; entries: ZipEntry[] }
  | { format: 'zip'; entries: ZipEntry[] }
  | { format: 'xls' }
  | { format: 'csv'; misnamed?: string };

/** Bytes plus a way to open them for random access (needed to look inside zips). */
export interface Blob {
  source: ByteSource;
  access(): Promise<RandomAccess>;
}

const OLE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

function extension(name: string): string {
  const m = /\.([A-Za-z0-9]+)$/.exec(name);
  return m ? m[1].toLowerCase() : '';
}

function containsUtf16(bytes: Uint8Array, text: string): boolean {
  const needle = Buffer.from(text, 'utf16le');
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).includes(needle);
}

/** Sector numbers from here up are markers (end of chain, free, allocation-table sectors), not sectors. */
const MAX_SECTOR = 0xfffffffa;

/**
 * Why an OLE compound file (legacy `.xls`) is cut short, or undefined when every sector it uses is
 * present. The header gives the sector size and lists the sectors of the allocation table; the table
 * marks each sector of the file used or free. A used sector past the end of the file means the bytes
 * stop early (SheetJS then fails with an internal TypeError that says nothing of the kind).
 */
function oleTruncation(all: Uint8Array): string | undefined {
  const size = all.length;
  if (size < 512) return `the file is ${size} bytes, shorter than the 512-byte header of an .xls file`;
  const view = new DataView(all.buffer, all.byteOffset, all.byteLength);
  const shift = view.getUint16(0x1e, true);
  if (shift !== 9 && shift !== 12) return undefined; // not a header SheetJS can read either; let it say why
  const sectorSize = 1 << shift;
  const entries = sectorSize / 4;
  const offset = (sector: number) => (sector + 1) * sectorSize;
  const bytes = (n: number) => n.toLocaleString('en-GB');
  const beyond = (what: string, at: number) => `${what} is at byte ${bytes(at)} but the file is only ${bytes(size)} bytes`;
  // Where the allocation table's sectors are: 109 in the header, the rest in a chain of DIFAT sectors.
  const fatCount = view.getUint32(0x2c, true);
  const fat: number[] = [];
  for (let i = 0; i < Math.min(fatCount, 109); i++) fat.push(view.getUint32(0x4c + 4 * i, true));
  let difat = view.getUint32(0x44, true);
  for (let n = view.getUint32(0x48, true); n > 0 && fat.length < fatCount && difat < MAX_SECTOR; n--) {
    if (offset(difat) + sectorSize > size) return beyond('part of its allocation table', offset(difat));
    for (let e = 0; e < entries - 1 && fat.length < fatCount; e++) fat.push(view.getUint32(offset(difat) + 4 * e, true));
    difat = view.getUint32(offset(difat) + 4 * (entries - 1), true);
  }
  // The highest sector a chain of the allocation table links (from or to) must be in the file. Only
  // links count: writers pad the table's last sector with "free" (Excel) or "end of chain" (SheetJS).
  let lastUsed = -1;
  for (const [i, sector] of fat.entries()) {
    if (sector >= MAX_SECTOR) continue; // free or special
    if (offset(sector) >= size) return beyond('its allocation table', offset(sector));
    for (let e = 0; e < entries && offset(sector) + 4 * e + 4 <= size; e++) {
      const next = view.getUint32(offset(sector) + 4 * e, true);
      if (next < MAX_SECTOR) lastUsed = Math.max(lastUsed, i * entries + e, next);
    }
  }
  if (lastUsed >= 0 && offset(lastUsed) >= size) {
    return `it uses sectors up to byte ${bytes(offset(lastUsed) + sectorSize)} but the file is only ${bytes(size)} bytes`;
  }
  return undefined;
}

/**
 * Text apart from a few NUL bytes (a damaged CSV): no other control characters, and NULs a small share. It
 * is read as CSV, which says on which line and column the NUL is, instead of calling the file binary.
 */
function textWithNuls(head: Uint8Array): boolean {
  let nuls = 0;
  for (const b of head) {
    if (b === 0) nuls++;
    else if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  }
  return nuls <= Math.max(4, head.length / 100);
}

/** Decides the format of `blob` (published as `name`). Throws SheetError for anything unreadable. */
export async function sniff(blob: Blob, name: string, loc: SheetLocation): Promise<Sniffed> {
  if (blob.source.size === 0) {
    throw new SheetError('File is empty (0 bytes)', loc, 'Download it again; the server returned no content.');
  }
  const head = await blob.source.head(4096);
  if (head.length === 0) throw new SheetError('File is empty (0 bytes)', loc, 'Download it again; the server returned no content.');
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05) && (head[3] === 0x04 || head[3] === 0x06)) {
    const ra = await blob.access();
    let entries: ZipEntry[];
    try {
      entries = await listZip(ra, loc);
    } finally {
      await ra.close();
    }
    const names = new Set(entries.map((e) => e.name));
    if (names.has('xl/workbook.xml') || names.has('xl/workbook.bin')) {
      return { format: names.has('xl/vbaProject.bin') || extension(name) === 'xlsm' ? 'xlsm' : 'xlsx', entries };
    }
    if (names.has('content.xml') && names.has('mimetype')) return { format: 'ods', entries };
    if (names.has('[Content_Types].xml') && names.has('word/document.xml')) {
      throw new SheetError('File is a Word document, not a spreadsheet', loc, 'Pick the spreadsheet link on the publication page instead.');
    }
    return { format: 'zip', entries };
  }
  if (OLE.every((b, i) => head[i] === b)) {
    const all = await blob.source.readAll();
    if (containsUtf16(all, 'EncryptionInfo') || containsUtf16(all, 'EncryptedPackage')) {
      throw new SheetError('Workbook is password-protected or encrypted', loc, 'Ask the publisher for an unprotected copy; encrypted workbooks cannot be read.');
    }
    const cut = oleTruncation(all);
    if (cut) throw new SheetError(`Workbook is truncated: ${cut}`, loc, 'The download was cut short; download it again.');
    if (!containsUtf16(all, 'Workbook') && !containsUtf16(all, 'Book')) {
      throw new SheetError('File is an OLE compound document without a workbook stream (e.g. a .doc)', loc, 'Pick the spreadsheet link on the publication page instead.');
    }
    return { format: 'xls' };
  }
  // A PDF is text up to its first stream, so it would otherwise be read as a CSV "with no header row".
  if (Buffer.from(head.subarray(0, 5)).toString('latin1') === '%PDF-') {
    throw new SheetError('File is a PDF document, not a spreadsheet', loc, 'Pick the spreadsheet (xlsx, xls, ods, csv or zip) link on the publication page instead.');
  }
  const utf16 = (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff);
  if (!utf16 && head.includes(0) && !textWithNuls(head)) {
    throw new SheetError('File is binary data in no recognised spreadsheet format', loc, 'Check the link: expected xlsx, xls, ods, csv or zip.');
  }
  const text = new TextDecoder(utf16 ? (head[0] === 0xff ? 'utf-16le' : 'utf-16be') : 'utf-8').decode(head).replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('<')) {
    if (/<!doctype html|<html|<head|<body|<title/i.test(text)) {
      throw new SheetError(
        `File "${name}" is an HTML web page, not a spreadsheet`,
        loc,
        'The server returned a web page (an error, login or cookie page) instead of the file; check the URL and download it again.',
      );
    }
    throw new SheetError(`File "${name}" is an XML document, not a supported spreadsheet`, loc, 'Save it as .xlsx or .csv, or pick another link.');
  }
  const ext = extension(name);
  return { format: 'csv', ...(['xlsx', 'xlsm', 'xls', 'ods'].includes(ext) ? { misnamed: ext } : {}) };
}
