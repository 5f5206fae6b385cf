/**
 * File names for the content-addressed store.
 *
 * Names come from servers (Content-Disposition) and URLs, i.e. from strangers: they are reduced to a
 * single harmless path segment before they get anywhere near the file system.
 */

/** Longest name kept, in UTF-8 bytes (most file systems allow 255; leave room for temp suffixes). */
const MAX_NAME_BYTES = 180;

/** Used when nothing usable is left of a name. */
const FALLBACK_NAME = 'download';

/** Windows device names: harmless on Linux, but a workspace may be copied to Windows. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * Reduce any string to one safe file-name segment: no `/` or `\`, no `..`, no control characters,
 * no leading dots, no characters Windows rejects, at most 180 UTF-8 bytes (the extension is kept
 * when shortening). Deterministic, so the same original name always lands on the same path.
 *
 * @example sanitiseFileName('../../etc/passwd') === 'etc_passwd'
 */
export function sanitiseFileName(name: string): string {
  let s = name.normalize('NFC');
  // Control characters (C0, DEL, C1) and the characters Windows forbids become '_'.
  s = s.replace(/[\u0000-\u001f\u007f-\u009f<>:"|?*]/g, '_');
  // Path separators would create or climb directories.
  s = s.replace(/[/\\]+/g, '_');
  // '..' anywhere is refused outright (not only as a whole segment) so no later join can climb.
  s = s.replace(/\.{2,}/g, '.');
  // Leading dots hide files (and '.tmp-' is reserved for our own partial downloads); leading
  // underscores here are left-overs of separators in '../x', so drop them too.
  s = s.replace(/^[\s._]+/, '');
  // Trailing dots/spaces are silently dropped by Windows, which would make two names collide.
  s = s.replace(/[\s.]+$/, '');
  if (s === '') return FALLBACK_NAME;
  if (WINDOWS_RESERVED.test(s)) s = `_${s}`;
  return truncateUtf8(s, MAX_NAME_BYTES);
}

/** Shorten to `maxBytes` of UTF-8, keeping a short extension and never splitting a character. */
function truncateUtf8(name: string, maxBytes: number): string {
  const enc = new TextEncoder();
  if (enc.encode(name).length <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
  const budget = maxBytes - enc.encode(ext).length;
  let stem = '';
  let used = 0;
  for (const ch of name.slice(0, name.length - ext.length)) {
    const n = enc.encode(ch).length;
    if (used + n > budget) break;
    stem += ch;
    used += n;
  }
  return stem.replace(/[\s.]+$/, '') + ext;
}

/**
 * The file name a Content-Disposition header offers, or undefined. Prefers the RFC 5987
 * `filename*=UTF-8''...` form (it carries non-ASCII names such as the en dash in PCN files).
 * The result is NOT sanitised; pass it through {@link sanitiseFileName}.
 */
export function fileNameFromContentDisposition(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const star = /filename\*\s*=\s*([^;]+)/i.exec(header);
  if (star) {
    const raw = star[1]!.trim().replace(/^"(.*)"$/, '$1');
    const m = /^([\w!#$%&+^`{}~-]*)'[^']*'(.*)$/.exec(raw);
    const charset = (m?.[1] ?? 'utf-8').toLowerCase();
    const value = m ? m[2]! : raw;
    const decoded = percentDecode(value, charset === 'iso-8859-1' || charset === 'latin1' ? 'latin1' : 'utf-8');
    if (decoded) return decoded;
  }
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header);
  if (quoted) return quoted[1]!.replace(/\\(.)/g, '$1');
  const token = /filename\s*=\s*([^;\s]+)/i.exec(header);
  return token ? token[1] : undefined;
}

/** Last path segment of a URL or path, percent-decoded; '' if there is none (e.g. `https://host/`). */
export function lastPathSegment(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    // A plain relative path from config: drop any query/fragment and use it as is.
    path = url.replace(/[?#].*$/, '');
  }
  const segments = path.split(/[/\\]/).filter((s) => s !== '');
  const last = segments.at(-1) ?? '';
  return percentDecode(last, 'utf-8');
}

/** Percent-decode leniently: malformed escapes are kept literally instead of throwing. */
function percentDecode(s: string, charset: 'utf-8' | 'latin1'): string {
  if (charset === 'latin1') {
    return s.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}
