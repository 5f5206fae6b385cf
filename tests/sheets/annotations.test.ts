/** Annotated values: what is split off a published figure, and what is left alone. */
import { describe, expect, it } from 'vitest';
import { annotateCell, isNoteText, splitAnnotated } from '../../lib/sheets/annotations.ts';
import { ColumnStats } from '../../lib/sheets/column-stats.ts';

describe('annotations on published figures', () => {
  it('splits revision flags, note references and footnote marks off numbers and markers', () => {
    expect(splitAnnotated('£194,800 r', false)).toEqual({ core: '£194,800', note: 'r' });
    expect(splitAnnotated('1,234 [note 4]', false)).toEqual({ core: '1,234', note: '[note 4]' });
    expect(splitAnnotated('1,234p [note 4]', false)).toEqual({ core: '1,234', note: 'p [note 4]' });
    expect(splitAnnotated('56*', false)).toEqual({ core: '56', note: '*' });
    expect(splitAnnotated('12.5 (e)', false)).toEqual({ core: '12.5', note: 'e' });
    expect(splitAnnotated('c [note 3]', false)).toEqual({ core: 'c', note: '[note 3]' });
    expect(splitAnnotated('+3.5 Percentage Points', false)).toEqual({ core: '+3.5', note: 'percentage points' });
  });

  it('reads a percent unit and a bracketed share as annotations only in derived rows', () => {
    expect(splitAnnotated('(6.2%)', false)).toBeUndefined();
    expect(splitAnnotated('(6.2%)', true)).toEqual({ core: '6.2%', note: '%' });
    expect(splitAnnotated('+2.7%', true)).toEqual({ core: '+2.7%', note: '%' });
    expect(splitAnnotated('+2.7%', false)).toBeUndefined();
  });

  it('leaves words, codes and plain values alone', () => {
    for (const s of ['Type 1', 'Year 2022p', 'E38000001', 'r', 'Total', '2021/22', 'SIG']) expect(splitAnnotated(s, false)).toBeUndefined();
    expect(isNoteText('now in "Other"')).toBe(true);
    for (const s of ['01', 'NULL', 'E38000001', 'Total', '01/05/2025', 'c']) expect(isNoteText(s)).toBe(false);
  });

  it('a cell of a number column: the bare number or null, and the annotation', () => {
    expect(annotateCell('£194,800 r', 'integer', false)).toEqual({ value: '£194,800', note: 'r' });
    expect(annotateCell('now in "Other"', 'integer', false)).toEqual({ value: null, note: 'now in "Other"' });
    expect(annotateCell('£194,800 r', 'text', false)).toEqual({ value: '£194,800 r' });
    expect(annotateCell(1400, 'integer', false)).toEqual({ value: 1400 });
    expect(annotateCell('c', 'integer', false)).toEqual({ value: 'c' });
  });

  it('a column is text only when its values are text: notes need a majority of numbers', () => {
    const numbers = new ColumnStats();
    for (const v of [1, 2, 3, 'now in "Other"', '4 r', 'c']) numbers.add(v);
    expect(numbers.toColumn({ index: 0, sourceColumn: 'A', rawHeader: 'x', name: 'x' })).toMatchObject({ type: 'integer', annotations: { 'now in "Other"': 1, r: 1 }, markers: { c: 1 } });
    const words = new ColumnStats();
    for (const v of ['now in "Other"', 'not collected', 1]) words.add(v);
    const col = words.toColumn({ index: 0, sourceColumn: 'A', rawHeader: 'x', name: 'x' });
    expect(col.type).toBe('text');
    expect(col.annotations).toBeUndefined();
    expect(col.samples).toEqual(expect.arrayContaining(['now in "Other"', 'not collected']));
    const codes = new ColumnStats();
    for (const v of ['1', '2', '3', '01']) codes.add(v);
    expect(codes.toColumn({ index: 0, sourceColumn: 'A', rawHeader: 'x', name: 'x' }).type).toBe('text');
  });
});
