/**
 * Column statistics: everything needed to describe one column (its type, empties, markers, samples,
 * range), accumulated one value at a time over every value of the column (no sampling).
 */
import type { ColumnInfo, ColumnType, Cell } from './types.ts';
import { isNoteText, splitAnnotated, type Annotated } from './annotations.ts';
import { cellText, classify, dateToIso, lastPlainValue, parseDateText, parseNumberText, plainNumber, trimText, type ValueKind } from './values.ts';

/** Bits of the value kinds a column has held (markers and empties are not kinds of data). */
const K_BOOL = 1;
const K_INT = 2;
const K_BIGINT = 4;
const K_NUM = 8;
const K_DATE = 16;
const K_TEXT = 32;
const KIND_BIT: Record<ValueKind, number> = { empty: 0, marker: 0, bool: K_BOOL, int: K_INT, bigint: K_BIGINT, num: K_NUM, date: K_DATE, text: K_TEXT };

/** What `classify` said about a string value, with its ISO date when it is one; for a text value, whether it is an annotated number or a note. */
interface Known {
  /** The string itself (the memo's key), to tell a slot's value from another that shares the slot. */
  text: string;
  kind: ValueKind;
  iso?: string;
  /** Set for text values: the annotated number (or marker) it holds, or `note` for a phrase that may stand in for a figure. */
  annotated?: Annotated | 'note' | 'text';
}

/** Slots of the per-column cache in front of the memo (a power of two). */
const SLOTS = 32;

/**
 * A slot for a string from its length and three of its characters: repeated values find their memo
 * entry by one comparison, without `Map.get`, which hashes every new string (each cell is a new
 * string): profiled on 1M rows, ~36 ms of memo lookups became ~10 ms. Values that share a slot take
 * turns; the memo still has them.
 */
function slotOf(s: string): number {
  const n = s.length;
  return (n * 7 + s.charCodeAt(0) * 3 + s.charCodeAt(n >> 1) * 5 + s.charCodeAt(n - 1)) & (SLOTS - 1);
}

/** Distinct note phrases beyond which a column's phrases are its values (a text column), not notes. */
const MAX_NOTES = 20;

/**
 * Accumulates everything needed to describe one column, one value at a time (no sampling). This runs
 * on every cell of every file, so strings take fast paths: plain numbers are recognised by a
 * character scan, repeated values (categories, months, markers) by a memo, and once a column holds
 * text only emptiness and samples are tracked.
 */
export class ColumnStats {
  nullCount = 0;
  private kinds = 0;
  private markerCounts = new Map<string, number>();
  private realSamples: string[] = [];
  private collectingSamples = true;
  private markerSamples: string[] = [];
  private minDate?: string;
  private maxDate?: string;
  /** ±Infinity until a finite number is seen: always numbers, compared without a test for undefined first. */
  private minNum = Infinity;
  private maxNum = -Infinity;

  /** Kinds (and dates) of recently seen strings: NHS columns repeat the same categories, months and markers millions of times. */
  private memo = new Map<string, Known>();
  /** Memo entries seen last, by `slotOf` (they hold the memo's key strings, so no chunk of the file is kept for them). */
  private slots: (Known | undefined)[] = new Array(SLOTS).fill(undefined);
  /** Once a column holds text its type is settled; later values only count as empty or not. */
  private settledText = false;
  /** Numbers seen (annotated ones included): notes make a column text unless numbers outnumber them. */
  private numbers = 0;
  /** Phrases seen where a figure could be (`now in "Other"`), and how often. */
  private notes = new Map<string, number>();
  /** Annotations split off numbers (`r`, `[note 4]`, `percentage points`), and how often. */
  private annotationCounts = new Map<string, number>();

