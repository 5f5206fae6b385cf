/** Column statistics over every value: type, empties, markers, samples and range, whatever the row count. */
import { describe, expect, it } from 'vitest';
import { ColumnStats } from '../../lib/sheets/column-stats.ts';

const column = (values: (string | number | null)[]) => {
  const s = new ColumnStats();
  for (const v of values) s.add(v);
  return s.toColumn({ index: 0, sourceColumn: '1', rawHeader: 'X', name: 'X' });
};

describe('ColumnStats', () => {
  it('samples are the first three distinct values, however late the third appears', () => {
    const c = column([...Array<string>(5000).fill('N'), 'Y', ...Array<string>(5000).fill('N'), 'U', 'Z']);
    expect(c.samples).toEqual(['N', 'Y', 'U']);
    expect(c.type).toBe('text');
  });

  it('a numeric column keeps markers out of its samples and counts them; its range spans every value', () => {
    const c = column(['12', '*', '7', null, '', 'c', '1,204', '*', '3']);
    expect(c).toMatchObject({ type: 'integer', nullCount: 2, markers: { '*': 2, c: 1 }, samples: ['12', '7', '1,204'], range: { min: '3', max: '1204' } });
  });

  it('a text column keeps `x` and `c` as values, and samples them', () => {
    const c = column(['Unknown', 'x', 'c', 'x']);
    expect(c).toMatchObject({ type: 'text', markers: {}, samples: ['Unknown', 'x', 'c'] });
  });
});
