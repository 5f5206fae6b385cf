/**
 * Words of a name, and how a name too long for PostgreSQL (63 bytes) is made to fit while staying readable:
 * comparison operators are kept as words, NHS words are abbreviated by a fixed list, filler words go, and only
 * then words from the middle (the start says what, the end tells siblings apart). Never a hash.
 */

export const MAX_IDENT = 63;

/**
 * The abbreviations used when a name does not fit, and only then. Fixed and documented (README, "Names"): an
 * analyst can expand any of them without reading the code.
 */
export const ABBREVIATIONS: Readonly<Record<string, string>> = {
  admission: 'adm', admissions: 'adm', admitted: 'adm',
  appointment: 'appt', appointments: 'appts',
  attendance: 'att', attendances: 'att',
  average: 'avg',
  breakdown: 'brkdn',
  combined: 'comb',
  commissioning: 'comm',
  contractor: 'contr', contractors: 'contr',
  department: 'dept', departments: 'depts',
  discharge: 'disch',
  emergency: 'emerg',
  earnings: 'earn',
  estimates: 'est',
  expenses: 'exp',
  independent: 'indep',
  indicator: 'ind', indicators: 'ind',
  injury: 'inj',
  number: 'no',
  patients: 'pts',
  pathways: 'paths',
  percentage: 'pct',
  percentile: 'pctl',
  practice: 'prac', practices: 'prac',
  provider: 'prov', providers: 'prov',
  referral: 'ref', referrals: 'ref',
  registered: 'reg',
  salaried: 'sal',
  specialty: 'spec',
  transfer: 'trans',
  treatment: 'trt',
  unadjusted: 'unadj',
  adjusted: 'adj',
};

/** Phrases with a standard NHS abbreviation, used on the same terms as {@link ABBREVIATIONS}. */
export const PHRASES: readonly [string[], string][] = [
  [['cardiovascular', 'disease'], 'cvd'],
  [['accident', 'and', 'emergency'], 'ae'],
  [['general', 'practice'], 'gp'],
  [['general', 'practitioners'], 'gps'],
  [['mental', 'health'], 'mh'],
  [['referral', 'to', 'treatment'], 'rtt'],
  [['full', 'time', 'equivalent'], 'fte'],
];

function abbreviate(ws: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < ws.length; ) {
    const phrase = PHRASES.find(([p]) => p.every((w, k) => ws[i + k] === w));
    if (phrase) {
      out.push(phrase[1]);
      i += phrase[0].length;
    } else {
      out.push(ABBREVIATIONS[ws[i]] ?? ws[i]);
      i++;
    }
  }
  return out;
}

const OPERATOR_WORDS = new Set(['lt', 'gt', 'le', 'ge']);

/** Word `i` is a comparison, an amount, or the unit right after an amount. */
function isMeasure(ws: string[], i: number): boolean {
  return OPERATOR_WORDS.has(ws[i]) || /^\d/.test(ws[i]) || (i > 0 && /^\d/.test(ws[i - 1]));
}

/** Words that say nothing a reader needs once a name is too long. */
const FILLER = new Set(['a', 'an', 'and', 'or', 'of', 'the', 'to', 'from', 'in', 'for', 'with', 'i', 'e', 'ie', 'at', 'on']);

/**
 * Phrases and symbols for comparisons, kept as words so `< 4 hours` and `> 4 hours` never become one name.
 * Longest first: `less than or equal to` before `less than`, `<=` before `<`.
 */
const OPERATORS: [RegExp, string][] = [
  [/\bless than or equal to\b|<=|≤|=</gi, ' le '],
  [/\b(?:greater|more) than or equal to\b|>=|≥|=>/gi, ' ge '],
  [/\b(?:less|fewer) than\b|</gi, ' lt '],
  [/\b(?:greater|more) than\b|>/gi, ' gt '],
];

