import { describe, expect, it } from 'vitest';
import { renderTableMarkdown, type TableDoc } from '../../lib/parquet/index.ts';

const doc: TableDoc = {
  table: 'pcn_workforce_individual',
  publication: 'pcn-workforce',
  publicationName: 'Primary Care Network Workforce',
  description: 'One row per staff member and PCN.\nFTE has 9 decimal places.',
  columns: [
    { name: 'pcn_code', type: 'text', description: 'PCN code', sourceHeaders: ['PCN_CODE'] },
    { name: 'staff_role', type: 'text', description: 'Role, e.g. Clinical Director – Medical | GP', sourceHeaders: ['STAFF_ROLE', 'Staff Role'] },
    { name: 'fte', type: 'numeric', description: '', sourceHeaders: [] },
  ],
  // Deliberately out of order: the output is sorted so the caller's order cannot change the bytes.
  periods: [
    {
      period: '2022-09',
      rows: 17239,
      sources: [
        { file: 'pcn-sep22.csv', url: 'https://example.org/b.csv', sheet: null, sha256: 'bb22', rows: 17239 },
      ],
    },
    {
      period: '2020-03',
      rows: 534,
      sources: [
        { file: 'pcn-mar20.xlsx', url: 'https://example.org/a.xlsx', sheet: 'Table 2', sha256: 'aa22', rows: 200 },
        { file: 'pcn-mar20.xlsx', url: 'https://example.org/a.xlsx', sheet: 'Table 1', sha256: 'aa11', rows: 334 },
      ],
    },
  ],
  provenanceColumns: [
    { name: '_period', description: 'Period label (YYYY-MM)' },
    { name: '_source_sha256', description: 'SHA-256 of the source file' },
  ],
};

const expected = `# pcn_workforce_individual

One row per staff member and PCN.
FTE has 9 decimal places.

- Table: \`pcn_workforce_individual\`
- Publication: Primary Care Network Workforce (\`pcn-workforce\`)
- Rows: 17773
- Periods: 2 (2020-03 to 2022-09)
- Columns: 3 data + 2 provenance

## Columns

| Column | Type | Description | Markers (NULL) | Periods | Source headers |
| --- | --- | --- | --- | --- | --- |
| \`pcn_code\` | text | PCN code | | | \`PCN_CODE\` |
| \`staff_role\` | text | Role, e.g. Clinical Director – Medical \\| GP | | | \`STAFF_ROLE\`, \`Staff Role\` |
| \`fte\` | numeric | | | | |

## Provenance columns

| Column | Description |
| --- | --- |
| \`_period\` | Period label (YYYY-MM) |
| \`_source_sha256\` | SHA-256 of the source file |

## Periods

| Period | Rows | Sources |
| --- | --- | --- |
| 2020-03 | 534 | 2 |
| 2022-09 | 17239 | 1 |

## Sources

| Period | File | Sheet | Rows | SHA-256 | URL |
| --- | --- | --- | --- | --- | --- |
| 2020-03 | \`pcn-mar20.xlsx\` | \`Table 1\` | 334 | \`aa11\` | https://example.org/a.xlsx |
| 2020-03 | \`pcn-mar20.xlsx\` | \`Table 2\` | 200 | \`aa22\` | https://example.org/a.xlsx |
| 2022-09 | \`pcn-sep22.csv\` | | 17239 | \`bb22\` | https://example.org/b.csv |
`;

describe('renderTableMarkdown', () => {
  it('renders the exact sidecar text: summary, one table row per column, period and source', () => {
    expect(renderTableMarkdown(doc)).toBe(expected);
  });

  it('renders byte-identically for the same table given in another order', () => {
    const shuffled: TableDoc = {
      ...doc,
      periods: [...doc.periods].reverse().map((p) => ({ ...p, sources: [...p.sources].reverse() })),
    };
    expect(renderTableMarkdown(shuffled)).toBe(expected);
  });

  it('keeps names with backticks and line breaks inside one table cell', () => {
    const text = renderTableMarkdown({
      ...doc,
      columns: [{ name: 'a`b', type: 'text', description: 'first\nsecond', sourceHeaders: ['Header\r\nwith break'] }],
      periods: [],
      provenanceColumns: [],
    });
    expect(text).toContain('| `` a`b `` | text | first second | | | `Header with break` |');
    expect(text).toContain('- Periods: 0\n');
    expect(text).toContain('## Periods\n\n| Period | Rows | Sources |\n| --- | --- | --- |\n\n## Sources');
  });
});

describe('renderTableMarkdown over several periods', () => {
  it('lists markers over all periods, the periods of each column and of each source header, and how numbers are stored', () => {
    const text = renderTableMarkdown({
      ...doc,
      columns: [
        { name: 'value', type: 'numeric', description: 'Value.', sourceHeaders: [{ header: 'value', periods: ['2016-12', '2016-10'] }, { header: 'Value', periods: ['2017-02'] }], markers: { '*': 20, c: 3, '-': 20 }, firstPeriod: '2016-10', lastPeriod: '2017-02' },
        { name: 'new_one', type: 'text', description: 'New.', sourceHeaders: [{ header: 'New', periods: ['2017-02'] }], firstPeriod: '2017-02', lastPeriod: '2017-02' },
      ],
      numbers: '`numeric` columns are DOUBLE in Parquet.',
    });
    expect(text).toContain('- Numbers: `numeric` columns are DOUBLE in Parquet.');
    expect(text).toContain('| `value` | numeric | Value. | `*` ×20, `-` ×20, `c` ×3 | 2016-10 to 2017-02 | `value` (2016-10 to 2016-12, 2 periods), `Value` (2017-02) |');
    expect(text).toContain('| `new_one` | text | New. | | 2017-02 | `New` (2017-02) |');
  });
});
