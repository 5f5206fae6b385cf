/**
 * Reading a period out of free text: file names, URLs, workbook titles and metadata lines, in the many
 * ways NHS England and NHS Digital write them (`Jun22`, `MAR2019`, `Q1-2024-25`, `MSA_2025-26_11_…`,
 * `1718`, …). The periods it returns are the canonical ones of `periods.ts`.
 */
import { periodContains, type Period } from './periods.ts';
import { findPeriodMentions, type Mention } from './period-pieces.ts';

/**
 * Find the period a file name, URL or phrase refers to, tolerating the spellings NHS England and
 * NHS Digital actually use. Returns undefined when no period is written in it.
 *
 * Accepted, case-insensitively: month names and abbreviations with a 4- or 2-digit year, glued or
 * separated (`January-2024`, `Jan24`, `Jan-24`, `Jan_24`, `MAR2019`, `JanPerf_2026`); days
 * (`01JAN2021`, `31-october-2025`, `8th February 2024`, `2026-02-01`, `01/05/2025` UK order,
 * `20251228`); ISO and compact months (`2025-11`, `202511`, `2017/02`, `102024` = MMYYYY);
 * financial years (`FY2024-25`, `2024-25`, `2022/23`, `2025-2026`, `202223`, `1718`); financial
 * quarters (`Q2-2025-26`, `Quarter-3-2025-26`, `2024-25 Q3`, `FY2024-25-Q1`); and a financial year
 * followed by a two-digit calendar month number (`MSA_2024-25_03_…` = March 2025).
 *
 * That month number is the calendar month, not the month's position in the financial year: NHS
 * England's MSA full-extract names carry both forms, `MSA_2024-25_03_fullextract_Mar_25` and
 * `MSA_2025-26_11_fullextract_Nov_25`, so 03 is March (of 2025) and 11 is November (of 2025).
 *
 * Ignored: `revised`, `-v2-1`, `REVISED`, `FINAL`, `Provisional`, size tokens (`XLSX-4M`, `77K`,
 * `3855K`), 5–7 character random or numeric ids (`F5ldj2`, `87700`, `1Xmjkk`, `SrRW6y`, `_8HM0N`,
 * `51121BZ`), folders (only the last segment of a URL or file path is read, so an upload folder such
 * as `/2024/04/` never counts), and dates preceded by `Published`. Month words must be whole
 * words, so `summary` never reads as March.
 *
 * When several periods are written, the result is the latest one the text covers: a range
 * (`April 2007 to June 2022`, `Apr-2025-to-Nov-2025`, `March-2020-December-2025`) gives its END,
 * because NHS time-series files are named after the newest month they contain and the pipeline keys
 * a release by that month. A period written inside a wider one wins over the wider one
 * (`2025-26-C2-by-ICB-ends-20251228` → `2025-12-28`), except that a month beats a day inside it
 * (`20240430-RTT-April-2024` → `2024-04`: the day is the extract date of the month's data).
 * An open range (`August 2010 - present`) gives nothing for its start.
 *
 * Ambiguities resolved by rule: a bare 4-digit number from 1948 to 2099 is a year (`2021` is 2021,
 * not FY2020-21); `YYYY-MM` with a dash is a month, with a slash a financial year when the two
 * numbers are consecutive (`2011-12` is December 2011, `2011/12` is FY2011-12); six digits are
 * read as YYYYMM first, then as a financial year pair, then as MMYYYY; `Q1 2025` (no financial
 * year) is ignored because it does not say whether the quarter is calendar or financial.
 */
export function periodFromText(text: string): Period | undefined {
  return choosePeriod(findPeriodMentions(text));
}

/** Pick the period a list of mentions describes (rules documented on periodFromText). */
function choosePeriod(mentions: Mention[]): Period | undefined {
  const candidates = mentions.filter((m) => !m.excluded).map((m) => m.period);
  const unique = candidates.filter((p, i) => candidates.findIndex((q) => q.label === p.label) === i);
  const kept = unique.filter((outer) => !unique.some((inner) => inner !== outer && beats(inner, outer)));
  kept.sort((a, b) => (a.end !== b.end ? (a.end < b.end ? -1 : 1) : a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return kept.at(-1);
}

/** Does `a` displace `b`? Nested periods keep the narrower one, except a month keeps its own days out. */
function beats(a: Period, b: Period): boolean {
  if (periodContains(b, a)) return !(b.kind === 'month' && a.kind === 'day');
  if (periodContains(a, b)) return a.kind === 'month' && b.kind === 'day';
  return false;
}
