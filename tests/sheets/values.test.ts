/** toPgText: conversions to PostgreSQL input text, markers, and errors for a too-narrow type. */
import { describe, expect, it } from 'vitest';
import { SheetError, toPgText } from '../../lib/sheets/index.ts';

describe('toPgText', () => {
  it('dates in the published forms become ISO dates', () => {
    expect(toPgText(40391, 'date').text).toBe('2010-08-01'); // Excel serial
    expect(toPgText(new Date(Date.UTC(2024, 0, 31)), 'date').text).toBe('2024-01-31');
    expect(toPgText('01JAN2021', 'date').text).toBe('2021-01-01');
    expect(toPgText('MAR2019', 'date').text).toBe('2019-03-01');
    expect(toPgText('2017/02', 'date').text).toBe('2017-02-01');
    expect(toPgText('01/05/2025', 'date').text).toBe('2025-05-01'); // UK day-first
    expect(toPgText('2024-01-31', 'date').text).toBe('2024-01-31');
  });

  it('numbers from currency, percent and exponent strings', () => {
    expect(toPgText('£482,400', 'integer')).toEqual({ text: '482400', marker: null });
    expect(toPgText('+2.7%', 'numeric')).toEqual({ text: '2.7', marker: null });
    expect(toPgText('-8.6%', 'numeric').text).toBe('-8.6');
    expect(toPgText('5.03563e+006', 'numeric').text).toBe('5035630');
    expect(toPgText(' 0.986666667 ', 'numeric').text).toBe('0.986666667');
    expect(toPgText(3000000000, 'bigint').text).toBe('3000000000');
    expect(toPgText('TRUE', 'boolean').text).toBe('true');
  });

  it('markers and censored values in non-text columns; nothing is a marker in text columns', () => {
    expect(toPgText('*', 'integer')).toEqual({ text: null, marker: '*' });
    expect(toPgText('[c]', 'numeric')).toEqual({ text: null, marker: '[c]' });
    expect(toPgText('52+', 'numeric')).toEqual({ text: null, marker: '52+' });
    expect(toPgText('x', 'text')).toEqual({ text: 'x', marker: null });
    expect(toPgText('c', 'text')).toEqual({ text: 'c', marker: null });
    expect(toPgText('unknown', 'text')).toEqual({ text: 'unknown', marker: null });
    expect(toPgText('', 'integer')).toEqual({ text: null, marker: null });
    expect(toPgText(null, 'text')).toEqual({ text: null, marker: null });
  });

  it('trims outer whitespace, keeps inner double spaces and leading-zero codes', () => {
    expect(toPgText('  8  to 14 Days ', 'text').text).toBe('8  to 14 Days');
    expect(toPgText('01234', 'text').text).toBe('01234');
  });

  it('throws a SheetError naming the cell when a value does not fit a narrower type', () => {
    const where = { file: 'x.xlsx', sheet: 'Data', cell: 'C7' };
    expect(() => toPgText('2.5', 'integer', where)).toThrow(SheetError);
    expect(() => toPgText('2.5', 'integer', where)).toThrow(/"2\.5" cannot be stored in an integer column \(x\.xlsx, sheet "Data", cell C7\)/);
    expect(() => toPgText('00J', 'integer', where)).toThrow(/cannot be stored/);
    expect(() => toPgText('3000000000', 'integer', where)).toThrow(/cannot be stored/);
    expect(() => toPgText('2021/22', 'date', where)).toThrow(/cannot be stored in a date column/);
  });
});
