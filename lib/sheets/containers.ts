/**
 * What is checked inside an `.xlsx`/`.xlsm`/`.ods` before SheetJS reads it. Such a workbook is a zip, and SheetJS
 * inflates every part in memory and parses its XML without asking: a 1 MB file whose sheet inflates to 1 GiB, a
 * sheet with a DOCTYPE (entities that expand to gigabytes, or name local files), or a part cut short inside an intact
 * archive all came out as "0 tables" and exit 0, or as half a sheet. So, first: the zip-bomb limits of `.zip` files;
 * then every XML part is inflated once, streamed (only its first and last bytes kept), and refused when it declares
 * a DOCTYPE or its root element is not closed.
 */
import { throwIfAborted, type RandomAccess } from './bytes.ts';
import { SheetError, type SheetLocation } from './types.ts';
import { checkZipLimits, memberSource, type ZipEntry, type ZipLimits } from './zip.ts';

/** The parts a reader parses, and the element each must end with. */
const PARTS: [RegExp, RegExp][] = [
  [/^xl\/worksheets\/[^/]+\.xml$/i, /<\/(?:\w+:)?worksheet>\s*$/],
  [/^xl\/sharedStrings\.xml$/i, /<\/(?:\w+:)?sst>\s*$/],
  [/^xl\/workbook\.xml$/i, /<\/(?:\w+:)?workbook>\s*$/],
  [/^content\.xml$/, /<\/(?:\w+:)?document-content>\s*$/],
];
const HEAD = 4096;
const TAIL = 256;

/** Throws SheetError naming the part when the container is a bomb, a part declares a DOCTYPE, or a part is cut short. */
export async function checkContainer(ra: RandomAccess, entries: ZipEntry[], limits: ZipLimits, loc: SheetLocation, signal?: AbortSignal): Promise<void> {
  checkZipLimits(entries, limits, loc);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  for (const e of entries) {
    const part = PARTS.find(([name]) => name.test(e.name));
    if (!part) continue;
    throwIfAborted(signal);
    let head = '';
    let tail: Uint8Array = new Uint8Array(0);
    let size = 0;
    for await (const chunk of memberSource(ra, e, loc).stream(signal)) {
      if (head.length < HEAD) head += decoder.decode(chunk.subarray(0, HEAD - head.length));
      tail = chunk.length >= TAIL ? chunk.subarray(chunk.length - TAIL) : concatTail(tail, chunk);
      size += chunk.length;
    }
    if (/<!DOCTYPE/i.test(head)) {
      throw new SheetError(
        `Workbook part "${e.name}" declares a DOCTYPE, which a spreadsheet never needs: refused`,
        loc,
        'A DOCTYPE can define entities that expand to gigabytes or read files on this machine; ask the publisher for a clean copy.',
      );
    }
    const end = new TextDecoder('utf-8', { fatal: false }).decode(tail);
    if (!part[1].test(end)) {
      throw new SheetError(
        `Workbook part "${e.name}" is cut short: its ${size.toLocaleString('en-GB')} bytes end without the closing tag of its root element`,
        loc,
        'The file was damaged before or during the download; download it again, or ask the publisher for a complete copy.',
      );
    }
  }
}

function concatTail(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.min(TAIL, a.length + b.length));
  const fromA = out.length - b.length;
  out.set(a.subarray(a.length - fromA), 0);
  out.set(b, fromA);
  return out;
}
