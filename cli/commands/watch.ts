/**
 * `watch [TARGET...]`: build once, then rebuild what each save of the config (or of a local file it names)
 * made stale, until Ctrl-C. The cycle logic lives in engine/watch.ts; this file wires chokidar, the config
 * and the build into it.
 *
 * Watch holds the workspace lock for its whole session, with the database open and the build log in memory:
 * a save reaches its first rule in milliseconds instead of paying for a database open each time, only the
 * periods a save can affect are checked again, and an embedded database is never opened by two processes (a
 * `build` started meanwhile waits, saying so; `status` answers from the build log, which each cycle saves).
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { WatchLoop, type WatchClock, type WatchCycle } from '../../engine/watch.ts';
import { ConfigError, loadConfig, type PipelineConfig } from '../../lib/config/index.ts';
import { toFailure } from '../../lib/failure.ts';
import { localPaths, selectTargets, TargetError, type PeriodTarget, type Pipeline } from '../../rules/index.ts';
import type { Stage } from '../../rules/index.ts';
import { UsageError, type Parsed } from '../args.ts';
import { EXIT, styler, type Io } from '../io.ts';
import { withPipeline } from '../workspace.ts';
import { reportedBuild } from './build.ts';
import { parseInterval, startDiscovery } from './watch-discover.ts';
import { hintLocaliser } from '../hints.ts';

/** Default quiet time after a save before building: long enough for an editor's write-and-rename. */
export const DEFAULT_DEBOUNCE_MS = 100;

/** Real time for the watch loop (monotonic, so a clock change does not stall the debounce). */
export function systemClock(): WatchClock {
  return {
    now: () => performance.now(),
    setTimer(ms, fn) {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    },
  };
}

export async function watchCommand(io: Io, p: Parsed, stages?: readonly Stage[]): Promise<number> {
  const debounceMs = parseDebounce(p.options.debounce);
  const discoverMs = parseInterval(p.options.discover);
  const { localPath } = await localPaths();
  return withPipeline(io, p.global, { write: true, command: 'watch', stages }, ({ pipeline }) => new WatchSession(io, p, pipeline, localPath, debounceMs, discoverMs).run());
}

function parseDebounce(text: string | boolean | undefined): number {
  if (text === undefined) return DEFAULT_DEBOUNCE_MS;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 0 || ms > 60_000) {
    throw new UsageError(`--debounce expects whole milliseconds from 0 to 60000, got "${text}"`, 'e.g. --debounce 100 (the default) or --debounce 500 for slow network drives');
  }
  return ms;
}

/** What a config save changed, by publication (`pub`) or period (`pub/period`). */
export interface ConfigDiff {
  added: string[];
  removed: string[];
  /** Periods whose URL changed; publications whose name, landing page or overrides changed. */
  modified: string[];
}

/** The config's meaning: everything but positions, so comments and whitespace compare equal. */
export function configMeaning(config: PipelineConfig): string {
  return JSON.stringify(config.publications, (key, value) => (key === 'loc' ? undefined : value));
}

/** Publications and periods added, removed or modified from `prev` to `next`. */
export function diffConfigs(prev: PipelineConfig, next: PipelineConfig): ConfigDiff {
  const diff: ConfigDiff = { added: [], removed: [], modified: [] };
  const before = new Map(prev.publications.map((p) => [p.code, p]));
  const after = new Map(next.publications.map((p) => [p.code, p]));
  for (const code of before.keys()) if (!after.has(code)) diff.removed.push(code);
  for (const [code, pub] of after) {
    const old = before.get(code);
    if (!old) {
      diff.added.push(code);
      continue;
    }
    const urls = new Map(old.periods.map((e) => [e.period.label, e.url]));
    const labels = new Set(pub.periods.map((e) => e.period.label));
    for (const e of pub.periods) {
      const url = urls.get(e.period.label);
      if (url === undefined) diff.added.push(`${code}/${e.period.label}`);
      else if (url !== e.url) diff.modified.push(`${code}/${e.period.label}`);
    }
    for (const label of urls.keys()) if (!labels.has(label)) diff.removed.push(`${code}/${label}`);
    const settings = (p: typeof pub) => JSON.stringify([p.name, p.landingPage, p.overrides]);
    if (settings(old) !== settings(pub)) diff.modified.push(code);
  }
  return diff;
}

/** One watch session: the last good config, the files watched, and one build per cycle. */
class WatchSession {
  readonly #configPath: string;
  #good: PipelineConfig;
  #targets: PeriodTarget[];
  #files = new Set<string>();
  #watcher: FSWatcher | undefined;
  readonly #c;

  constructor(
    private readonly io: Io,
    private readonly p: Parsed,
    private readonly pipeline: Pipeline,
    /** A period URL as a local path, when it is one (lib/web/source.ts). */
    private readonly localPath: (url: string, baseDir: string) => string | undefined,
    private readonly debounceMs: number,
    private readonly discoverMs?: number,
  ) {
    this.#configPath = resolve(pipeline.ws.paths.root, p.global.config);
    this.#good = pipeline.ws.rawConfig;
    this.#targets = selectTargets(p.positionals, this.#good, pipeline.stages);
    this.#c = styler(io.stderr, io.env);
  }

