/**
 * Deterministic CSVs for the load benchmarks, written in 1 MB pieces (flat memory at any size):
 *
 * - `wide`: the 10-column shape: a bigint id, trust codes, quoted names with commas and doubled
 *   quotes, `dd/mm/yyyy` dates, integers and decimals with 2–5 % `*` suppressed cells.
 * - `appointments`: shaped like GP appointments practice-level data: practice code, date, HCP type,
 *   appointment mode, time-between-book-and-appointment band, count.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export type Shape = 'wide' | 'appointments';

/** Each shape's columns as a same-shaped PostgreSQL table types them (the anchors load into such a table). */
export const SHAPE_COLUMNS: Record<Shape, [string, string][]> = {
  wide: [['record_id', 'bigint'], ['org_code', 'text'], ['org_name', 'text'], ['region_code', 'text'], ['activity_date', 'date'],
    ['specialty', 'text'], ['patients', 'integer'], ['waiting', 'integer'], ['median_weeks', 'numeric'], ['percent_within_18', 'numeric']],
  appointments: [['gp_code', 'text'], ['appointment_date', 'date'], ['hcp_type', 'text'], ['appt_mode', 'text'],
    ['time_between_book_and_appt', 'text'], ['count_of_appointments', 'integer']],
};

const NAMES = ['Leeds Teaching Hospitals NHS Trust', 'Barts Health, NHS Trust', 'St "Mary\'s" Hospital, London', 'Royal Free London NHS Foundation Trust', 'Guy\'s and St Thomas\''];
const SPECIALTIES = ['General Surgery', 'Urology', 'Trauma & Orthopaedics', 'Ear Nose & Throat', 'Ophthalmology', 'Oral Surgery', 'Neurosurgery'];
const HCP = ['GP', 'Other Practice staff', 'Unknown'];
const MODES = ['Face-to-Face', 'Telephone', 'Home Visit', 'Video Conference/Online', 'Unknown'];
const BANDS = ['Same Day', '1 Day', '2 to 7 Days', '8  to 14 Days', '15  to 21 Days', '22  to 28 Days', 'More than 28 Days', 'Unknown / Data Quality'];

const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

function wideHeader(): string {
  return 'RECORD_ID,ORG_CODE,ORG_NAME,REGION_CODE,ACTIVITY_DATE,SPECIALTY,PATIENTS,WAITING,MEDIAN_WEEKS,PERCENT_WITHIN_18\r\n';
}

function wideRow(i: number): string {
  const name = csvField(NAMES[i % NAMES.length]);
  const date = `${pad2(1 + (i % 28))}/${pad2(1 + (i % 12))}/${2019 + (i % 6)}`;
  const patients = i % 33 === 0 ? '*' : String((i * 7919) % 50000);
  const waiting = i % 50 === 0 ? '*' : String((i * 104729) % 900000);
  const median = i % 20 === 0 ? '*' : ((i % 5200) / 100).toFixed(2);
  const pct = ((i * 37) % 100000 / 1000).toFixed(3);
  return `${10_000_000_000 + i},R${String.fromCharCode(65 + (i % 26))}${i % 10},${name},Y${56 + (i % 7)},${date},${SPECIALTIES[i % SPECIALTIES.length]},${patients},${waiting},${median},${pct}\r\n`;
}

function appointmentsHeader(): string {
  return 'GP_CODE,APPOINTMENT_DATE,HCP_TYPE,APPT_MODE,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS\r\n';
}

function appointmentsRow(i: number): string {
  const day = 1 + ((i >> 3) % 28);
  const count = i % 41 === 0 ? '*' : String(1 + ((i * 7919) % 400));
  return `${String.fromCharCode(65 + (i % 23))}${String(81000 + ((i >> 5) % 9000)).padStart(5, '0')},${pad2(day)}/08/2025,${HCP[i % 3]},${MODES[(i >> 1) % 5]},${BANDS[i % 8]},${count}\r\n`;
}

/** Writes `rows` data rows of `shape` (plus the header) to `path`. */
export async function generateCsv(path: string, rows: number, shape: Shape): Promise<void> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const row = shape === 'wide' ? wideRow : appointmentsRow;
  let buf = shape === 'wide' ? wideHeader() : appointmentsHeader();
  for (let i = 0; i < rows; i++) {
    buf += row(i);
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}
