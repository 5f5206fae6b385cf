/**
 * Table families: files (or zip members, or sheets holding one table) of one schema whose names differ by a key
 * (GP appointments' 42 `Regional_CSV_<region>.csv`) are one table with that key as a column, not 42 tables
 * (the old system's failure §9 #25). Found by themselves, with the evidence recorded in the draft: the same columns,
 * in the same order, under names that differ in one part only. `family:` in config names the key column, forces a
 * family by a name pattern, or turns detection off (lib/config/family.ts).
 */
import { basename } from 'node:path';
import type { FamilySetting } from '../../lib/config/types.ts';
import type { DraftFile, DraftTable } from './draft.ts';

/** A family as the draft records it. */
export interface DraftFamily {
  /** The names of its members with `*` for the key: `Regional_CSV_*.csv`. */
  pattern: string;
  by: 'file' | 'member' | 'sheet';
  /** The key column's name. */
  column: string;
  /** Why these are one table. */
  evidence: string;
  members: { url: string; table_key: string; key: string }[];
}

export const DEFAULT_FAMILY_COLUMN = 'source_part';

/** One table with the name it is known by as a unit of its release (its file, member or sheet). */
interface Unit { url: string; table: DraftTable; by: DraftFamily['by']; name: string }

/** The tables that stand alone in their file, zip member or sheet: the units a family is made of. */
function units(files: DraftFile[]): Unit[] {
  const out: Unit[] = [];
  for (const f of files) {
    for (const t of f.tables) {
      const sameMember = f.tables.filter((o) => (o.member ?? '') === (t.member ?? ''));
      const sameSheet = sameMember.filter((o) => o.sheet === t.sheet);
      if (t.sheet === undefined || sameMember.length === 1) {
        out.push({ url: f.url, table: t, by: t.member ? 'member' : 'file', name: t.member ? basename(t.member) : f.name });
      } else if (sameSheet.length === 1) {
        out.push({ url: f.url, table: t, by: 'sheet', name: t.sheet! });
      }
    }
  }
  return out;
}

const SEPARATOR = /[\s_\-.()[\]]/;

/** The common start and end of names, cut at separators so that no word is split; undefined when a key is empty or repeated. */
function keysOf(names: string[]): { prefix: string; suffix: string; keys: string[] } | undefined {
  let p = 0;
  while (names.every((n) => p < n.length && n[p] === names[0][p])) p++;
  while (p > 0 && !SEPARATOR.test(names[0][p - 1])) p--;
  let s = 0;
  while (names.every((n) => s < n.length - p && n[n.length - 1 - s] === names[0][names[0].length - 1 - s])) s++;
  while (s > 0 && !SEPARATOR.test(names[0][names[0].length - s])) s--;
  const keys = names.map((n) => n.slice(p, n.length - s));
  if (keys.some((k) => k.trim() === '') || new Set(keys).size !== keys.length) return undefined;
  return { prefix: names[0].slice(0, p), suffix: names[0].slice(names[0].length - s), keys };
}

/** `Regional_CSV_*.csv` → a matcher that returns the key, case ignored. */
function matcher(pattern: string): (name: string) => string | undefined {
  const [head, tail] = pattern.split('*');
  const re = new RegExp(`^${escape(head)}(.+)${escape(tail)}$`, 'i');
  return (name) => re.exec(name)?.[1];
}
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The families of one period's files under the publication's `family:` setting. */
export function findFamilies(files: DraftFile[], setting: FamilySetting = {}): DraftFamily[] {
  if (setting.disabled) return [];
  const column = setting.column ?? DEFAULT_FAMILY_COLUMN;
  const all = units(files);
  if (setting.match) {
    const key = matcher(setting.match);
    const members = all.flatMap((u) => {
      const k = key(u.name);
      return k === undefined ? [] : [{ u, k }];
    });
    if (members.length < 2) return [];
    return [{
      pattern: setting.match,
      by: members[0].u.by,
      column,
      evidence: `config: family.match "${setting.match}" matches ${members.length} ${members[0].u.by}s`,
      members: members.map(({ u, k }) => ({ url: u.url, table_key: u.table.key, key: k })),
    }];
  }
  const groups = new Map<string, Unit[]>();
  for (const u of all) {
    const signature = `${u.by}\u0000${u.table.columns.map((c) => c.raw_header.replace(/\s+/g, ' ').trim().toLowerCase()).join('\u0001')}`;
    groups.set(signature, [...(groups.get(signature) ?? []), u]);
  }
  const out: DraftFamily[] = [];
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    const found = keysOf(members.map((m) => m.name));
    if (!found) continue;
    const { by } = members[0];
    out.push({
      pattern: `${found.prefix}*${found.suffix}`,
      by,
      column,
      evidence: `the same ${members[0].table.columns.length} columns in ${members.length} ${by}s whose names differ only by the key`,
      members: members.map((m, i) => ({ url: m.url, table_key: m.table.key, key: found.keys[i] })),
    });
  }
  return out;
}
