/**
 * `doctor`: is this machine and workspace ready to build? Node's version against package.json's engines, the
 * config, the database (embedded or DATABASE_URL, whose password is never printed), free disk, the workspace id,
 * and whether each host the config names answers at all (a short timeout each). Exit 1 when something is wrong.
 */
import { readFile, stat, statfs } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadConfig, type PipelineConfig } from '../../lib/config/index.ts';
import { toFailure } from '../../lib/failure.ts';
import { lockHolder, tryAcquireLock } from '../../lib/lock.ts';
import { workspacePaths } from '../../rules/index.ts';
import { errorCode } from '../../lib/web/request.ts';
import type { Parsed } from '../args.ts';
import { EXIT, styler, type Io } from '../io.ts';
import { version } from '../version.ts';

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

interface Check { check: string; ok: boolean; detail: string; warning?: boolean }

/** Below this, a build that downloads and loads a few publications may run out of room. */
const LOW_DISK = 1024 ** 3;

export async function doctorCommand(io: Io, p: Parsed): Promise<number> {
  const root = resolve(p.global.dir);
  const checks: Check[] = [await node(), await diskFree(root)];
  const config = await loadConfig(resolve(root, p.global.config)).then(
    (c) => (checks.push({ check: 'config', ok: true, detail: `${c.file}: ${plural(c.publications.length, 'publication')}, ${plural(c.publications.reduce((n, x) => n + x.periods.length, 0), 'period')}` }), c),
    (err: unknown) => (checks.push({ check: 'config', ok: false, detail: toFailure(err).message.split('\n')[0] }), undefined),
  );
  checks.push(await database(io, root), await workspaceId(root));
  checks.push(...(await network(io, config)));
  const bad = checks.filter((c) => !c.ok);
  if (p.global.json) {
    io.stdout.write(JSON.stringify({ event: 'doctor', ok: bad.length === 0, checks }) + '\n');
  } else {
    const c = styler(io.stdout, io.env);
    for (const x of checks) io.stdout.write(`${x.ok ? (x.warning ? c.yellow('!') : c.green('✔')) : c.red('✖')} ${x.check.padEnd(10)} ${x.detail}\n`);
    io.stdout.write(bad.length ? `${bad.length} problem${bad.length === 1 ? '' : 's'} found.\n` : 'Everything needed to build is in place.\n');
  }
  return bad.length ? EXIT.failed : EXIT.ok;
}

async function node(): Promise<Check> {
  const pkg = JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8')) as { engines?: { node?: string } };
  const wanted = pkg.engines?.node ?? '>=20';
  const [maj, min] = wanted.replace(/^>=\s*/, '').split('.').map(Number);
  const [haveMaj, haveMin] = process.versions.node.split('.').map(Number);
  const ok = haveMaj > maj || (haveMaj === maj && haveMin >= (min ?? 0));
  return { check: 'node', ok, detail: `v${process.versions.node} (nhs-pipeline ${await version()} needs ${wanted})` };
}

async function diskFree(root: string): Promise<Check> {
  const s = await statfs(root).catch(() => statfs('.'));
  const free = s.bavail * s.bsize;
  const gib = (free / 1024 ** 3).toFixed(1);
  return { check: 'disk', ok: free > LOW_DISK / 4, ...(free < LOW_DISK ? { warning: true } : {}), detail: `${gib} GiB free where the workspace is${free < LOW_DISK ? ' (low: downloads and the database need room)' : ''}` };
}

/** Opens the database and asks for its version; the embedded one only when nobody else has it open. */
async function database(io: Io, root: string): Promise<Check> {
  const url = io.env.DATABASE_URL || undefined;
  const me = { pid: process.pid, since: io.now().toISOString(), command: 'doctor' };
  const dbLock = join(root, '.cache', 'db.lock');
  let lock: { release(): Promise<void> } | undefined;
  if (!url) {
    const dir = workspacePaths(root).pglite;
    if (!(await stat(dir).then(() => true, () => false))) return { check: 'database', ok: true, detail: `embedded (PGlite): ${dir} does not exist yet; the first build creates it` };
    const busy = await lockHolder(dbLock);
    if (busy) return { check: 'database', ok: true, detail: `embedded (PGlite) at ${workspacePaths(root).pglite}, open in a ${busy.command} (pid ${busy.pid}) right now` };
    const got = await tryAcquireLock(dbLock, me);
    if ('holder' in got) return { check: 'database', ok: true, detail: `embedded (PGlite), open in a ${got.holder.command} (pid ${got.holder.pid}) right now` };
    lock = got;
  }
  try {
    const { openDb } = await import('../../lib/db/index.ts');
    const db = await openDb({ workspace: root, databaseUrl: url });
    try {
      const [{ v }] = await db.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
      return { check: 'database', ok: true, detail: `${db.description}: PostgreSQL ${v}` };
    } finally {
      await db.close();
    }
  } catch (err) {
    const f = toFailure(err);
    return { check: 'database', ok: false, detail: `${f.message}${f.hint ? ` (${f.hint})` : ''}` };
  } finally {
    await lock?.release();
  }
}

async function workspaceId(root: string): Promise<Check> {
  const id = await readFile(join(workspacePaths(root).manifests, '.workspace-id'), 'utf8').then((t) => t.trim(), () => undefined);
  return { check: 'workspace', ok: true, detail: id ? `id ${id} (manifests/.workspace-id)` : 'no id yet: the first build that opens the database creates manifests/.workspace-id' };
}

/** Each http(s) host the config names (periods, landing pages, the archive endpoint): does it answer at all? */
async function network(io: Io, config: PipelineConfig | undefined): Promise<Check[]> {
  if (!config) return [];
  const urls = [...config.publications.flatMap((p) => [...p.periods.map((e) => e.url), ...(p.landingPage ? [p.landingPage] : [])]), ...(config.archive?.endpoint ? [config.archive.endpoint] : [])];
  const origins = [...new Set(urls.flatMap((u) => (/^https?:\/\//i.test(u) ? [new URL(u).origin] : [])))];
  if (origins.length === 0) return [{ check: 'network', ok: true, detail: 'the config names no web address (local files only)' }];
  const timeoutMs = Number(io.env.NHS_PIPELINE_DOCTOR_TIMEOUT ?? 5) * 1000;
  const fetchImpl = io.web?.fetch ?? fetch;
  return Promise.all(
    origins.map(async (origin): Promise<Check> => {
      const started = Date.now();
      try {
        const res = await fetchImpl(`${origin}/`, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
        return { check: 'network', ok: true, detail: `${new URL(origin).host} answers (HTTP ${res.status}, ${Date.now() - started} ms)` };
      } catch (err) {
        const why = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (errorCode(err) ?? (err as { cause?: Error }).cause?.message ?? (err as Error).message);
        return { check: 'network', ok: false, detail: `${new URL(origin).host} cannot be reached: ${why}` };
      }
    }),
  );
}
