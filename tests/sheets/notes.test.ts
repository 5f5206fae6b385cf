/**
 * Notes, definitions and contents sheets (issue 11): what a workbook says beside its tables is kept
 * so that `[note N]` in a header can be resolved and tables described in the publisher's words.
 */
import { describe, expect, it } from 'vitest';
import { describeFile, noteReferences, type FileExtraction } from '../../lib/sheets/index.ts';
import { sample } from './helpers.ts';

const byKey = (ex: FileExtraction, key: string) => ex.notes?.find((n) => n.key === key);

describe('notes sheets', () => {
  it('GP earnings: the 32 numbered notes of the Notes sheet, the contents lines and the definitions', async () => {
    const ex = await describeFile(sample('gp-earnings-expenses/gpearnextime_202223.xlsx'));
    const numbered = ex.notes!.filter((n) => n.kind === 'numbered');
    expect(numbered.map((n) => n.key)).toEqual(Array.from({ length: 32 }, (_, i) => `note ${i + 1}`));
    expect(byKey(ex, 'note 28')).toMatchObject({ sheet: 'Notes', cell: 'B31', text: 'GPMS results are those of GMS and PMS GPs together' });
    expect(byKey(ex, 'note 4')!.text).toMatch(/^r 2014\/15 Income Before Tax and Gross Earnings figures have been recalculated/);
    expect(byKey(ex, 'Table 6. Contractor distribution')!.text).toMatch(/^Distribution of gross earnings, expenses and income before tax for contractor GPs/);
    expect(byKey(ex, 'Rurality')).toMatchObject({ sheet: 'Definitions and Changes', kind: 'definition' });
    // Boilerplate is not a note.
    expect(ex.notes!.some((n) => /return to contents/i.test(n.key + n.text))).toBe(false);
  });

  it('A&E: a notes list numbered 1 to 5 in a sheet called Notes', async () => {
    const ex = await describeFile(sample('ae-attendances-emergency-admissions/Monthly-AE-Time-Series-March-2024.xls'));
    expect(ex.notes!.filter((n) => n.kind === 'numbered').map((n) => n.key)).toEqual(['note 1', 'note 2', 'note 3', 'note 4', 'note 5']);
    expect(byKey(ex, 'note 1')!.text).toMatch(/^Figures from Nov 2010 to May 2015 have been estimated/);
  });

  it('CCG outcomes: headed paragraphs in one cell each', async () => {
    const ex = await describeFile(sample('ccg-outcomes-indicator-set/CCG_1_2_I00754_D.xls'));
    expect(byKey(ex, 'Rounding')!.text).toBe('Indicator values are presented at 1 decimal place');
    expect(byKey(ex, 'Disclosure control/Missing Values')!.text).toBe('* = data have been suppressed due to small numbers\n- = no figure to report.');
  });

  it('a CSV has no notes', async () => {
    const ex = await describeFile(sample('out-of-area-placements/oaps-open-data-oct-2016.csv'));
    expect(ex.notes).toBeUndefined();
  });

  it('finds note references in headers and captions', () => {
    expect(noteReferences('2002/03 \n[note 1] [note 3]')).toEqual(['note 1', 'note 3']);
    expect(noteReferences('Real Terms [Note7] - England [note 7]')).toEqual(['note 7']);
    expect(noteReferences('Income Before Tax')).toEqual([]);
  });
});

describe('captions', () => {
  it('a title above a footnote sentence is the caption (GP earnings sheets 6 and 12)', async () => {
    const ex = await describeFile(sample('gp-earnings-expenses/gpearnextime_202223.xlsx'));
    const six = ex.tables.find((t) => t.sheet === '6. Contractor Distribution')!;
    expect(six.caption).toMatch(/^Contractor GP Distribution of Self Employment Gross Earnings/);
    const twelve = ex.tables.find((t) => t.sheet === '12. Salaried Distribution')!;
    expect(twelve.caption).toMatch(/^Salaried GP Distribution of Income Before Tax/);
  });
});
