/**
 * HTML that is safe by construction: every value interpolated into {@link html} is escaped unless it is
 * itself {@link Html} (made by `html` or {@link raw}). Strings from the config or the data (a publication's
 * name, an error message) can therefore only ever render as text.
 */

/** A fragment of markup that is already safe to place in a page. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text (or an attribute value) with the five characters that mean something in HTML replaced by entities. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (ch) => ENTITIES[ch]);
}

/** Markup written by this code, never by a user: CSS, a script, an entity. */
export const raw = (text: string): Html => new Html(text);

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join('');
  return esc(part);
}

/** A tagged template: `html\`<td title="${x}">${y}</td>\`` escapes x and y; arrays are joined; null/false vanish. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0];
  for (const [i, v] of values.entries()) out += render(v) + strings[i + 1];
  return new Html(out);
}
