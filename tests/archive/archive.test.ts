/**
 * `archive` and `restore` against a real S3-compatible server started here (s3rver), on both database backends:
 * an interrupted upload resumes and a second run uploads nothing; retention removes old periods locally (status:
 * archived, a build leaves them alone, clean lists nothing); restore brings them back, every hash checked, with no
 * download from the publisher, to byte-identical Parquet and equal table contents; bad credentials are said
 * clearly, without the secret.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../lib/db/index.ts';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { startTestServer, type TestServer } from '../rig/http-server.ts';
import { ran, runCli } from '../e2e/cli-rig.ts';
import { S3_ENV, startS3, type S3TestServer } from './s3-server.ts';

const OAPS = join(import.meta.dirname, '../fixtures/nhs-samples/out-of-area-placements');
const FILES: Record<string, string> = { '2016-10': 'oaps-open-data-oct-2016.csv', '2016-12': 'oaps-open-data-dec-2016.csv', '2017-02': 'oaps-open-data-feb-2017.csv' };

describe.each(testBackends())('archive and restore (%s)', (backend) => {
  let web: TestServer;
  let s3: S3TestServer;
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  let original: { parquet: Buffer; rows: Record<string, unknown[]> };
  const cli = (args: string[], extra: Record<string, string | undefined> = {}, signal?: AbortSignal) => runCli([...args, '-C', ws, '--json'], { ...env, ...extra }, signal);
  const config = (retention: string) =>
    [`archive:\n  url: s3://nhs-archive/pipeline\n  endpoint: ${s3.endpoint}`, retention, 'publications:', '  oaps:', '    name: OAPs', '    periods:',
      ...Object.entries(FILES).map(([p, f]) => `      - period: ${p}\n        url: ${web.url}/files/${f}`)].filter(Boolean).join('\n') + '\n';
  const withDb = async <T>(fn: (d: Db) => Promise<T>): Promise<T> => {
    const d = await openDb({ workspace: ws, databaseUrl: env.DATABASE_URL });
    try {
      return await fn(d);
    } finally {
      await d.close();
    }
  };
  // A row as an analyst reads it: its slice's provenance joined in, every column of the row but its slice's id (which
  // a restore numbers anew).
  const rowsOf = (period: string) =>
    withDb((d) =>
      d.query(
        `SELECT s.publication AS _publication, s.source_key AS _source_key, s.source_file AS _source_file, s.source_sha256 AS _source_sha256, s.sheet AS _sheet,
                to_jsonb(t) - '_slice' AS row
           FROM staging.oaps_open_data t LEFT JOIN datawarp.slices s ON s.slice_id = t._slice WHERE t._period = $1 ORDER BY s.source_key, t._source_row`,
        [period],
      ),
    );
  const parquet = () => readFile(join(ws, 'output/parquet/oaps_open_data.parquet'));
  const puts = (from: number) => s3.requests.slice(from).filter((r) => r.method === 'PUT').map((r) => r.key);

  beforeAll(async () => {
    web = await startTestServer();
    for (const f of Object.values(FILES)) web.serveFile(`/files/${f}`, join(OAPS, f), { 'content-type': 'text/csv' });
    s3 = await startS3();
    ws = await mkdtemp(join(tmpdir(), `archive-${backend}-`));
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl, ...S3_ENV };
    await mkdir(join(ws, 'config'));
    await writeFile(join(ws, 'config/publications.yaml'), config(''));
    expect((await cli(['build'])).code).toBe(0);
    original = { parquet: await parquet(), rows: { '2016-10': await rowsOf('2016-10'), '2016-12': await rowsOf('2016-12') } };
  });
  afterAll(async () => {
    await db?.cleanup();
    await web?.close();
    await s3?.close();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('an interrupted upload resumes with what is missing; a second run uploads nothing', async () => {
    const stop = new AbortController();
    let objects = 0;
    s3.onRequest = (r) => {
      if (r.method === 'PUT' && r.key.startsWith('pipeline/objects/') && ++objects === 3) stop.abort(new Error('interrupted'));
    };
    const first = await cli(['archive'], {}, stop.signal);
    s3.onRequest = undefined;
    expect(first.code).toBe(130);
    expect(await readdir(join(ws, 'manifests/archive')).catch(() => [])).toEqual([]); // no period counts as archived yet

    const mark = s3.requests.length;
    const second = await cli(['archive']);
    expect(second.code).toBe(0);
    const report = second.events.find((e) => e.event === 'archive') as { periods: { outcome: string; objects: number }[] };
    expect(report.periods.map((p) => p.outcome)).toEqual(['archived', 'archived', 'archived']);
    const sent = puts(mark);
    const total = report.periods.reduce((n, p) => n + p.objects, 0);
    expect(sent.filter((k) => k.startsWith('pipeline/objects/'))).toHaveLength(total - 3);
    expect(sent.filter((k) => k.endsWith('/manifest.json')).sort()).toEqual(Object.keys(FILES).map((p) => `pipeline/oaps/${p}/manifest.json`));
    expect(sent.some((k) => /^pipeline\/catalog\/catalog_\d{8}\.parquet$/.test(k))).toBe(true);
    const manifest = JSON.parse(await readFile(join(ws, 'manifests/archive/oaps/2016-10.json'), 'utf8'));
    expect(manifest).toMatchObject({ publication: 'oaps', period: '2016-10', remote: 's3://nhs-archive/pipeline', sources: false });

    const again = s3.requests.length;
    const third = await cli(['archive']);
    expect(third.code).toBe(0);
    expect(puts(again)).toEqual([]);
    expect(third.events.find((e) => e.event === 'summary')).toMatchObject({ archived: 0, upToDate: 3, uploaded: 0 });
  });

  it('retention removes older archived periods locally: status says archived, a build leaves them, clean lists nothing', async () => {
    await writeFile(join(ws, 'config/publications.yaml'), config('retention:\n  keep_periods: 1'));
    const run = await cli(['archive', '--sources']);
    expect(run.code).toBe(0);
    const report = run.events.find((e) => e.event === 'archive') as { retention: { removed: { id: string }[] } };
    expect(report.retention.removed.map((r) => r.id)).toEqual(['oaps/2016-12', 'oaps/2016-10']);
    expect(await rowsOf('2016-10')).toEqual([]);
    expect(await rowsOf('2016-12')).toEqual([]);
    // The manifests stay; the table's Parquet holds only the period kept.
    expect(await readFile(join(ws, 'manifests/canonical/oaps/2016-10.yaml'), 'utf8')).toContain('provenance:');
    expect((await parquet()).equals(original.parquet)).toBe(false);

    const status = (await cli(['status'])).events[0] as { publications: { periods: { period: string; state: string }[] }[] };
    expect(status.publications[0]!.periods.map((p) => [p.period, p.state])).toEqual([['2016-10', 'archived'], ['2016-12', 'archived'], ['2017-02', 'built']]);
    expect((await cli(['status', '--check'])).code).toBe(0);
    const build = await cli(['build']);
    expect(build.code).toBe(0);
    expect(ran(build)).toEqual([]);
    expect(build.events.find((e) => e.event === 'archived')).toEqual({ event: 'archived', periods: ['oaps/2016-10', 'oaps/2016-12'], time: expect.any(String) });
    const explain = await runCli(['explain', 'oaps/2016-10', '-C', ws], env);
    expect(explain.stdout).toContain('oaps/2016-10: archived — its rows are in s3://nhs-archive/pipeline only since');
    const clean = await cli(['clean']);
    expect(clean.events.find((e) => e.event === 'summary')).toMatchObject({ items: 0, unknown: 0 });
  });

  it('restore brings the periods back, hashes checked, without the publisher: byte-identical Parquet, equal rows', async () => {
    const before = web.requests.length;
    const run = await cli(['restore', 'oaps/2016-10', 'oaps/2016-12']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const restored = (run.events.find((e) => e.event === 'restore') as { restored: { id: string; reloaded: boolean; rows: number }[] }).restored;
    expect(restored.map((r) => [r.id, r.reloaded])).toEqual([['oaps/2016-10', true], ['oaps/2016-12', true]]);
    expect(web.requests.length).toBe(before);
    expect(await rowsOf('2016-10')).toEqual(original.rows['2016-10']);
    expect(await rowsOf('2016-12')).toEqual(original.rows['2016-12']);
    expect((await parquet()).equals(original.parquet)).toBe(true);
    const status = (await cli(['status'])).events[0] as { publications: { periods: { state: string }[] }[] };
    expect(status.publications[0]!.periods.map((p) => p.state)).toEqual(['built', 'built', 'built']);
    expect(ran(await cli(['build']))).toEqual([]);
    // Its sources came back too (archived with --sources): a rebuild of the period would download nothing.
    const sha = /sha256: ([0-9a-f]{64})/.exec(await readFile(join(ws, 'manifests/download/oaps/2016-10.yaml'), 'utf8').then((t) => t.slice(t.indexOf('files:'))))![1]!;
    expect(await readdir(join(ws, 'downloads', sha))).toEqual([FILES['2016-10']]);
  });

  it('wrong or missing credentials: a clear error, never the secret', async () => {
    const secret = 'do-not-print-this-secret-0123456789';
    const wrong = await cli(['archive'], { AWS_ACCESS_KEY_ID: 'AKIAWRONGKEY0000', AWS_SECRET_ACCESS_KEY: secret });
    expect(wrong.code).toBe(2);
    const said = wrong.stdout + wrong.stderr;
    expect(said).toMatch(/the archive refused the credentials \((InvalidAccessKeyId, )?HTTP 403\)/);
    expect(said).toContain('check AWS_ACCESS_KEY_ID (now AKIA…0000) and AWS_SECRET_ACCESS_KEY');
    expect(said).not.toContain(secret);
    const missing = await cli(['restore', 'oaps/2016-10'], { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('the archive needs credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set');
  });

  it('an object changed in the bucket stops the restore, naming it; nothing is restored from it', async () => {
    const m = JSON.parse(await readFile(join(ws, 'manifests/archive/oaps/2016-10.json'), 'utf8')) as { manifest: { key: string } };
    const { S3Client, GetObjectCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
    const client = new S3Client({ endpoint: s3.endpoint, region: 'auto', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    try {
      const manifest = JSON.parse(await (await client.send(new GetObjectCommand({ Bucket: 'nhs-archive', Key: `pipeline/${m.manifest.key}` }))).Body!.transformToString());
      const slice = (manifest.objects as { role: string; sha256: string }[]).find((o) => o.role === 'parquet')!;
      await client.send(new PutObjectCommand({ Bucket: 'nhs-archive', Key: `pipeline/objects/sha256/${slice.sha256.slice(0, 2)}/${slice.sha256}`, Body: 'not the rows' }));
      const before = await rowsOf('2016-10');
      const run = await cli(['restore', 'oaps/2016-10']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`s3://nhs-archive/pipeline/objects/sha256/${slice.sha256.slice(0, 2)}/${slice.sha256} holds other bytes than recorded`);
      expect(await rowsOf('2016-10')).toEqual(before);
    } finally {
      client.destroy();
    }
  });
});

describe('archive without an archive: setting', () => {
  it('says how to configure one', async () => {
    const ws = await mkdtemp(join(tmpdir(), 'archive-none-'));
    try {
      await mkdir(join(ws, 'config'));
      await writeFile(join(ws, 'config/publications.yaml'), 'publications:\n  oaps:\n    name: OAPs\n    periods:\n      - period: 2016-10\n        url: x.csv\n');
      const run = await runCli(['archive', '-C', ws], S3_ENV);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('has no `archive:` setting');
      expect(run.stderr).toContain('url: s3://<bucket>/<prefix>');
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });
});
