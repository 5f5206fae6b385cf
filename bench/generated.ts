/**
 * What the benchmarks of whole builds share: a generated workspace of P publications × 20 periods of tiny CSVs
 * (local files beside the config), a fresh database on DATABASE_URL's server, and a timed child process with its
 * peak RSS (GNU time, when there is one).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Run { ms: number; rssMb: number; stdout: string }

/** Runs a command with GNU time around it when there is one (for the peak RSS), and times it. */
export function timed(cmd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const gnuTime = spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0;
  const [c, a] = gnuTime ? ['/usr/bin/time', ['-f', '__RSS__ %M', cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(c, a, { env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      const rss = /__RSS__ (\d+)/.exec(stderr);
      if (code !== 0 && code !== null && !/^\s*__RSS__/.test(stderr.trim())) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}${stdout.split('\n').find((l) => l.includes('"outcome":"failed"'))?.slice(0, 2000) ?? ''}`));
      resolve({ ms, rssMb: rss ? Number(rss[1]) / 1024 : NaN, stdout });
    });
  });
}

/** A workspace of `periods` tiny CSV periods, 20 per publication. */
export async function generateWorkspace(dir: string, periods: number): Promise<string[]> {
  const pubs = Math.ceil(periods / 20);
  const lines = ['publications:'];
  const files: string[] = [];
  await mkdir(join(dir, 'config'), { recursive: true });
  await mkdir(join(dir, 'data'), { recursive: true });
  for (let p = 0; p < pubs; p++) {
    lines.push(`  pub_${p}:`, `    name: Generated publication ${p}`, '    periods:');
    for (let m = 0; m < 20 && p * 20 + m < periods; m++) {
      const period = `${2010 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`;
      const file = join(dir, 'data', `pub_${p}_${period}.csv`);
      const rows = ['org_code,org_name,attendances,rate'];
      for (let r = 0; r < 5; r++) rows.push(`R${p}${m}${r},"Trust ${r}, NHS",${100 + r * m},${(r / 7).toFixed(4)}`);
      await writeFile(file, rows.join('\n') + '\n');
      files.push(file);
      lines.push(`      - period: ${period}`, `        url: ../data/pub_${p}_${period}.csv`);
    }
  }
  await writeFile(join(dir, 'config', 'publications.yaml'), lines.join('\n') + '\n');
  return files;
}

export async function serverDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('a benchmark on a PostgreSQL server needs DATABASE_URL');
  const { default: pg } = await import('pg');
  const name = `nhs_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
