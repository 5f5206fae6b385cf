/**
 * `discover [PUB...]`: the periods each publication's landing page offers that the config does not list, with the
 * evidence for each; `--write` adds them to the config (comments and formatting kept) for the next build.
 */
import { didYouMean } from '../../lib/config/diagnostics.ts';
import type { PipelineConfig } from '../../lib/config/types.ts';
import { discoverPeriods, writePeriods, type Proposal, type PublicationDiscovery, type Stage } from '../../rules/index.ts';
import type { Workspace } from '../../rules/index.ts';
import { UsageError, type Parsed } from '../args.ts';
import { EXIT, styler, type Io } from '../io.ts';
import { withPipeline } from '../workspace.ts';

/** What one discovery run found and did: for `discover` and `watch --discover`. */
export interface DiscoverRun { found: PublicationDiscovery[]; proposals: Proposal[]; written: boolean; problems: number }

export async function discoverCommand(io: Io, p: Parsed, stages?: readonly Stage[]): Promise<number> {
  return withPipeline(io, p.global, { write: false, command: 'discover', stages }, async ({ pipeline }) => {
    const run = await runDiscovery(pipeline.ws, io, p.positionals, Boolean(p.options.write));
    if (p.global.json) {
      for (const f of run.found) io.stdout.write(JSON.stringify({ event: 'discover', ...f }) + '\n');
      io.stdout.write(JSON.stringify({ event: 'summary', command: 'discover', proposals: run.proposals.length, written: run.written ? run.proposals.length : 0, problems: run.problems }) + '\n');
    } else {
      io.stdout.write(render(run, io, p));
    }
    return run.problems > 0 ? EXIT.failed : EXIT.ok;
  });
}

/** Discovers new periods of `codes` and, with `write`, adds them to the config file. */
export async function runDiscovery(ws: Workspace, io: Io, codes: string[], write: boolean, fresh?: PipelineConfig): Promise<DiscoverRun> {
  const config = fresh ?? ws.rawConfig;
  for (const code of codes) {
    if (!config.publications.some((x) => x.code === code)) {
      const all = config.publications.map((x) => x.code);
      const guess = didYouMean(code, all);
      throw new UsageError(`unknown publication "${code}"`, `${guess ? `did you mean "${guess}"? ` : ''}publications in ${config.file}: ${all.join(', ')}`);
    }
  }
  const found = await discoverPeriods(ws, codes, { signal: io.signal, config });
  const proposals = found.flatMap((f) => f.proposals);
  const problems = found.filter((f) => f.problem).length;
  if (write && proposals.length > 0) await writePeriods(config.file, proposals.map(({ publication, period, url }) => ({ publication, period, url })));
  return { found, proposals, written: write && proposals.length > 0, problems };
}

function render(run: DiscoverRun, io: Io, p: Parsed): string {
  const c = styler(io.stdout, io.env);
  const out: string[] = [];
  for (const f of run.found) {
    out.push(`${c.bold(f.publication)} — ${f.name}${f.page ? `\n  page: ${f.page}` : ''}`);
    for (const x of f.proposals) out.push(`  ${c.green('+')} ${x.period.padEnd(12)} ${x.url}`, `    ${evidence(x)}`);
    const notes: string[] = [];
    if (f.configured) notes.push(`${f.configured} period${f.configured === 1 ? '' : 's'} on the page already configured`);
    if (f.earlier) {
      const back = f.earlier.sinceFrom === 'discover.since' ? 'discover.since' : 'the first configured period; set discover.since to go further back';
      notes.push(`${f.earlier.count} earlier edition${f.earlier.count === 1 ? '' : 's'} not proposed (before ${f.earlier.since}, ${back})`);
    }
    if (notes.length) out.push(c.dim(`  ${notes.join('; ')}`));
    for (const s of f.skipped) out.push(`  ${c.yellow('skipped')} ${s.period}: ${s.reason} (${s.url})`);
    if (f.problem) out.push(`  ${c.red('error:')} ${f.problem.message}${f.problem.hint ? `\n    hint: ${f.problem.hint}` : ''}`);
    else if (!f.proposals.length) out.push(c.dim('  nothing new'));
    out.push('');
  }
  if (!run.found.length) out.push('No publication has a landing_page: add `landing_page:` to the publications to discover.', '');
  const list = run.proposals.map((x) => `${x.publication}/${x.period}`).join(', ');
  const n = run.proposals.length;
  const periods = `${n} new period${n === 1 ? '' : 's'}`;
  const dir = p.global.dir === io.cwd ? '' : ` -C ${p.global.dir}`;
  if (run.written) out.push(`Added ${periods} to ${p.global.config}: ${list}.`, `Build them with: npx tsx pipeline.ts build${dir}`);
  else if (n) out.push(`Found ${periods}: ${list}.`, `Add them to ${p.global.config} with: npx tsx pipeline.ts discover${dir} --write${p.positionals.length ? ` ${p.positionals.join(' ')}` : ''}`);
  else out.push('No new periods.');
  return `${out.join('\n')}\n`;
}

/** `"February 2026" → 2026-02, read from the URL (february-2026); edition page, 4 data files`. */
function evidence(x: Proposal): string {
  const e = x.evidence;
  const text = e.linkText ? `link "${e.linkText}"` : `link ${e.linkUrl}`;
  const read = `read ${x.period} from the ${e.readFrom === 'url' ? 'URL' : 'link text'} (${e.readText})`;
  const what = x.via === 'edition page' ? `edition page${e.dataFiles !== undefined ? ` linking ${e.dataFiles} data file${e.dataFiles === 1 ? '' : 's'}` : ''}` : `files on ${e.foundOn}: ${e.files!.join(', ')}`;
  return `${text}: ${read}; ${what}`;
}