  /** Adds one value of the column. */
  add(raw: Cell | undefined): void {
    if (typeof raw === 'string') {
      // A text column past its samples only counts empties: done here, small enough to be inlined
      // into the caller's loop, without the call to addString for each of its values.
      if (this.settledText && !this.collectingSamples) {
        if (trimText(raw) === '') this.nullCount++;
      } else this.addString(raw);
    }
    else if (raw === null || raw === undefined) this.nullCount++;
    else this.addValue(raw);
  }

  /** Adds one value of a derived row, where percent units and bracketed shares are annotations too. */
  addDerived(raw: Cell | undefined): void {
    const split = typeof raw === 'string' && !this.settledText ? splitAnnotated(raw, true) : undefined;
    if (!split) return this.add(raw);
    this.annotation(split.note);
    this.addString(split.core);
  }

  /** What `s` is: from its slot, else from the memo, else classified (and memoised while the memo has room). */
  private lookup(s: string): Known {
    const slot = slotOf(s);
    const seen = this.slots[slot];
    if (seen !== undefined && seen.text === s) return seen;
    let known = this.memo.get(s);
    if (known === undefined) {
      const kind = classify(s);
      known = kind === 'date' ? { text: s, kind, iso: parseDateText(s) } : kind === 'text' ? { text: s, kind, annotated: splitAnnotated(s, false) ?? (isNoteText(s) ? 'note' : 'text') } : { text: s, kind };
      if (this.memo.size >= 1024) return known; // not memoised: kept out of the slots too
      this.memo.set(s, known);
    }
    this.slots[slot] = known;
    return known;
  }

  private annotation(note: string): void {
    this.annotationCounts.set(note, (this.annotationCounts.get(note) ?? 0) + 1);
  }

  private addString(raw: string): void {
    const s = trimText(raw);
    if (s === '') {
      this.nullCount++;
      return;
    }
    if (this.settledText) {
      if (this.collectingSamples) this.sample(s);
      return;
    }
    const plain = plainNumber(s);
    if (plain !== 0) {
      this.kinds |= plain === 1 ? K_INT : K_NUM;
      this.numbers++;
      this.number(lastPlainValue());
      if (this.collectingSamples) this.sample(s);
      return;
    }
    const known = this.lookup(s);
    if (known.annotated === 'note') {
      this.note(s);
      return;
    }
    if (known.annotated !== undefined && known.annotated !== 'text') {
      this.annotation(known.annotated.note);
      this.addString(known.annotated.core);
      return;
    }
    const kind = known.kind;
    if (kind === 'empty') {
      this.nullCount++;
      return;
    }
    if (kind === 'marker') {
      this.marker(s);
      return;
    }
    this.kinds |= KIND_BIT[kind];
    if (kind === 'text') this.settledText = true;
    else if (kind === 'date') this.date(known.iso);
    else if (kind !== 'bool') {
      this.numbers++;
      // Number() reads plain numbers; published forms (`1,234`, `£5`, `+2.7%`) need the full parse.
      let n = Number(s);
      if (Number.isNaN(n)) n = Number(parseNumberText(s)?.text);
      this.number(n);
    }
    if (this.collectingSamples) this.sample(s);
  }

  /** A typed workbook value (number, boolean, Date). */
  private addValue(raw: number | boolean | Date): void {
    if (this.settledText) {
      if (this.collectingSamples) this.sample(cellText(raw));
      return;
    }
    const kind = classify(raw);
    const text = cellText(raw);
    if (kind === 'empty') {
      this.nullCount++;
      return;
    }
    if (kind === 'marker') {
      this.marker(text);
      return;
    }
    this.kinds |= KIND_BIT[kind];
    if (kind === 'text') this.settledText = true;
    else if (kind === 'date') this.date(raw instanceof Date ? dateToIso(raw) : undefined);
    else if (kind !== 'bool' && typeof raw === 'number') {
      this.numbers++;
      this.number(raw);
    }
    if (this.collectingSamples) this.sample(text);
  }

  /** A phrase where a figure could be; too many distinct ones and they are the column's values. */
  private note(s: string): void {
    this.notes.set(s, (this.notes.get(s) ?? 0) + 1);
    if (this.notes.size > MAX_NOTES) this.notesAreText();
  }

