/**
 * Checking the URLs a user writes in the config: period URLs (web, `file:` or a path next to the
 * config) and landing pages (web only). Returns the normalised URL or what is wrong and what to do.
 */

/** The verdict on one URL: the absolute URL to use (maybe with a warning), or an error. */
export type UrlCheck =
  | { ok: true; url: string; warning?: { message: string; hint: string } }
  | { ok: false; message: string; hint: string };

/** Values that mean "no URL": the old DataWarp wrote Python's `None` where it found no file. */
const PLACEHOLDERS = /^(none|null|nil|n\/a|na|tbd|todo|tba|-|undefined|missing)$/i;
/** A web address typed without its scheme: `www.…` or `host.tld/…`. */
const BARE_HOST = /^(?:www\.[^/\s]+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:uk|com|org|net|gov|io|eu)(?:[/:]|$))/i;
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * Check a period's `url`: an http(s) URL (normalised: spaces become `%20`), a `file:` URL, or a path
 * relative to the config file (both kept as written, so moving the workspace changes nothing).
 * PDF targets pass with a warning.
 */
export function checkPeriodUrl(raw: string, configName: string): UrlCheck {
  const value = raw.trim();
  const common = commonProblems(value, `paste the file's download link (https://…), or a path relative to ${configName}`);
  if (common) return common;
  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase();
  let url: string;
  if (scheme === 'http' || scheme === 'https') {
    const web = parseUrl(value, true);
    if (!web.ok) return web;
    url = web.url;
  } else if (scheme === 'file') {
    const local = parseUrl(value, false);
    if (!local.ok) return local;
    url = value;
  } else if (scheme) {
    return {
      ok: false,
      message: `unsupported URL scheme \`${scheme}:\` in \`${value}\``,
      hint: `use an https:// link, a file: URL, or a path relative to ${configName}`,
    };
  } else {
    url = value;
  }
  return /\.pdf$/i.test(url.replace(/[?#].*$/, '')) ? { ok: true, url, warning: pdfWarning(value) } : { ok: true, url };
}

/** Check a `landing_page`: it must be a web page (http or https). */
export function checkLandingPage(raw: string): UrlCheck {
  const value = raw.trim();
  const common = commonProblems(value, "paste the publication's web page (https://…), or remove `landing_page`");
  if (common) return common;
  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    return {
      ok: false,
      message: `\`landing_page\` must be a web address, not \`${value}\``,
      hint: 'write the page address starting with https://, e.g. https://digital.nhs.uk/data-and-information/publications/statistical/mi-adhd',
    };
  }
  return parseUrl(value, true);
}

/** Empty values, placeholders, and web addresses missing their scheme. */
function commonProblems(value: string, whatToDo: string): UrlCheck | undefined {
  if (value === '') return { ok: false, message: 'the URL is empty', hint: whatToDo };
  if (PLACEHOLDERS.test(value)) {
    return { ok: false, message: `\`${value}\` is a placeholder, not a URL`, hint: `${whatToDo}; or delete this entry if there is no file yet` };
  }
  if (value.startsWith('//') || (!SCHEME.test(value) && BARE_HOST.test(value))) {
    const fixed = `https://${value.replace(/^\/\//, '')}`;
    return { ok: false, message: `\`${value}\` has no \`https://\``, hint: `write \`${fixed}\`` };
  }
  return undefined;
}

/** Parse an absolute URL; spaces pasted from a file name become `%20`. Web URLs need a host. */
function parseUrl(value: string, web: boolean): UrlCheck {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return { ok: false, message: `\`${value}\` is not a valid URL`, hint: 'copy the link again from the publication page (right-click → Copy link)' };
  }
  if (web && !parsed.hostname) return { ok: false, message: `\`${value}\` has no host name`, hint: 'a web address looks like https://digital.nhs.uk/…' };
  return { ok: true, url: parsed.href };
}

function pdfWarning(value: string): { message: string; hint: string } {
  return {
    message: `\`${value}\` points at a PDF`,
    hint: 'PDFs (press notices, reports) hold no tables the pipeline can load; link the xlsx, xls, ods, csv or zip file, or the publication page',
  };
}
