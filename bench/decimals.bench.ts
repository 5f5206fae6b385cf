/**
 * DOUBLE or DECIMAL for `numeric` in Parquet, measured on the readers analysts use (issue 11): the same published
 * values are written both ways by this project's writer path (DuckDB), then read back by DuckDB, and by Polars,
 * pandas and pyarrow when Python has them (`pip install polars pandas pyarrow`), each value compared with its
 * published text. Prints, per reader and type, the type it sees and how many values come back exactly.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/** Values as NHS files publish them: spreadsheet doubles, FTEs, rates, percentages, an exponent form. */
const VALUES = ['1111294.5714285714', '0.3333333333333333', '0.986666667', '12.5', '0.1', '5035630', '123456.789012345', '0.000012345678901', '95.45454545454545', '-3.5'];

const dir = await mkdtemp(join(tmpdir(), 'decimals-'));
const file = join(dir, 'values.parquet');
try {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`CREATE TABLE t AS SELECT v AS published, CAST(v AS DOUBLE) AS as_double, CAST(v AS DECIMAL(38, 10)) AS as_decimal FROM (VALUES ${VALUES.map((v) => `('${v}')`).join(', ')}) x(v)`);
  await c.run(`COPY t TO '${file}' (FORMAT parquet, COMPRESSION zstd)`);
  const rows = (await c.runAndReadAll(`SELECT published, CAST(as_double AS VARCHAR), CAST(as_decimal AS VARCHAR) FROM '${file}'`)).getRows();
  const same = (a: string, b: string) => Number(a) === Number(b) && (b.replace(/0+$/, '').replace(/\.$/, '') === a || String(Number(b)) === String(Number(a)) && !/\.\d{11,}/.test(a) || b === a);
  console.log('reader    type     exact/total  as read');
  console.log(`duckdb    DOUBLE   ${rows.filter((r) => String(Number(r[1])) === String(Number(r[0]))).length}/${rows.length}`);
  console.log(`duckdb    DECIMAL  ${rows.filter((r) => same(String(r[0]), String(r[2]))).length}/${rows.length}        e.g. ${rows[1][0]} → ${rows[1][2]}`);
  const py = `
import decimal, sys
rows = []
try:
    import polars as pl, pyarrow.parquet as pq, pandas as pd
except ImportError as e:
    print('python readers not installed:', e); sys.exit(0)
f = sys.argv[1]
def exact(pub, v): return decimal.Decimal(repr(v) if isinstance(v, float) else str(v)) == decimal.Decimal(pub)
p = pl.read_parquet(f); d = pd.read_parquet(f); a = pq.read_table(f)
readers = [('polars', lambda c: p[c].to_list(), lambda c: p.schema[c]), ('pandas', lambda c: list(d[c]), lambda c: d[c].dtype),
           ('pyarrow', lambda c: a.column(c).to_pylist(), lambda c: a.schema.field(c).type)]
for name, values, dtype in readers:
    for col in ['as_double', 'as_decimal']:
        ok = sum(exact(pub, v) for pub, v in zip(d.published, values(col)))
        print(f"{name:<9} {'DOUBLE ' if col == 'as_double' else 'DECIMAL'}  {ok}/{len(d)}        type {dtype(col)}")
`;
  await writeFile(join(dir, 'read.py'), py);
  try {
    process.stdout.write(execFileSync('python3', [join(dir, 'read.py'), file], { encoding: 'utf8' }));
  } catch (err) {
    console.log(`python readers not run: ${(err as Error).message.split('\n')[0]}`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
