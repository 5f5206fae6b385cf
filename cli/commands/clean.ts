/**
 * `clean`: list what the current config would not produce (a dry run, by default), or with `--execute` remove
 * exactly that list under the workspace lock. Output is grouped by store with counts and sizes, then the command
 * that removes it.
 */
import { resolve } from 'node:path';
import type { TargetResult } from '../../engine/index.ts';
import { didYouMean } from '../../lib/config/diagnostics.ts';
import { isProcessAlive } from '../../lib/process.ts';
import { CLEAN_STORES, findOrphans, peekStaleLock, removeOrphans, workspacePaths, type CleanStore, type OrphanItem, type OrphanPlan, type StoreOrphans } from '../../rules/index.ts';
import type { Stage } from '../../rules/index.ts';
import { UsageError, type Parsed } from '../args.ts';
import { EXIT, styler, type Io } from '../io.ts';
import { label } from '../report.ts';
import { withPipeline } from '../workspace.ts';

/** How many items of each kind a report shows without `-v`. */
const FIRST = 5;

export async function cleanCommand(io: Io, p: Parsed, stages?: readonly Stage[]): Promise<number> {
  if (p.positionals.length > 0) throw new UsageError(`clean takes no targets (got "${p.positionals.join(' ')}")`, 'it always looks at the whole workspace; use --skip STORE,... to leave stores alone');
  const skip = parseSkip(p.options.skip);
  const execute = Boolean(p.options.execute);
  const includeUnregistered = Boolean(p.options['include-unregistered']);
  // Read before taking the lock: taking it replaces a stale lock, which the dry run must still have listed.
  const staleLock = await peekStaleLock(workspacePaths(p.global.dir).cache, isProcessAlive);
  return withPipeline(io, p.global, { write: execute, command: 'clean', stages }, async ({ pipeline: { ws, stages } }) => {
    const plan = await findOrphans(ws, stages, { skip, includeUnregistered, alive: isProcessAlive, staleLock });
    const republished = execute ? await removeOrphans(ws, stages, plan, { signal: io.signal, jobs: p.global.jobs }) : [];
    if (io.signal.aborted) return EXIT.interrupted;
    const failed = republished.filter((r) => r.outcome === 'failed' || r.outcome === 'skipped');
    if (p.global.json) {
      io.stdout.write(JSON.stringify(jsonReport(plan, ws.paths.root, execute, republished)) + '\n');
      io.stdout.write(JSON.stringify({ event: 'summary', command: 'clean', dryRun: !execute, ...totals(plan.stores), unknown: unknownCount(plan), failed: failed.length }) + '\n');
    } else {
      io.stdout.write(render(plan, { io, p, execute, republished }));
    }
    return failed.length > 0 ? EXIT.failed : EXIT.ok;
  });
}

function parseSkip(value: string | boolean | undefined): Set<CleanStore> {
  const names = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
  for (const n of names) {
    if (!(CLEAN_STORES as readonly string[]).includes(n)) {
      const guess = didYouMean(n, [...CLEAN_STORES]);
      throw new UsageError(`--skip: unknown store "${n}"`, `${guess ? `did you mean "${guess}"? ` : ''}stores: ${CLEAN_STORES.join(', ')}`);
    }
  }
  return new Set(names as CleanStore[]);
}

const sum = (items: OrphanItem[], k: 'bytes' | 'rows') => items.reduce((n, i) => n + (i[k] ?? 0), 0);

function totals(stores: StoreOrphans[]): { items: number; bytes: number; rows: number } {
  const all = stores.flatMap((s) => Object.values(s.kinds).flat());
  return { items: all.length, bytes: sum(all, 'bytes'), rows: sum(all, 'rows') };
}

const unknownCount = (plan: OrphanPlan) => plan.stores.reduce((n, s) => n + s.unknown.length, 0);