/** Lowercase ASCII words of a label: accents folded, `A&E` → `ae`, `&` → and, `%` → pct, `£` → gbp, operators kept. */
export function words(text: string): string[] {
  let t = text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  t = t.replace(/\bA\s*&\s*E\b/gi, ' ae ');
  for (const [re, word] of OPERATORS) t = t.replace(re, word);
  return t
    .replace(/&/g, ' and ')
    .replace(/%/g, ' pct ')
    .replace(/£/g, ' gbp ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

const bytes = (ws: string[]) => ws.join('_').length;

/**
 * Joins words into a name of at most `max` bytes. Each step runs only if the name is still too long: known
 * abbreviations, then filler words, then repeated words, then words from the middle (keeping the first and the
 * last ones). Reports which steps it needed, for the manifest.
 */
export function fitWords(ws: string[], max = MAX_IDENT): { name: string; shortened: string[] } {
  const shortened: string[] = [];
  let cur = ws;
  const step = (what: string, next: string[]) => {
    if (bytes(cur) <= max || next.length === 0 || bytes(next) >= bytes(cur)) return;
    cur = next;
    shortened.push(what);
  };
  step('abbreviated', abbreviate(cur));
  step('filler words dropped', cur.filter((w) => !FILLER.has(w)));
  step('repeated words dropped', cur.filter((w, i) => cur.indexOf(w) === i || /^\d+$/.test(w)));
  if (bytes(cur) > max) {
    shortened.push('middle words dropped');
    cur = keepEnds(cur, max);
  }
  return { name: cur.join('_'), shortened };
}

/**
 * Drops words from the middle outwards until the name fits: the start says what, the end tells siblings apart,
 * and a comparison with its amount (`gt 18 weeks`) is never split. Cut short only if that cannot be done.
 */
function keepEnds(ws: string[], max: number): string[] {
  const keep = ws.map(() => true);
  const order = ws.map((_, i) => i).sort((a, b) => Math.abs(a - (ws.length - 1) / 2) - Math.abs(b - (ws.length - 1) / 2) || a - b);
  const kept = () => ws.filter((_, i) => keep[i]);
  for (const i of order) {
    if (bytes(kept()) <= max) break;
    if (i === 0 || isMeasure(ws, i)) continue;
    keep[i] = false;
  }
  const out = kept();
  return bytes(out) <= max ? out : [out.join('_').slice(0, max).replace(/_+$/, '')];
}

/**
 * Fits a header made of parts (`group - subgroup - leaf`, as multi-row headers are joined) into `max` bytes.
 * Siblings share their group and differ in the leaf, so what has to go is taken from the end of the earliest
 * parts first (a group's qualifiers: `… from arrival to admission, transfer or discharge`), and the last part is
 * kept whole: `ae_att_lt_4_hours_arrival_adm_type_1_depts_major_ae`, never a name that lost its `type_1`.
 */
export function fitParts(parts: string[][], max = MAX_IDENT): { name: string; shortened: string[] } {
  const whole = parts.flat();
  if (bytes(whole) <= max || parts.length < 2) return fitWords(whole, max);
  const shortened: string[] = [];
  let cur = parts.map((p) => p.slice());
  const total = () => bytes(cur.flat());
  const each = (what: string, f: (p: string[]) => string[]) => {
    if (total() <= max) return;
    const next = cur.map((p) => (f(p).length ? f(p) : p));
    if (bytes(next.flat()) < total()) (cur = next), shortened.push(what);
  };
  each('abbreviated', abbreviate);
  each('filler words dropped', (p) => p.filter((w) => !FILLER.has(w)));
  for (let i = 0; i < cur.length - 1 && total() > max; i++) {
    // A comparison and its amount (`gt 4 hours`) is what tells `< 4 hours` from `> 4 hours`: trimming stops there.
    while (cur[i].length > 1 && total() > max && !isMeasure(cur[i], cur[i].length - 1)) cur[i] = cur[i].slice(0, -1);
    if (!shortened.includes('group qualifiers dropped')) shortened.push('group qualifiers dropped');
  }
  if (total() <= max) return { name: cur.flat().join('_'), shortened };
  const rest = fitWords(cur.flat(), max);
  return { name: rest.name, shortened: [...shortened, ...rest.shortened] };
}
