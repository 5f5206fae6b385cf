/**
 * The schema walk for publications: codes, names, landing pages and period lists. Every problem is
 * reported through the Reader with its position; nothing stops at the first error.
 */

import { isScalar, type Node, type YAMLMap } from 'yaml';
import { expandFilePattern, FILE_TOKENS } from './files.ts';
import { periodFromText } from '../period-text.ts';
import { describePeriodSyntax, parsePeriod, daysInMonth, MIN_YEAR, MAX_YEAR, MONTH_NAMES, type Period } from '../periods.ts';
import { readDiscover } from './discover.ts';
import { readFamily } from './family.ts';
import { readOverrides, snakeSuggestion } from './overrides.ts';
import type { Entry, Reader } from './reader.ts';
import type { PeriodEntry, Publication } from './types.ts';
import { checkLandingPage, checkPeriodUrl } from './urls.ts';

const PUBLICATION_KEYS = ['name', 'landing_page', 'files', 'periods', 'overrides', 'family', 'discover'] as const;
const PERIOD_KEYS = ['period', 'url', 'files'] as const;
const CODE = /^[a-z][a-z0-9_]{1,30}$/;
/** Keys of the old DataWarp dialects (§1 of the research notes): one dialect now, periods listed explicitly. */
const LEGACY_KEYS = new Set(['urls', 'url', 'url_template', 'discovery_mode', 'schedule', 'frequency', 'mode', 'file_pattern', 'reference_manifest', 'enabled', 'sources']);
const PERIOD_EXAMPLE = '- period: 2025-05\n  url: https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd/may-2025';

/** Read the `publications:` mapping into publications, in file order. */
export function readPublications(r: Reader, map: YAMLMap): Publication[] {
  const entries = r.entries(map, '`publications`', (code, line) => [
    `duplicate publication code \`${code}\`; the first is on line ${line}`,
    'merge the two entries into one, or give one of them a different code',
  ]);
  const out: Publication[] = [];
  for (const [code, entry] of entries) {
    const codeOk = checkCode(r, code, entry.key);
    const pub = readPublication(r, code, entry);
    if (pub && codeOk) out.push(pub);
  }
  return out;
}

function checkCode(r: Reader, code: string, at: Node): boolean {
  if (CODE.test(code)) return true;
  const fixed = snakeSuggestion(code);
  const example = fixed && CODE.test(fixed) ? `, e.g. \`${fixed}\`` : '';
  const tooLong = code.length > 31 ? ` (${code.length} characters, at most 31)` : '';
  r.error(at, `invalid publication code \`${code}\`${tooLong}`, `a code is lowercase snake_case: a letter, then 1 to 30 letters, digits or underscores${example}`);
  return false;
}

function readPublication(r: Reader, code: string, entry: Entry): Publication | undefined {
  const where = `publication \`${code}\``;
  if (!r.isMap(entry.value)) {
    r.error(r.at(entry), `${where} must be a mapping with \`name\` and \`periods\`, found ${r.shape(entry.value)}`, `indent its settings under it:\n${code}:\n  name: …\n  periods:\n    ${PERIOD_EXAMPLE.replace('\n', '\n    ')}`);
    return undefined;
  }
  const keys = r.pairs(entry.value, PUBLICATION_KEYS, where, (key) =>
    key === 'file_pattern'
      ? `\`file_pattern\` belongs to the old DataWarp config; write \`files:\` with a file name pattern, e.g. \`files: ${FILES_EXAMPLE}\``
      : LEGACY_KEYS.has(key)
        ? `\`${key}\` belongs to the old DataWarp config; list each release under \`periods:\` instead:\n${PERIOD_EXAMPLE}`
        : undefined,
  );
  const name = readName(r, keys.get('name'), entry.key, where);
  const landingPage = readLandingPage(r, keys.get('landing_page'), where);
  const files = readFilePatterns(r, keys.get('files'), where);
  const periods = readPeriods(r, keys.get('periods'), entry.key, code, files ?? undefined);
  const overrides = readOverrides(r, keys.get('overrides'), code);
  const family = readFamily(r, keys.get('family'), where);
  const discover = readDiscover(r, keys.get('discover'), where);
  if (name === undefined || periods === undefined || overrides === undefined || files === null || family === null || discover === null) return undefined;
  const filePatterns = files?.map((f) => f.text);
  return {
    code, name, ...(landingPage ? { landingPage } : {}), periods, overrides, ...(family ? { family } : {}),
    ...(filePatterns ? { filePatterns } : {}), ...(discover ? { discover } : {}), loc: r.loc(entry.key),
  };
}

