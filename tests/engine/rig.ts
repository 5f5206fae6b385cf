/**
 * An in-memory rig for engine tests: no disk, no real clock. Files are entries of a map (`in/a.txt`); rules
 * store their outputs, with the provenance embedded as real artifacts do, in the same map; the failure
 * ledger is a map too. `upper:<n>` upper-cases `in/<n>.txt` into `out/<n>.upper`, `count:<n>` counts the
 * letters of `upper:<n>`. Upper-casing loses case, so editing `abc` to `aBc` rebuilds `upper` to identical
 * output: early cutoff. Extra rules can be added per build (`rules`).
 */
import { BuildSession, PENDING, sha256, type TargetResult, type BuildEvent, type FailureLedger, type FailureRecord, type Rule, type RunContext, type TargetRecord } from '../../engine/index.ts';
import { PipelineError, toFailure } from '../../lib/failure.ts';

export interface Rig {
  /** The virtual files, by path. */
  files: Map<string, string>;
  write(path: string, content: string): Promise<void>;
  read(path: string): Promise<string>;
  remove(path: string): void;
  /** `pending`: source keys that answer {@link PENDING} (their value waits on targets that would run first). */
  build(keys: string[], opts?: { dryRun?: boolean; retryFailed?: boolean; jobs?: number; signal?: AbortSignal; pending?: string[]; rules?: Rule[]; known?: Map<string, { digest: string; inputs: string[] }> }): Promise<RigResult>;
  /** Make `upper:<n>` throw while set. */
  failing: Set<string>;
  /** Make `upper:<n>` throw an environmental failure (a server that cannot be reached) while set. */
  unreachable: Set<string>;
  upperVersion: string;
  /** The fake clock: every `now()` call advances it by one millisecond. */
  clock: { ms: number };
  cleanup(): Promise<void>;
}
export interface RigResult { ran: string[]; upToDate: string[]; failed: string[]; skipped: string[]; wouldRun: string[]; events: BuildEvent[]; maxConcurrent: number; results: TargetResult[] }

export async function makeRig(): Promise<Rig> {
  const files = new Map<string, string>();
  const clock = { ms: Date.UTC(2026, 0, 1) };
  const read = async (p: string) => {
    const v = files.get(p);
    if (v === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
    return v;
  };
  const ledger: FailureLedger = {
    read: async (key) => (files.has(ledgerPath(key)) ? (JSON.parse(files.get(ledgerPath(key))!) as FailureRecord) : undefined),
    write: async (r) => void files.set(ledgerPath(r.target), JSON.stringify(r)),
    clear: async (key) => void files.delete(ledgerPath(key)),
  };
  const rig: Rig = {
    files,
    clock,
    failing: new Set(),
    unreachable: new Set(),
    upperVersion: '1',
    write: async (p, c) => void files.set(p, c),
    read,
    remove: (p) => void files.delete(p),
    cleanup: async () => files.clear(),
    build: async (keys, opts = {}) => {
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
        memoryRule(rig, 'upper', async (ctx) => (await ctx.need(`file:in/${ctx.id}.txt`), track(() => upper(ctx, rig)))),
        memoryRule(rig, 'count', async (ctx) => {
          const up = await ctx.need<string>(`upper:${ctx.id}`);
          return track(() => emit(ctx, rig, 'count', String(up.replace(/[^A-Z]/g, '').length)));
        }),
        ...(opts.rules ?? []),
      ];
      const events: BuildEvent[] = [];
      const session = new BuildSession({
        rules,
        sources: {
          digest: async (key) => {
            if (opts.pending?.includes(key)) return PENDING;
            const v = files.get(key.slice('file:'.length));
            return v === undefined ? undefined : sha256(v);
          },
          value: async (key) => files.get(key.slice('file:'.length)),
        },
        ledger,
        classify: toFailure,
        checkReads: true,
        jobs: opts.jobs ?? 4,
        dryRun: opts.dryRun,
        retryFailed: opts.retryFailed,
        known: opts.known && ((key) => opts.known!.get(key)),
        signal: opts.signal ?? new AbortController().signal,
        onEvent: (e) => events.push(e),
        now: () => new Date(clock.ms++),
      });
      await session.build(keys);
      const by = (o: string) => session.results().filter((r) => r.outcome === o).map((r) => r.key).sort();
      return { ran: by('ran'), upToDate: by('up-to-date'), failed: by('failed'), skipped: by('skipped'), wouldRun: by('would-run'), events, maxConcurrent, results: session.results() };
    },
  };
  return rig;
}

const ledgerPath = (key: string) => `failures/${key.replace(':', '/')}.json`;

/** A rule whose artifact is `out/<id>.<name>` in the rig's map: `{ provenance, body }` as JSON. */
export function memoryRule(rig: Rig, name: string, run: Rule['run'], version?: () => string): Rule {
  const out = (id: string) => `out/${id}.${name}`;
  return {
    name,
    get version() {
      return version?.() ?? (name === 'upper' ? rig.upperVersion : '1');
    },
    store: {
      async find(id) {
        const text = rig.files.get(out(id));
        if (text === undefined) return undefined;
        const file = JSON.parse(text) as { provenance: TargetRecord; body: string };
        return { record: file.provenance, current: sha256(file.body) };
      },
      read: async (id) => (JSON.parse(rig.files.get(out(id))!) as { body: string }).body,
    },
    run,
  };
}

/** Writes a rule's artifact with its provenance; returns the run result. */
export async function emit(ctx: RunContext, rig: Rig, ext: string, body: string) {
  const output = sha256(body);
  rig.files.set(`out/${ctx.id}.${ext}`, JSON.stringify({ provenance: { ...ctx.provenance(), output }, body }));
  return { output, value: body };
}

async function upper(ctx: RunContext, rig: Rig) {
  if (rig.failing.has(ctx.id)) throw new PipelineError({ kind: 'input', message: `cannot read in/${ctx.id}.txt`, hint: 'fix it' });
  if (rig.unreachable.has(ctx.id)) throw new PipelineError({ kind: 'environment', message: 'the server cannot be reached', hint: 'start it' });
  const text = await ctx.need<string>(`file:in/${ctx.id}.txt`);
  return emit(ctx, rig, 'upper', text.toUpperCase());
}
