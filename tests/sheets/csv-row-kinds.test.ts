/**
 * The CSV describe pass counts row kinds in the same scan as the column statistics, and hands the
 * totals counter only the rows with a possible total label (`TotalsCounter.addUnlabelled` for the
 * rest). These tests hold its counts against a totals counter given every row (`TotalsCounter.add`), and
 * against the kinds the read pass gives the rows, for tables with and without a level column.
 * The files are built here; nothing expected is written down.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFile, type SourceFile } from '../../lib/sheets/index.ts';
import { TotalsCounter, noRows } from '../../lib/sheets/row-kinds.ts';
import { collect } from './helpers.ts';

let dir: string;
const file = (name: string): SourceFile => ({ path: join(dir, name), name });

/** Rows of a provider table: nations, levels, total and subtotal labels, blank and long cells, and rows with none of these. */
function rows(withLevel: boolean): string[][] {
  const out: string[][] = [];
  const nations = ['England', 'Scotland', 'Wales', 'Northern Ireland'];
  for (let i = 0; i < 400; i++) {
    const label = i % 50 === 49 ? 'Total' : i % 97 === 0 ? 'Sub total' : i === 399 ? 'Grand total' : `Provider ${i % 13}`;
    const level = i % 40 === 0 ? 'National' : i % 8 === 0 ? 'Region' : 'Trust';
    // A nation's row has no other label in the staff column: the nations must be found in the nation cells themselves.
    const staff = i % 17 || i % 5 === 0 ? 'Other practice staff' : 'Totals all';
    const row = [i % 5 ? `Area ${i % 7}` : nations[(i / 5) % 4], label, String(i * 7), i % 11 ? `${(i % 100) / 4}` : '', staff];
    out.push(withLevel ? [level, ...row] : row);
  }
  return out;
}

const HEADER = ['Country', 'Provider', 'Count', 'Rate', 'Staff'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sheets-row-kinds-'));
  await writeFile(join(dir, 'plain.csv'), [HEADER, ...rows(false)].map((r) => r.join(',')).join('\r\n') + '\r\n');
  await writeFile(join(dir, 'levels.csv'), [['Breakdown', ...HEADER], ...rows(true)].map((r) => r.join(',')).join('\r\n') + '\r\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('CSV row kinds counted in the describe scan', () => {
  for (const [name, withLevel] of [['plain.csv', false], ['levels.csv', true]] as const) {
    it(`${name}: as a totals counter given every row, and as the read pass`, async () => {
      const [t] = (await describeFile(file(name))).tables;
      if (withLevel) expect(t.levels).toBeDefined();
      const counter = new TotalsCounter(t.levels ? [t.levels.index] : []);
      for (const r of rows(withLevel)) counter.add(r);
      const context = counter.context();
      expect(t.totals ?? {}).toEqual(context);
      expect(t.rowKinds).toEqual(counter.counts(context, t.levels));
      const read = noRows();
      for (const r of await collect(file(name), t)) read[r.kind]++;
      expect(t.rowKinds).toEqual(read);
      expect(t.rowKinds.total + t.rowKinds.subtotal).toBeGreaterThan(0);
    });
  }
});