function readName(r: Reader, entry: Entry | undefined, owner: Node, where: string): string | undefined {
  if (!entry) {
    r.missing(owner, 'name', where, 'add `name: <the publication title>`, e.g. `name: ADHD Management Information`');
    return undefined;
  }
  const hint = 'write the publication title, e.g. `name: ADHD Management Information`';
  const text = r.textValue(entry, `of ${where}`, hint);
  if (text === undefined) return undefined;
  if (text.trim() === '') {
    r.error(r.at(entry), `\`name\` of ${where} is empty`, hint);
    return undefined;
  }
  return text.trim();
}

function readLandingPage(r: Reader, entry: Entry | undefined, where: string): string | undefined {
  if (!entry) return undefined;
  const text = r.textValue(entry, `of ${where}`, 'write the web address of the publication page');
  if (text === undefined) return undefined;
  const check = checkLandingPage(text);
  if (!check.ok) {
    r.error(r.at(entry), check.message, check.hint);
    return undefined;
  }
  return check.url;
}

function readPeriods(r: Reader, entry: Entry | undefined, owner: Node, code: string, files: FilePattern[] | undefined): PeriodEntry[] | undefined {
  const where = `publication \`${code}\``;
  if (!entry) {
    r.missing(owner, 'periods', where, `add the releases to load, one entry each:\nperiods:\n  ${PERIOD_EXAMPLE.replace('\n', '\n  ')}`);
    return undefined;
  }
  const list = entry.value;
  const hint = `list each release as an entry starting with \`-\`:\n${PERIOD_EXAMPLE}`;
  if (r.isEmpty(entry) || (r.isSeq(list) && list.items.length === 0)) {
    r.error(r.at(entry), `${where} has no periods`, hint);
    return undefined;
  }
  if (!r.isSeq(list)) {
    r.error(r.at(entry), `\`periods\` of ${where} must be a list, found ${r.shape(list)}`, hint);
    return undefined;
  }
  const out: PeriodEntry[] = [];
  const firstLine = new Map<string, number>();
  let failed = false;
  for (const raw of list.items) {
    const item = r.resolve(raw) ?? list;
    const read = readPeriodEntry(r, item, code, files);
    if (!read) {
      failed = true;
      continue;
    }
    const seen = firstLine.get(read.entry.period.label);
    if (seen !== undefined) {
      r.error(read.labelNode, `period \`${read.entry.period.label}\` is listed twice in ${where}; the first is on line ${seen}`, 'keep one entry per release: delete this one or correct its period');
      failed = true;
      continue;
    }
    firstLine.set(read.entry.period.label, read.entry.loc.line);
    out.push(read.entry);
  }
  return failed ? undefined : out;
}

function readPeriodEntry(r: Reader, item: Node, code: string, publicationFiles: FilePattern[] | undefined): { entry: PeriodEntry; labelNode: Node } | undefined {
  const where = `a period of publication \`${code}\``;
  if (!r.isMap(item)) {
    r.error(item, `each entry of \`periods\` must be a mapping with \`period\` and \`url\`, found ${r.shape(item)}`, `write:\n${PERIOD_EXAMPLE}`);
    return undefined;
  }
  const keys = r.pairs(item, PERIOD_KEYS, where);
  const periodEntry = keys.get('period');
  const urlEntry = keys.get('url');
  if (!periodEntry) r.missing(item, 'period', where, `add the release's period, e.g. \`period: 2025-05\`; ${describePeriodSyntax()}`);
  if (!urlEntry) r.missing(item, 'url', where, "add `url:` with the release's page or file link (https://…), or a path relative to this file");
  const period = periodEntry ? readPeriodLabel(r, periodEntry) : undefined;
  const url = urlEntry ? readUrl(r, urlEntry, where) : undefined;
  const own = readFilePatterns(r, keys.get('files'), where);
  if (!period || url === undefined || !periodEntry || !urlEntry || own === null) return undefined;
  checkUrlNamesPeriod(r, urlEntry, url, period);
  const files = own ?? publicationFiles;
  const expanded = files ? expandPatterns(r, files, period) : undefined;
  if (expanded === null) return undefined;
  return { entry: { period, url, ...(expanded ? { files: expanded } : {}), loc: r.loc(item) }, labelNode: periodEntry.value ?? periodEntry.key };
}

const FILES_EXAMPLE = 'Incomplete-Provider-{MMM}{YY}-*';
const FILES_HINT =
  `write a file name pattern, or a list of them: \`*\` matches any characters, \`?\` one, and ${Object.entries(FILE_TOKENS).map(([t, v]) => `{${t}} ${v}`).join(', ')} ` +
  `are filled from the period (shown for 2025-10-31), e.g. \`files: ${FILES_EXAMPLE}\``;

/** A `files:` pattern as written, with its node for messages. */
interface FilePattern {
  text: string;
  node: Node;
}