function jsonReport(plan: OrphanPlan, root: string, execute: boolean, republished: TargetResult[]) {
  const stores: Record<string, unknown> = {};
  for (const s of plan.stores) {
    stores[s.store] = { skipped: s.skipped, ...totals([s]), kinds: s.kinds, unknown: s.unknown, ...(s.note ? { note: s.note } : {}) };
  }
  return {
    event: 'clean',
    dryRun: !execute,
    workspace: root,
    stores,
    notOurs: plan.notOurs,
    republish: plan.republish,
    ...(execute ? { republished: republished.map((r) => ({ key: r.key, outcome: r.outcome, ...(r.error ? { error: r.error.message } : {}) })) } : {}),
  };
}

/** Singular and plural of each kind, as a user reads them. */
const KIND_NAMES: Record<string, [string, string]> = {
  download: ['download manifest', 'download manifests'],
  draft: ['draft manifest', 'draft manifests'],
  enriched: ['enriched manifest', 'enriched manifests'],
  canonical: ['canonical manifest', 'canonical manifests'],
  failures: ['failure record', 'failure records'],
  parquet: ['Parquet file', 'Parquet files'],
  metadata: ['metadata file', 'metadata files'],
  blobs: ['downloaded file', 'downloaded files'],
  index: ['index.json entry', 'index.json entries'],
  tables: ['table to drop', 'tables to drop'],
  rows: ['period of rows in a kept table', 'periods of rows in kept tables'],
  unregistered: ['unregistered table to drop', 'unregistered tables to drop'],
  periods: ['datawarp.periods row', 'datawarp.periods rows'],
  sources: ['datawarp.sources row', 'datawarp.sources rows'],
  loads: ['datawarp.loads row', 'datawarp.loads rows'],
  temp: ['temporary file', 'temporary files'],
  lock: ['stale lock', 'stale locks'],
};
/** `registry.tables` reads differently from `tables.tables`; a stage's manifests are `<stage> manifests`. */
const kindName = (store: string, kind: string, n: number) => {
  const names =
    store === 'registry' && kind === 'tables'
      ? ['datawarp.tables row', 'datawarp.tables rows']
      : KIND_NAMES[kind] ?? (store === 'manifests' ? [`${kind} manifest`, `${kind} manifests`] : [kind, kind]);
  return `${n.toLocaleString('en-GB')} ${n === 1 ? names[0] : names[1]}`;
};