  /** The notes were text after all: the column settles as text, with them among its samples. */
  private notesAreText(): void {
    for (const n of this.notes.keys()) if (this.collectingSamples) this.sample(n);
    this.notes.clear();
    this.kinds |= K_TEXT;
    this.settledText = true;
  }

  /** Notes stand in for figures only in a column of numbers, and only while numbers outnumber them. */
  private get notesAreNotes(): boolean {
    let count = 0;
    for (const n of this.notes.values()) count += n;
    const k = this.kinds;
    return count < this.numbers && !(k & (K_TEXT | K_DATE | K_BOOL)) && (k & (K_INT | K_BIGINT | K_NUM)) !== 0;
  }

  private marker(text: string): void {
    this.markerCounts.set(text, (this.markerCounts.get(text) ?? 0) + 1);
    if (this.markerSamples.length < 3 && !this.markerSamples.includes(text)) this.markerSamples.push(text);
  }

  /**
   * Samples are the column's first three distinct values (a column of fewer keeps comparing, against at
   * most two). A loop, not `includes`: a column of one or two values (`GP`/`Other`) calls this for every
   * value, and the two comparisons cost a little less than the builtin (profiled: 27 ms, not 31, per 1M values).
   */
  private sample(text: string): void {
    const samples = this.realSamples;
    for (let i = 0; i < samples.length; i++) if (samples[i] === text) return;
    samples.push(text);
    if (samples.length === 3) this.collectingSamples = false;
  }

  /** Keeps the smallest and largest date and number (the draft reads a file's period from a period column's range). */
  private date(iso: string | undefined): void {
    if (!iso) return;
    if (this.minDate === undefined || iso < this.minDate) this.minDate = iso;
    if (this.maxDate === undefined || iso > this.maxDate) this.maxDate = iso;
  }

  private number(n: number): void {
    if (!Number.isFinite(n)) return;
    if (n < this.minNum) this.minNum = n;
    if (n > this.maxNum) this.maxNum = n;
  }

  /** The narrowest type that holds every non-marker value. */
  get type(): ColumnType {
    const k = this.kinds;
    // A column of markers only (GP Earnings 1c 2005/06: `:` in every row) holds no text: its figures are all withheld.
    if (k === 0) return this.markerCounts.size ? 'integer' : 'text';
    if (k & K_TEXT) return 'text';
    if (k & K_DATE) return k === K_DATE ? 'date' : 'text';
    if (k === K_BOOL) return 'boolean';
    return k & K_NUM ? 'numeric' : k & K_BIGINT ? 'bigint' : 'integer';
  }

  /** Builds the public column description. In a text column markers are ordinary values. */
  toColumn(base: Pick<ColumnInfo, 'index' | 'sourceColumn' | 'rawHeader' | 'name'>): ColumnInfo {
    if (this.notes.size && !this.notesAreNotes) this.notesAreText();
    const type = this.type;
    const annotations: Record<string, number> = {};
    if (type !== 'text') for (const [a, n] of [...this.annotationCounts, ...this.notes].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) annotations[a] = (annotations[a] ?? 0) + n;
    const markers: Record<string, number> = {};
    if (type !== 'text') for (const [m, n] of [...this.markerCounts].sort()) markers[m] = n;
    const samples = type === 'text' ? [...this.realSamples, ...this.markerSamples].slice(0, 3) : this.realSamples;
    const range =
      type === 'date' && this.minDate && this.maxDate
        ? { min: this.minDate, max: this.maxDate }
        : (type === 'integer' || type === 'bigint' || type === 'numeric') && this.minNum !== Infinity
          ? { min: String(this.minNum), max: String(this.maxNum) }
          : undefined;
    return { ...base, type, nullCount: this.nullCount, markers, samples, ...(range ? { range } : {}), ...(Object.keys(annotations).length ? { annotations } : {}) };
  }
}