/** `files:` as patterns; undefined when absent, null when wrong (reported). */
function readFilePatterns(r: Reader, entry: Entry | undefined, where: string): FilePattern[] | null | undefined {
  if (!entry) return undefined;
  const value = entry.value;
  const items = !value || r.isEmpty(entry) ? [] : r.isSeq(value) ? value.items.map((raw) => r.resolve(raw) ?? value) : [value];
  if (items.length === 0) {
    r.error(r.at(entry), `\`files\` of ${where} is empty`, FILES_HINT);
    return null;
  }
  const out: FilePattern[] = [];
  for (const node of items) {
    const text = isScalar(node) ? r.scalarText(node) : undefined;
    if (text === undefined || text.trim() === '') {
      r.error(node, `a pattern in \`files\` of ${where} must be text, found ${r.shape(node)}`, FILES_HINT);
      return null;
    }
    out.push({ text: text.trim(), node });
  }
  return out;
}

/** The patterns with the period's tokens filled in; null when one cannot be (reported at the pattern). */
function expandPatterns(r: Reader, files: FilePattern[], period: Period): string[] | null {
  const out: string[] = [];
  for (const f of files) {
    const x = expandFilePattern(f.text, period);
    if ('problem' in x) {
      r.error(f.node, `\`files\` pattern \`${f.text}\` for period ${period.label}: ${x.problem}`, FILES_HINT);
      return null;
    }
    out.push(x.pattern);
  }
  return out;
}

/**
 * Warn when the link names a period that does not overlap the configured one: usually a copy-paste
 * slip (`may-2025` page under `period: 2025-08`). Only a warning: a few series name files after
 * their release month rather than their data month.
 */
function checkUrlNamesPeriod(r: Reader, entry: Entry, url: string, period: Period): void {
  const named = periodFromText(url);
  if (!named || (named.start <= period.end && period.start <= named.end)) return;
  const segment = url.replace(/[?#].*$/, '').replace(/\/+$/, '').split('/').pop() ?? url;
  r.warn(
    r.at(entry),
    `the link names ${named.label} (\`${segment}\`) but the period is ${period.label}`,
    'check that the period and the link belong together; if this series names its files after the release month, ignore this warning',
  );
}

function readPeriodLabel(r: Reader, entry: Entry): Period | undefined {
  const text = r.textValue(entry, '', describePeriodSyntax());
  if (text === undefined) return undefined;
  if (text === '') {
    r.error(r.at(entry), '`period` is empty', describePeriodSyntax());
    return undefined;
  }
  const period = parsePeriod(text);
  if (period) return period;
  // A canonical-looking label with impossible numbers gets the reason; another spelling gets its canonical form.
  const problem = periodProblem(text);
  const guess = problem ? undefined : periodFromText(text);
  const suggestion = guess && guess.kind !== 'year' ? `write \`${guess.label}\`; ` : '';
  r.error(r.at(entry), `invalid period \`${text}\`${problem}`, suggestion + describePeriodSyntax());
  return undefined;
}


/** Why a label shaped like a canonical one is still invalid (`: there is no month 13`), or '' when it is not shaped like one. */
export function periodProblem(text: string): string {
  const years = `: years run from ${MIN_YEAR} to ${MAX_YEAR}`;
  const dated = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(text);
  if (dated) {
    const [y, m, d] = [Number(dated[1]), Number(dated[2] ?? 1), Number(dated[3] ?? 1)];
    if (y < MIN_YEAR || y > MAX_YEAR) return years;
    if (m < 1 || m > 12) return `: there is no month ${m}`;
    return `: ${MONTH_NAMES[m - 1]} ${y} has ${daysInMonth(y, m)} days`;
  }
  const short = /^FY(\d{2})(-Q[1-4])?$/.exec(text);
  if (short) {
    // The old DataWarp config used FY25-Q1 for April-June 2024 in one file and April-June 2025 in another.
    const end = 2000 + Number(short[1]);
    const [a, b] = [end - 1, end].map((y) => `FY${y}-${String((y + 1) % 100).padStart(2, '0')}${short[2] ?? ''}`);
    return `: ambiguous, it could mean ${a} or ${b}`;
  }
  const fiscal = /^FY(\d{4})-(\d{2})(?:-Q(\d+))?$/.exec(text);
  if (fiscal) {
    const y = Number(fiscal[1]);
    if (y < MIN_YEAR || y > MAX_YEAR) return years;
    const next = String((y + 1) % 100).padStart(2, '0');
    if (fiscal[2] !== next) return `: a financial year spans two consecutive years, e.g. FY${y}-${next}`;
    return ': quarters are Q1 to Q4';
  }
  return '';
}

function readUrl(r: Reader, entry: Entry, where: string): string | undefined {
  const text = r.textValue(entry, `of ${where}`, "write the release's page or file link (https://…), or a path relative to this file");
  if (text === undefined) return undefined;
  const check = checkPeriodUrl(text, r.file.split(/[\\/]/).pop() ?? r.file);
  if (!check.ok) {
    r.error(r.at(entry), check.message, check.hint);
    return undefined;
  }
  if (check.warning) r.warn(r.at(entry), check.warning.message, check.warning.hint);
  return check.url;
}