/** Sizes in binary units: 1 KiB = 1024 bytes. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) (v /= 1024), i++;
  return `${v.toFixed(1)} ${units[i]}`;
}

const sizes = (items: OrphanItem[]) => {
  const parts = [];
  if (items.some((i) => i.rows !== undefined)) parts.push(`${sum(items, 'rows').toLocaleString('en-GB')} rows`);
  if (items.some((i) => i.bytes !== undefined)) parts.push(formatBytes(sum(items, 'bytes')));
  return parts.length ? ` (${parts.join(', ')})` : '';
};

const itemText = (i: OrphanItem) => `${i.id}${sizes([i])}`;

function render(plan: OrphanPlan, ctx: { io: Io; p: Parsed; execute: boolean; republished: TargetResult[] }): string {
  const c = styler(ctx.io.stdout, ctx.io.env);
  const all = ctx.p.global.verbose;
  const out: string[] = [];
  const root = resolve(ctx.p.global.dir);
  out.push(ctx.execute ? `clean ${root}: removed` : `clean ${root}: dry run, nothing was removed`);
  for (const s of plan.stores) {
    const kinds = Object.entries(s.kinds);
    const head = s.skipped ? c.dim('skipped (--skip)') : kinds.length === 0 ? c.dim('nothing') : kinds.map(([k, items]) => kindName(s.store, k, items.length)).join(', ');
    out.push(`${c.bold(s.store.padEnd(10))} ${head}${kinds.length ? sizes(kinds.flatMap(([, items]) => items)) : ''}`);
    for (const [kind, items] of kinds) {
      out.push(`  ${kindName(s.store, kind, items.length)}${sizes(items)}`);
      for (const i of all ? items : items.slice(0, FIRST)) out.push(`    ${itemText(i)}`);
      if (!all && items.length > FIRST) out.push(c.dim(`    … and ${items.length - FIRST} more (-v lists every item)`));
    }
    if (s.unknown.length) {
      out.push(`  ${c.yellow(`unknown, left alone: ${s.unknown.length}`)} ${c.dim('(not created by nhs-pipeline)')}`);
      for (const i of all ? s.unknown : s.unknown.slice(0, FIRST)) out.push(`    ${itemText(i)}`);
      if (!all && s.unknown.length > FIRST) out.push(c.dim(`    … and ${s.unknown.length - FIRST} more (-v lists every item)`));
      if (s.store === 'tables' && !ctx.p.options['include-unregistered']) out.push(c.dim('    add --include-unregistered to drop these tables too'));
    }
    if (s.note) out.push(c.dim(`  note: ${s.note}`));
  }
  out.push(...notOurs(plan, c));
  const t = totals(plan.stores);
  out.push('');
  if (t.items === 0) {
    out.push('Nothing to clean: every store holds only what the current config produces.');
    return out.join('\n') + '\n';
  }
  const amount = `${t.items.toLocaleString('en-GB')} item${t.items === 1 ? '' : 's'}, ${formatBytes(t.bytes)}${t.rows ? `, ${t.rows.toLocaleString('en-GB')} rows` : ''}`;
  if (ctx.execute) {
    out.push(`Removed ${amount}.`);
    for (const r of ctx.republished.filter((x) => x.outcome !== 'up-to-date')) {
      const ok = r.outcome === 'ran';
      out.push(`${ok ? c.green('rewritten') : c.red(r.outcome)} ${label(r.key)}${r.error ? `: ${r.error.message}${r.error.hint ? `\n  hint: ${r.error.hint}` : ''}` : ''}`);
    }
  } else {
    out.push(`Found ${amount}.`);
    if (plan.republish.length) out.push(`--execute then rewrites ${plan.republish.map(label).join(', ')} so that a build has nothing left to do.`);
    out.push(`To remove them: ${executeCommand(ctx.p)}`);
  }
  return out.join('\n') + '\n';
}

/** What the database holds for other workspaces (or nobody): said once, as counts, because none of it is ours to list. */
function notOurs(plan: OrphanPlan, c: ReturnType<typeof styler>): string[] {
  const out: string[] = [];
  const counts = (n: { tables: number; registryRows: number }) =>
    `${n.tables.toLocaleString('en-GB')} table${n.tables === 1 ? '' : 's'}, ${n.registryRows.toLocaleString('en-GB')} registry row${n.registryRows === 1 ? '' : 's'}`;
  const { others, unclaimed } = plan.notOurs;
  if (others.registryRows > 0) {
    out.push(`${c.bold('shared'.padEnd(10))} belongs to another workspace (${counts(others)}): left alone`);
    for (const w of others.workspaces) out.push(c.dim(`    ${w}`));
  }
  if (unclaimed.registryRows > 0) {
    out.push(`${c.bold('shared'.padEnd(10))} claimed by no workspace (${counts(unclaimed)}, written before workspace ids): left alone`);
    out.push(c.dim('    a build in the workspace that loaded them claims what it still configures (loading no rows again); the rest is yours to drop by hand'));
  }
  return out;
}

/** The command line that removes what this dry run listed: the same workspace, config and options, plus --execute. */
function executeCommand(p: Parsed): string {
  const args = ['npx', 'tsx', 'pipeline.ts', 'clean'];
  if (p.options.dir !== undefined) args.push('-C', String(p.options.dir));
  if (p.options.config !== undefined) args.push('--config', String(p.options.config));
  if (typeof p.options.skip === 'string') args.push('--skip', p.options.skip);
  if (p.options['include-unregistered']) args.push('--include-unregistered');
  args.push('--execute');
  return args.map((a) => (/^[\w./:=,@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
