/**
 * Finding the data files a publication page links to.
 *
 * NHS pages are server-rendered (WordPress on england.nhs.uk, Hippo CMS on digital.nhs.uk): every file
 * is a plain `<a href>` in the HTML, so a small tolerant tag scanner is enough and avoids an HTML
 * parser dependency. What it must get right: relative links, `<base href>`, entities in hrefs
 * (`&amp;` in query strings), case-insensitive extensions and ignoring PDFs/docs.
 */

/** Extensions of files the pipeline can load (ZIPs are unpacked later). */
const DATA_EXTENSIONS = ['xlsx', 'xlsm', 'xls', 'ods', 'csv', 'zip'] as const;
const DATA_EXT_RE = new RegExp(`\\.(${DATA_EXTENSIONS.join('|')})$`, 'i');

/**
 * Whether a URL (absolute, `file:` or a plain relative path) names a data file by its path's
 * extension: `.xlsx .xlsm .xls .ods .csv .zip`, any case, query string and fragment allowed.
 * The query is not inspected (`download.php?f=x.xlsx` is not a data URL by name).
 */
export function isDataFileUrl(url: string): boolean {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.replace(/[?#].*$/, '');
  }
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // keep the raw path; the extension test works on it too
  }
  return DATA_EXT_RE.test(decoded.trimEnd());
}

/** One data link on a page: absolute URL (fragment removed) and the link's visible text. */
export interface DataLink {
  url: string;
  text: string;
}

/**
 * The data-file links of an HTML page, in page order, de-duplicated by URL.
 * Relative hrefs resolve against `<base href>` (itself resolved against `pageUrl`) or `pageUrl`.
 * For a local page pass its `file:` URL; links then come back as `file:` URLs.
 */
export function findDataLinks(html: string, pageUrl: string): DataLink[] {
  return findLinks(html, pageUrl).filter((l) => isDataFileUrl(l.url));
}

/**
 * Every link of an HTML page (pages and files alike: `discover` reads periods from both), in page order,
 * de-duplicated by URL (fragment removed), resolved as {@link findDataLinks} resolves them.
 */
export function findLinks(html: string, pageUrl: string): DataLink[] {
  // Comments, scripts and styles can contain things that look like anchors.
  const cleaned = html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|template)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ');

  let base = pageUrl;
  const baseTag = /<base\b([^>]*)>/i.exec(cleaned);
  const baseHref = baseTag ? attribute(baseTag[1]!, 'href') : undefined;
  if (baseHref !== undefined && baseHref.trim() !== '') {
    try {
      base = new URL(baseHref.trim(), pageUrl).href;
    } catch {
      // An unusable <base> is ignored, as browsers do.
    }
  }

  const out: DataLink[] = [];
  const seen = new Map<string, DataLink>();
  const anchor = /<a\b((?:[^>"']|"[^"]*"|'[^']*')*)>([\s\S]*?)(?=<\/a\s*>|<a\b|$)/gi;
  for (let m = anchor.exec(cleaned); m; m = anchor.exec(cleaned)) {
    const href = attribute(m[1]!, 'href');
    if (href === undefined) continue;
    const trimmed = href.trim();
    if (trimmed === '' || /^(javascript|mailto|tel|data):/i.test(trimmed)) continue;
    let resolved: URL;
    try {
      resolved = new URL(trimmed, base);
    } catch {
      continue;
    }
    resolved.hash = '';
    const url = resolved.href;
    const text = visibleText(m[2]!);
    const prior = seen.get(url);
    if (prior) {
      // Keep the first position, but prefer a descriptive text over an empty icon link.
      if (prior.text === '' && text !== '') prior.text = text;
      continue;
    }
    const link = { url, text };
    seen.set(url, link);
    out.push(link);
  }
  return out;
}

/** Value of one attribute in a tag's attribute string (quoted or bare), entity-decoded. */
function attribute(attrs: string, name: string): string | undefined {
  const re = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i');
  const m = re.exec(attrs);
  if (!m) return undefined;
  return decodeEntities(m[1] ?? m[2] ?? m[3] ?? '');
}

/** Text content of an anchor: tags removed, entities decoded, whitespace collapsed. */
function visibleText(inner: string): string {
  return decodeEntities(inner.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  ndash: '\u2013',
  mdash: '\u2014',
  pound: '\u00a3',
  hellip: '\u2026',
  rsquo: '\u2019',
  lsquo: '\u2018',
};

/** Decode the entities that occur in NHS pages' hrefs and link texts (numeric ones in full). */
function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

/**
 * The title a page gives itself, for descriptions: its first `<h1>`, else its `<title>` without the site's name
 * (`… - NHS Digital`, `| NHS England`); undefined when it has neither.
 */
export function pageTitle(html: string): string | undefined {
  const cleaned = html.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<(script|style|template)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ');
  const h1 = /<h1\b[^>]*>([\s\S]*?)<\/h1\s*>/i.exec(cleaned);
  const title = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(cleaned);
  const text = (h1 && visibleText(h1[1]!)) || (title && visibleText(title[1]!).replace(/\s+[-|–—]\s+(?:NHS (?:Digital|England)|GOV\.UK)\b.*$/i, ''));
  return text ? text.slice(0, 300) : undefined;
}
