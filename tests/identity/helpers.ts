/**
 * Shared set-up for the identity tests: a temporary workspace whose config points at the real NHS
 * sample files by local path (no server), and readers for the manifests the chain writes.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as XLSX from '@e965/xlsx';
import YAML from 'yaml';

export const SAMPLES = join(import.meta.dirname, '..', 'fixtures', 'nhs-samples');

/** The period groups of issue 3: the same table published in several periods. */
export const GROUPS = {
  ae: {
    'Monthly-AE-Time-Series-January-2024.xls': '2024-01',
    'Monthly-AE-Time-Series-March-2024.xls': '2024-03',
    'Monthly-AE-Time-Series-March-2026-F5ldj2.xls': '2026-03',
  },
  rtt: {
    'RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx': '2022-06',
    'rtt-data_RTT-Overview-Timeseries-Jul23.xlsx': '2023-07',
  },
  oaps: {
    'oaps-open-data-oct-2016.csv': '2016-10',
    'oaps-open-data-dec-2016.csv': '2016-12',
    'oaps-open-data-feb-2017.csv': '2017-02',
  },
  proms: {
    'Time Series 1718.csv': 'FY2017-18',
    'Time Series Hip and Knee Replacement 1819.csv': 'FY2018-19',
  },
} as const;

const FOLDERS: Record<keyof typeof GROUPS, string> = {
  ae: 'ae-attendances-emergency-admissions',
  rtt: 'rtt-waiting-times',
  oaps: 'out-of-area-placements',
  proms: 'proms',
};

/** Absolute path of a sample file of a group. */
export function samplePath(group: keyof typeof GROUPS, file: string): string {
  return join(SAMPLES, FOLDERS[group], file);
}

/** A fresh workspace with every group configured (plus `extra` YAML appended under `publications:`). */
export async function makeWorkspace(prefix: string, extra = ''): Promise<string> {
  const ws = await mkdtemp(join(tmpdir(), `identity-${prefix}-`));
  const lines = ['publications:'];
  for (const [code, files] of Object.entries(GROUPS)) {
    lines.push(`  ${code}:`, `    name: ${code} identity group`, '    periods:');
    for (const [file, period] of Object.entries(files)) {
      lines.push(`      - period: ${period}`, `        url: ${JSON.stringify(samplePath(code as keyof typeof GROUPS, file))}`);
    }
  }
  await mkdir(join(ws, 'config'), { recursive: true });
  await writeFile(join(ws, 'config/publications.yaml'), `${lines.join('\n')}\n${extra}`);
  return ws;
}

/** The body of a manifest (provenance block dropped). */
export async function manifest<T = Record<string, unknown>>(ws: string, stage: string, pub: string, period: string): Promise<T> {
  return YAML.parse(await readFile(join(ws, 'manifests', stage, pub, `${period}.yaml`), 'utf8')) as T;
}

export interface Enriched {
  period: string;
  tables: {
    name: string;
    row_count: number;
    columns: { name: string; source_column: string; header: string }[];
    drift?: { reference_period: string; added: string[]; removed: string[] };
    identity: { method: string; derived_name: string };
  }[];
}

export interface Draft {
  files: { name: string; tables: { key: string; period: { label: string; source: string; from?: string }; warnings: string[] }[] }[];
}

/**
 * Rows of a sheet whose cell in `col` (0-based) holds an Excel date serial after 2000 and that hold another number — counted with
 * SheetJS alone, independently of the extraction library (A&E `Period` in column B, RTT `Month` in C).
 */
export async function serialRows(path: string, sheet: string, col: number): Promise<number> {
  const wb = XLSX.read(await readFile(path), { dense: true, sheets: [sheet] });
  const data = ((wb.Sheets[sheet] as unknown as { '!data': ({ t: string; v: unknown } | undefined)[][] })['!data'] ?? []);
  // A month row counts when it has a figure: RTT overview sheets also list the months still to
  // come, with only `-` in them (placeholders, not loaded).
  return data.filter((r) => r?.[col]?.t === 'n' && (r[col]!.v as number) > 36000 && r.some((x, c) => c !== col && x?.t === 'n')).length;
}
