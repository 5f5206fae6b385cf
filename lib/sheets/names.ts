/**
 * Column naming shared by CSV and workbook tables: names must be unique inside a table because the
 * loader turns them into database column names.
 */

/** Makes names unique (case-insensitively) by appending ` (2)`, ` (3)` … to later duplicates. */
export function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = n.toLowerCase();
    const count = (seen.get(k) ?? 0) + 1;
    seen.set(k, count);
    if (count === 1) return n;
    let candidate = `${n} (${count})`;
    while (seen.has(candidate.toLowerCase())) candidate = `${n} (${count}+)`;
    seen.set(candidate.toLowerCase(), 1);
    return candidate;
  });
}

/**
 * Names columns of a multi-row header. Each column has its header parts top to bottom (groups, then
 * the leaf). The name is the leaf alone unless that leaf repeats inside the table; then the group parts
 * are prefixed ("<4 hours - Type 1 Departments - Major A&E"), and so they are for every column under
 * the same group, so that siblings read alike ("Incomplete RTT pathways - 92nd percentile (weeks)"
 * beside "Incomplete RTT pathways - No. within 18 weeks").
 */
export function combineGroupNames(parts: string[][], fallback: (i: number) => string): string[] {
  const leaves = parts.map((p) => (p.length ? p[p.length - 1] : ''));
  const counts = new Map<string, number>();
  for (const l of leaves) if (l) counts.set(l.toLowerCase(), (counts.get(l.toLowerCase()) ?? 0) + 1);
  const group = (p: string[]) => p.slice(0, -1).join('\u0000').toLowerCase();
  const prefixed = new Set<string>();
  parts.forEach((p, i) => {
    if (p.length > 1 && leaves[i] && (counts.get(leaves[i].toLowerCase()) ?? 0) > 1) prefixed.add(group(p));
  });
  const names = parts.map((p, i) => {
    const leaf = leaves[i];
    if (!leaf) return fallback(i);
    if (p.length > 1 && prefixed.has(group(p))) return [...p.slice(0, -1), leaf].join(' - ');
    return leaf;
  });
  return uniqueNames(names);
}
