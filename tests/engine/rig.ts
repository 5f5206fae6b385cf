/**
 * A small file-based rule set for engine tests: `upper:<n>` upper-cases `in/<n>.txt` into `out/<n>.upper`,
 * `count:<n>` counts the letters of `upper:<n>`. Each output embeds its provenance like real manifests do.
 * Upper-casing loses case, so editing `abc` to `aBc` rebuilds `upper` to identical bytes: early cutoff.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  BuildSession,
  FailureLedger,
  FileHasher,
  PENDING,
  sha256,
  type BuildEvent,
  type Rule,
  type RunContext,
  type TargetRecord,
} from '../../engine/index.ts';

export interface Rig {
  dir: string;
  write(path: string, content: string): Promise<void>;
  read(path: string): Promise<string>;
  /** `pending`: source keys that answer {@link PENDING} (their value waits on targets that would run first). */
  build(keys: string[], opts?: { dryRun?: boolean; retryFailed?: boolean; jobs?: number; signal?: AbortSignal; pending?: string[] }): Promise<RigResult>;
  /** Make `upper:<n>` throw while set. */
  failing: Set<string>;
  /** Make `upper:<n>` throw an environmental failure (a server that cannot be reached) while set. */
  unreachable: Set<string>;
  upperVersion: string;
  cleanup(): Promise<void>;
}
export interface RigResult { ran: string[]; upToDate: string[]; failed: string[]; skipped: string[]; wouldRun: string[]; events: BuildEvent[]; maxConcurrent: number }

export async function makeRig(): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'engine-'));
  const rig: Rig = {
    dir,
    failing: new Set(),
    unreachable: new Set(),
    upperVersion: '1',
    write: async (p, c) => {
      await mkdir(dirname(join(dir, p)), { recursive: true });
      await writeFile(join(dir, p), c);
    },
    read: (p) => readFile(join(dir, p), 'utf8'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
    build: async (keys, opts = {}) => {
      const hasher = new FileHasher(join(dir, '.cache/hashes.json'));
      await hasher.load();
      let running = 0;
      let maxConcurrent = 0;
      const track = async <T>(fn: () => Promise<T>) => {
        running++;
        maxConcurrent = Math.max(maxConcurrent, running);
        try {
          await new Promise((r) => setTimeout(r, 5));
          return await fn();
        } finally {
          running--;
        }
      };
      // Only the work after the inputs are in counts as running: a rule waiting on `need` holds no slot.
      const rules = [
        fileRule(dir, 'upper', rig, async (ctx) => (await ctx.need(`file:in/${ctx.id}.txt`), track(() => upper(ctx, dir, rig)))),
        fileRule(dir, 'count', rig, async (ctx) => (await ctx.need(`upper:${ctx.id}`), track(() => count(ctx, dir)))),
      ];
      const events: BuildEvent[] = [];
      const session = new BuildSession({
        rules,
        sources: { digest: async (key) => (opts.pending?.includes(key) ? PENDING : hasher.hash(join(dir, key.slice('file:'.length)))) },
        ledger: new FailureLedger(join(dir, 'failures')),
        jobs: opts.jobs ?? 4,
        dryRun: opts.dryRun,
        retryFailed: opts.retryFailed,
        signal: opts.signal ?? new AbortController().signal,
        onEvent: (e) => events.push(e),
        now: () => new Date(),
      });
      await session.build(keys);
      await hasher.save();
      const by = (o: string) => session.results().filter((r) => r.outcome === o).map((r) => r.key).sort();
      return { ran: by('ran'), upToDate: by('up-to-date'), failed: by('failed'), skipped: by('skipped'), wouldRun: by('would-run'), events, maxConcurrent };
    },
  };
  return rig;
}

function fileRule(dir: string, name: string, rig: Rig, run: Rule['run']): Rule {
  const out = (id: string) => join(dir, 'out', `${id}.${name}`);
  return {
    name,
    get version() {
      return name === 'upper' ? rig.upperVersion : '1';
    },
    async readRecord(id) {
      try {
        return JSON.parse(await readFile(out(id), 'utf8')).provenance as TargetRecord;
      } catch {
        return undefined;
      }
    },
    async currentOutput(id) {
      try {
        return sha256(JSON.parse(await readFile(out(id), 'utf8')).body);
      } catch {
        return undefined;
      }
    },
    run,
  };
}

async function emit(ctx: RunContext, dir: string, ext: string, body: string) {
  const path = join(dir, 'out', `${ctx.id}.${ext}`);
  await mkdir(dirname(path), { recursive: true });
  const output = sha256(body);
  await writeFile(path, JSON.stringify({ provenance: { ...ctx.provenance(), output }, body }));
  return { output };
}

async function upper(ctx: RunContext, dir: string, rig: Rig) {
  if (rig.failing.has(ctx.id)) throw Object.assign(new Error(`cannot read in/${ctx.id}.txt`), { hint: 'fix it' });
  if (rig.unreachable.has(ctx.id)) throw Object.assign(new Error('the server cannot be reached'), { hint: 'start it', environmental: true });
  const text = await readFile(join(dir, 'in', `${ctx.id}.txt`), 'utf8');
  return emit(ctx, dir, 'upper', text.toUpperCase());
}

async function count(ctx: RunContext, dir: string) {
  const up = JSON.parse(await readFile(join(dir, 'out', `${ctx.id}.upper`), 'utf8')).body as string;
  return emit(ctx, dir, 'count', String(up.replace(/[^A-Z]/g, '').length));
}
