/**
 * `build --remote` against a real S3-compatible server (s3rver), with shards on one PostgreSQL database: each shard
 * pushes the manifests it built; a fresh clone of the checkout (no manifests, no downloads) with the same database
 * and the remote then builds no manifest and no load, and asks the publishing server for nothing: every manifest is
 * fetched, and the tables' Parquet is written from the database.
 */
import { appendFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3_ENV, startS3, type S3TestServer } from '../archive/s3-server.ts';
import { makeTestDb, type TestDb } from '../rig/db.ts';
import type { TestServer } from '../rig/http-server.ts';
import { readParquet, runCli, startCli } from './cli-rig.ts';
import { checkout, cloneOf, csvOf, eventsOf, PERIODS, publishingServer, PUBS, ranKeys, type Pub } from './shard-rig.ts';

const CODES = Object.keys(PUBS) as Pub[];
const SECRET = 'shard-remote-secret-never-printed';
const MANIFEST_STAGES = ['download', 'draft', 'enriched', 'canonical'];

describe.skipIf(!process.env.DATABASE_URL)('a remote artifact store shared by shards', () => {
  let server: TestServer;
  let s3: S3TestServer;
  let root: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  const remote = () => `s3://${s3.bucket}/cache`;

  beforeAll(async () => {
    server = await publishingServer();
    s3 = await startS3();
    root = await mkdtemp(join(tmpdir(), 'shard-remote-'));
    await checkout(join(root, 'origin'), server);
    db = await makeTestDb('postgres', join(root, 'origin'));
    // s3rver checks the key id, not signatures: a secret of our own shows whether it is ever printed.
    env = { DATABASE_URL: db.databaseUrl, AWS_ENDPOINT_URL: s3.endpoint, ...S3_ENV, AWS_SECRET_ACCESS_KEY: SECRET };
  });
  afterAll(async () => {
    await db?.cleanup();
    await s3?.close();
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('shards push what they built; a fresh clone fetches every manifest, loads nothing, downloads nothing; a third builds nothing', async () => {
    const [a, b] = await Promise.all(['a', 'b'].map((n) => cloneOf(join(root, 'origin'), join(root, n))));
    const shards = [startCli(['build', '-C', a, '--json', '--shard', '1/2', '--remote', remote()], env), startCli(['build', '-C', b, '--json', '--shard', '2/2', '--remote', remote()], env)];
    const codes = await Promise.all(shards.map((s) => s.code));
    shards.forEach((s, i) => expect(codes[i], s.stderr()).toBe(0));
    const built = shards.flatMap((s) => ranKeys(eventsOf(s.stdout())));
    expect(built.filter((k) => k.startsWith('loaded:'))).toHaveLength(CODES.length * PERIODS.length);
    // One cache entry per manifest built, none of the secret anywhere in what was printed.
    const entries = s3.requests.filter((r) => r.method === 'PUT' && MANIFEST_STAGES.some((stage) => r.key.includes(`cache/${stage}/`)) && r.key.endsWith('.json')).map((r) => r.key);
    expect(new Set(entries).size).toBe(CODES.length * PERIODS.length * MANIFEST_STAGES.length);
    for (const s of shards) expect(s.stdout() + s.stderr()).not.toContain(SECRET);

    const fresh = await cloneOf(join(root, 'origin'), join(root, 'fresh'));
    const asked = server.requests.length;
    const final = await runCli(['build', '-C', fresh, '--json', '--remote', remote()], env);
    expect(final.code, final.stderr).toBe(0);
    expect(server.requests.length).toBe(asked);
    const ends = final.events.filter((e) => e.event === 'target-end');
    const fetched = ends.filter((e) => e.outcome === 'ran' && (e.stats as Record<string, number> | undefined)?.fetchedFromRemote === 1).map((e) => String(e.key)).sort();
    const manifests = CODES.flatMap((pub) => PERIODS.flatMap((p) => MANIFEST_STAGES.map((s) => `${s}:${pub}/${p}`))).sort();
    expect(fetched).toEqual(manifests);
    // Built here, as the final step: what is written from the database (each table's Parquet, the catalog), pushed.
    const published = ranKeys(final.events).filter((k) => !fetched.includes(k));
    expect(published.every((k) => k.startsWith('parquet:') || k === 'catalog:all')).toBe(true);
    expect(published).toContain('catalog:all');
    const parquet = (await readdir(join(fresh, 'output/parquet'))).filter((f) => f.endsWith('.parquet'));
    let rows = 0;
    for (const f of parquet) rows += (await readParquet(join(fresh, 'output/parquet', f))).numRows;
    expect(rows).toBe(CODES.reduce((n, pub) => n + PERIODS.reduce((m, p) => m + csvOf(pub, p).rows, 0), 0));

    // And now the clone is an ordinary workspace: a second build does nothing.
    const again = await runCli(['build', '-C', fresh, '--json', '--remote', remote()], env);
    expect(ranKeys(again.events)).toEqual([]);

    // A third clone builds nothing at all: every target, the catalog included, is fetched, and no file is asked of
    // the source server; its Parquet files are the second clone's, byte for byte.
    const third = await cloneOf(join(root, 'origin'), join(root, 'third'));
    const last = await runCli(['build', '-C', third, '--json', '--remote', remote()], env);
    expect(last.code, last.stderr).toBe(0);
    expect(server.requests.length).toBe(asked);
    const lastEnds = last.events.filter((e) => e.event === 'target-end' && e.outcome === 'ran');
    expect(lastEnds.length).toBeGreaterThan(0);
    expect(lastEnds.filter((e) => (e.stats as Record<string, number> | undefined)?.fetchedFromRemote !== 1).map((e) => e.key)).toEqual([]);
    for (const f of parquet) expect(await readFile(join(third, 'output/parquet', f))).toEqual(await readFile(join(fresh, 'output/parquet', f)));
  });

  it('`remote:` in the config does the same as --remote', async () => {
    const fresh = await cloneOf(join(root, 'origin'), join(root, 'fresh-config'));
    await appendFile(join(fresh, 'config/publications.yaml'), `remote:\n  url: ${remote()}\n  endpoint: ${s3.endpoint}\n`);
    const asked = server.requests.length;
    const { AWS_ENDPOINT_URL: _, ...withoutEndpoint } = env;
    const res = await runCli(['build', '-C', fresh, '--json'], withoutEndpoint);
    expect(res.code, res.stderr).toBe(0);
    expect(server.requests.length).toBe(asked);
    const ran = res.events.filter((e) => e.event === 'target-end' && e.outcome === 'ran');
    const fetched = ran.filter((e) => (e.stats as Record<string, number> | undefined)?.fetchedFromRemote === 1).map((e) => String(e.key));
    expect(fetched.filter((k) => MANIFEST_STAGES.some((stage) => k.startsWith(`${stage}:`)))).toHaveLength(CODES.length * PERIODS.length * MANIFEST_STAGES.length);
    expect(ran.map((e) => String(e.key)).filter((k) => !fetched.includes(k))).toEqual([]); // the Parquet and the catalog too
  });

  it('without credentials --remote is a usage error naming the remote and the variables, before anything is built', async () => {
    const res = await runCli(['build', '-C', join(root, 'origin'), '--remote', remote()], { DATABASE_URL: db.databaseUrl });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`the remote (--remote ${remote()}) needs credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set`);
    expect(res.stderr).not.toContain('the archive');
  });

  it('with half the credentials, the error names the remote and the missing variable, and never prints the secret', async () => {
    const bare = await cloneOf(join(root, 'origin'), join(root, 'half'));
    const half = { DATABASE_URL: db.databaseUrl, AWS_SECRET_ACCESS_KEY: SECRET };
    const res = await runCli(['build', '-C', bare, '--remote', remote()], half);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`the remote (--remote ${remote()}) needs credentials: AWS_ACCESS_KEY_ID is not set`);
    expect(res.stdout + res.stderr).not.toContain(SECRET);
    // Named by `remote:` in the config instead: the error says so.
    await appendFile(join(bare, 'config/publications.yaml'), `remote:\n  url: ${remote()}\n  endpoint: ${s3.endpoint}\n`);
    const config = await runCli(['build', '-C', bare], half);
    expect(config.code).toBe(2);
    expect(config.stderr).toContain(`the remote (remote: ${remote()} in the config) needs credentials: AWS_ACCESS_KEY_ID is not set`);
    expect(config.stdout + config.stderr).not.toContain(SECRET);
  });
});
