/**
 * Shard benchmark (issue 16): the wall time of a generated backfill on 1, 2 and 4 local worker processes, each
 * `build --shard i/n --remote …` in its own clone of the checkout (processes stand in for machines), all sharing
 * one fresh database on DATABASE_URL's server and one local S3-compatible server (s3rver, in this process), then
 * the final `build --remote …` in a fresh clone (fetches every manifest, writes Parquet and the catalog).
 *
 *   npx tsx bench/shard.bench.ts [--periods 2000] [--workers 1,2,4]      (or SHARD_BENCH_PERIODS=200)
 *
 * The workspace is P publications × 20 periods of tiny CSVs read from local files (bench/generated.ts), so this
 * measures coordination and per-target work, not row throughput (bench/load.bench.ts does). Each worker runs with
 * the default `-j` (the cores). Prints each phase's wall time, the speed-up against one process, and the peak RSS
 * of the largest worker and of the final build. A machine's cores bound the speed-up: it is printed beside them.
 * Timings are printed, never asserted; the run fails when a period is loaded twice or not at all.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startS3, S3_ENV } from '../tests/archive/s3-server.ts';
import { generateWorkspace, serverDatabase, timed, type Run } from './generated.ts';

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const { values } = parseArgs({
  options: {
    periods: { type: 'string', default: process.env.SHARD_BENCH_PERIODS ?? '2000' },
    workers: { type: 'string', default: '1,2,4' },
  },
});
const PERIODS = Number(values.periods);
const WORKERS = values.workers!.split(',').map(Number);

const fmt = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');

interface Event { event: string; outcome?: string; key?: string; stats?: Record<string, number> }
const eventsOf = (run: Run): Event[] => run.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);
/** Targets built here (ran, not fetched from the remote). */
const built = (run: Run) => eventsOf(run).filter((e) => e.event === 'target-end' && e.outcome === 'ran' && !e.stats?.fetchedFromRemote).map((e) => e.key!);

/** A clone of the checkout: config, the local source files and the committed workspace id. */
async function cloneOf(checkout: string, to: string): Promise<string> {
  for (const dir of ['config', 'data', 'manifests']) await cp(join(checkout, dir), join(to, dir), { recursive: true });
  return to;
}

interface Result { workers: number; shardsMs: number; finalMs: number; workerRssMb: number; finalRssMb: number; loadBefore: string; loadAfter: string }

async function backfill(checkout: string, n: number, s3: { endpoint: string; bucket: string }): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), `shard-bench-${n}-`));
  const db = await serverDatabase();
  const remote = `s3://${s3.bucket}/bench-${n}-${Date.now()}`;
  const env = { DATABASE_URL: db.url, AWS_ENDPOINT_URL: s3.endpoint, ...S3_ENV, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const cli = (ws: string, args: string[]) => timed(TSX, [join(ROOT, 'pipeline.ts'), 'build', '-C', ws, '--json', '--remote', remote, ...args], env);
  try {
    const clones = await Promise.all(Array.from({ length: n }, (_, i) => cloneOf(checkout, join(dir, `worker-${i + 1}`))));
    const loadBefore = load();
    const t0 = performance.now();
    const shards = await Promise.all(clones.map((ws, i) => cli(ws, ['--shard', `${i + 1}/${n}`])));
    const shardsMs = performance.now() - t0;
    const loaded = shards.flatMap((r) => built(r).filter((k) => k.startsWith('loaded:')));
    if (loaded.length !== PERIODS || new Set(loaded).size !== PERIODS) throw new Error(`${n} workers loaded ${loaded.length} periods (${new Set(loaded).size} distinct) of ${PERIODS}`);
    const final = await cli(await cloneOf(checkout, join(dir, 'final')), []);
    const rebuilt = built(final).filter((k) => !k.startsWith('parquet:') && k !== 'catalog:all');
    if (rebuilt.length) throw new Error(`the final build after ${n} workers built ${rebuilt.length} targets again, e.g. ${rebuilt[0]}`);
    return { workers: n, shardsMs, finalMs: final.ms, workerRssMb: Math.max(...shards.map((r) => r.rssMb)), finalRssMb: final.rssMb, loadBefore, loadAfter: load() };
  } finally {
    await db.drop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

if (!process.env.DATABASE_URL) {
  console.log('shard benchmark: skipped (shards share a PostgreSQL server: set DATABASE_URL)');
  process.exit(0);
}
const cores = availableParallelism();
console.log(`shard benchmark: ${PERIODS} periods (${Math.ceil(PERIODS / 20)} publications × 20), workers ${WORKERS.join(', ')}, on ${cores} cores, load average ${load()}`);
if (WORKERS.some((n) => n > cores)) console.log(`  note: more workers than the ${cores} cores here: beyond ${cores} they share the cores (with the database server and s3rver), so the speed-up shown is this machine's, not that of ${Math.max(...WORKERS)} machines`);
const s3 = await startS3();
const checkout = await mkdtemp(join(tmpdir(), 'shard-bench-checkout-'));
try {
  await generateWorkspace(checkout, PERIODS);
  await mkdir(join(checkout, 'manifests'), { recursive: true });
  await writeFile(join(checkout, 'manifests', '.workspace-id'), 'shard-bench\n');
  const results: Result[] = [];
  for (const n of WORKERS) {
    const r = await backfill(checkout, n, s3);
    results.push(r);
    const one = results.find((x) => x.workers === 1);
    const speed = (a: number, b: number) => (one ? `×${(a / b).toFixed(2)}` : 'n/a');
    console.log(
      `${String(n).padStart(2)} worker(s): shards ${fmt(r.shardsMs).padStart(8)} (${speed(one?.shardsMs ?? 0, r.shardsMs)} vs 1)` +
      `, final build ${fmt(r.finalMs)}, total ${fmt(r.shardsMs + r.finalMs)} (${speed((one?.shardsMs ?? 0) + (one?.finalMs ?? 0), r.shardsMs + r.finalMs)} vs 1)` +
      `; peak RSS ${r.workerRssMb.toFixed(0)} MB per worker, final ${r.finalRssMb.toFixed(0)} MB; load average ${r.loadBefore} → ${r.loadAfter}`,
    );
  }
} finally {
  await s3.close();
  await rm(checkout, { recursive: true, force: true });
}