  get ws() {
    return this.pipeline.ws;
  }

  async run(): Promise<number> {
    const loop = new WatchLoop({
      debounceMs: this.debounceMs,
      clock: systemClock(),
      run: (cycle) => this.#cycle(cycle),
      onError: (err, cycle) => this.#failed(err, cycle.cycle),
    });
    // Only the files the config names are watched, never a folder: the build's own writes (manifests,
    // downloads, output/, .cache/) cannot reach the loop, so a build never triggers the next one.
    this.#files = this.#watchSet();
    this.#watcher = chokidarWatch([...this.#files], { ignoreInitial: true, ignored: (path) => this.#isOwnOutput(path) });
    this.#watcher.on('all', (event, path) => {
      if (event === 'add' || event === 'change' || event === 'unlink') loop.change(resolve(path));
    });
    this.#watcher.on('error', (err) => this.#problem(`watching files failed: ${(err as Error).message}`, 'watch-error'));
    await new Promise<void>((r) => this.#watcher!.once('ready', () => r()));
    const stop = () => void loop.stop();
    this.io.signal.addEventListener('abort', stop, { once: true });
    if (this.io.signal.aborted) stop();
    const local = this.#files.size - 1;
    const named = local <= 3 ? [...this.#files].map((f) => this.#rel(f)).join(', ') : `${this.#rel(this.#configPath)} and the ${local} local files it names`;
    this.#info(
      `Watching ${named}: each save builds what it made stale (debounce ${this.debounceMs} ms). Ctrl-C to stop.`,
      { event: 'watching', files: [...this.#files].map((f) => this.#rel(f)), debounceMs: this.debounceMs },
    );
    loop.runNow();
    const discovery = this.discoverMs === undefined ? undefined : startDiscovery({
      io: this.io,
      ws: () => this.ws,
      config: () => loadConfig(this.#configPath),
      codes: [...new Set(this.p.positionals.map((t) => t.split(/[/:]/)[0]!))],
      intervalMs: this.discoverMs,
      onWritten: () => loop.change(this.#configPath),
      report: (text, json, problem) => (problem ? this.#problem(text, String(json.event), json) : this.#info(text, json)),
    });
    await loop.stopped;
    discovery?.stop();
    await this.#watcher.close();
    this.#info(`Stopped watching after ${loop.cycles} cycle${loop.cycles === 1 ? '' : 's'}.`, { event: 'watch-stopped', cycles: loop.cycles });
    return EXIT.interrupted;
  }

  /** One cycle: re-read the config if it was saved, say what changed, then build if anything can be stale. */
  async #cycle({ cycle, changes, notifications }: WatchCycle): Promise<void> {
    const changed = changes.map((f) => this.#rel(f));
    const data = changes.filter((f) => f !== this.#configPath);
    let build = cycle === 1 || data.length > 0;
    let config: 'initial' | 'untouched' | 'same' | 'changed' | 'error' = cycle === 1 ? 'initial' : 'untouched';
    let diff: ConfigDiff = { added: [], removed: [], modified: [] };
    let error: string | undefined;
    if (changes.includes(this.#configPath)) {
      const next = await this.#reload();
      if ('error' in next) {
        config = 'error';
        error = next.error;
      } else if (configMeaning(next.config) === configMeaning(this.#good)) {
        config = 'same';
        this.#good = next.config; // same meaning, but its positions are the ones in the file now
      } else {
        config = 'changed';
        build = true;
        diff = diffConfigs(this.#good, next.config);
        this.#good = next.config;
        this.#targets = next.targets;
        this.#rewatch();
      }
    }
    const removedHint = diff.removed.length > 0 ? hintLocaliser(this.p.global, this.io.cwd)(REMOVED_HINT) : undefined;
    const event = { event: 'watch-cycle', cycle, changed, notifications, config, ...diff, build, ...(error ? { error } : {}), ...(removedHint ? { hint: removedHint } : {}) };
    if (this.p.global.json) this.io.stdout.write(JSON.stringify(event) + '\n');
    else if (cycle > 1) this.#line(this.#describe(changed, config, diff, build));
    if (error) this.#stderr(`${this.#c.red('error:')} ${this.#rel(this.#configPath)} has errors; the last good config stays in force, fix and save again:\n${error}`);
    if (removedHint) this.#stderr(`${this.#c.yellow('note:')} no longer configured: ${diff.removed.join(', ')}. ${removedHint}`);
    if (!build) return;
    try {
      this.ws.setConfig(this.#good);
      const targets = cycle === 1 || diff.removed.length > 0 ? this.#targets : this.#affected(diff, data);
      await reportedBuild(this.io, this.pipeline, targets, { global: this.p.global });
    } catch (err) {
      this.#failed(err, cycle);
    } finally {
      // The log stays in memory for the next cycle; saved now so `status` (and a crash) see this cycle's work.
      await this.ws.registry.settle().catch(() => this.ws.registry.invalidate());
      await this.ws.registry.persist({ stillOpen: true });
      await this.pipeline.log.save();
    }
  }

  /**
   * The selected targets a save can make stale: periods added or modified, every period of a publication
   * whose settings changed, and periods whose local file changed. (A removal re-checks everything: what
   * the tables and the catalog hold depends on every period.)
   */
  #affected(diff: ConfigDiff, files: string[]): PeriodTarget[] {
    const changed = new Set([...diff.added, ...diff.modified]);
    const touched = new Set(files);
    const dir = this.#good.dir;
    return this.#targets.filter((t) => {
      if (changed.has(t.publication) || changed.has(`${t.publication}/${t.period}`)) return true;
      const url = this.#good.publications.find((x) => x.code === t.publication)?.periods.find((e) => e.period.label === t.period)?.url;
      const local = url === undefined ? undefined : this.localPath(url, dir);
      return local !== undefined && touched.has(local);
    });
  }

  /** The saved config, validated and with the command line's targets selected in it, or what is wrong. */
  async #reload(): Promise<{ config: PipelineConfig; targets: PeriodTarget[] } | { error: string }> {
    try {
      const config = await loadConfig(this.#configPath);
      return { config, targets: selectTargets(this.p.positionals, config, this.pipeline.stages) };
    } catch (err) {
      if (err instanceof ConfigError) return { error: err.message };
      if (err instanceof TargetError) return { error: `${err.message} (a target on the watch command line)\n  hint: ${err.hint}` };
      throw err;
    }
  }

  #describe(changed: string[], config: string, diff: ConfigDiff, build: boolean): string {
    const what = [
      diff.added.length ? `added ${diff.added.join(', ')}` : '',
      diff.removed.length ? `removed ${diff.removed.join(', ')}` : '',
      diff.modified.length ? `modified ${diff.modified.join(', ')}` : '',
    ].filter(Boolean);
    const consequence =
      config === 'error' ? 'not used (errors below)' : config === 'same' ? 'same meaning as before (comments or whitespace)' : what.join('; ');
    return `${changed.join(', ')} saved${consequence ? `: ${consequence}` : ''} — ${build ? 'building' : 'nothing to build'}`;
  }

  /** The config file and every local file a period URL of the last good config names. */
  #watchSet(): Set<string> {
    const files = new Set([this.#configPath]);
    for (const pub of this.#good.publications) {
      for (const e of pub.periods) {
        const local = this.localPath(e.url, this.#good.dir);
        if (local && !this.#isOwnOutput(local)) files.add(local);
      }
    }
    return files;
  }

  /** After a config change: watch the files it newly names, release those it no longer names. */
  #rewatch(): void {
    const next = this.#watchSet();
    const gone = [...this.#files].filter((f) => !next.has(f));
    const fresh = [...next].filter((f) => !this.#files.has(f));
    if (gone.length) this.#watcher!.unwatch(gone);
    if (fresh.length) this.#watcher!.add(fresh);
    this.#files = next;
  }

  /** The build's own stores: never watched, whatever the config names. */
  #isOwnOutput(path: string): boolean {
    const { manifests, downloads, output, cache, pglite } = this.ws.paths;
    const abs = resolve(path);
    return [manifests, downloads, output, cache, pglite].some((dir) => abs === dir || abs.startsWith(dir + sep));
  }

  #failed(err: unknown, cycle: number): void {
    const failure = toFailure(err);
    const { message } = failure;
    const hint = failure.hint && hintLocaliser(this.p.global, this.io.cwd)(failure.hint);
    this.#problem(`build cycle ${cycle} failed: ${message}${hint ? `\n  hint: ${hint}` : ''}\n  still watching: the next save builds again`, 'watch-error', { cycle, message, hint });
  }

  #rel(path: string): string {
    const r = relative(this.ws.paths.root, path);
    return r === '' || isAbsolute(r) ? path : r;
  }

  #line(text: string): void {
    this.io.stdout.write(`${this.io.now().toISOString().slice(11, 19)} ${text}\n`);
  }

  #info(text: string, json: Record<string, unknown>): void {
    if (this.p.global.json) this.io.stdout.write(JSON.stringify(json) + '\n');
    else this.#line(text);
  }

  #problem(text: string, event: string, fields: Record<string, unknown> = {}): void {
    if (this.p.global.json) this.io.stdout.write(JSON.stringify({ event, message: text, ...fields }) + '\n');
    this.#stderr(`${this.#c.red('error:')} ${text}`);
  }

  #stderr(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }
}

/** What to tell someone who removed a period or publication while watching: nothing was deleted, and how to. */
const REMOVED_HINT =
  'Nothing was deleted: their manifests, downloads, database rows and Parquet rows stay. ' +
  '`npx tsx pipeline.ts clean` lists these leftovers and `npx tsx pipeline.ts clean --execute` removes them.';
