/**
 * The model's step end to end, through the real CLI and a fake OpenAI-compatible server whose requests are
 * counted: the first period asks, the periods after it ask nothing (the reference names them), a rebuild asks
 * nothing, and a clone of config and manifests without a key names the same, byte for byte. Turning the model on
 * later asks about tables already built without renaming them; a refused key or a model that invents columns never
 * fails a build; a wide table is sent as series and expanded after.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTestDb, type TestDb } from '../rig/db.ts';
import { goodAnswer, startFakeLlm, type FakeLlm } from '../rig/llm-server.ts';
import { ran, runCli } from './cli-rig.ts';

const SAMPLES = join(import.meta.dirname, '../fixtures/nhs-samples');
const OAPS: [string, string][] = [['2016-10', 'oct-2016'], ['2016-12', 'dec-2016'], ['2017-02', 'feb-2017']];
const KEY = 'sk-test-e2e-4f1d9c2b-NEVER-WRITTEN';
const GP = `  gp_earnings:\n    name: GP earnings\n    periods:\n      - period: FY2022-23\n        url: "${join(SAMPLES, 'gp-earnings-expenses/gpearnextime_202223.xlsx')}"`;

interface Table { name: string; description: string; identity: { method: string; derived_name: string }; llm?: { model: string; request: string; used: boolean }; columns: { name: string; header: string; description: string }[] }
const enriched = async (ws: string, pub: string, period: string) => parse(await readFile(join(ws, 'manifests/enriched', pub, `${period}.yaml`), 'utf8')).tables as Table[];

/** Every file under `dir`, as `path → bytes`. */
async function files(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(join(e.parentPath, e.name).slice(dir.length + 1), await readFile(join(e.parentPath, e.name), 'latin1'));
  }
  return out;
}

describe('the model step, end to end', () => {
  let fake: FakeLlm;
  const dirs: string[] = [];
  const dbs: TestDb[] = [];
  const env = (extra: Record<string, string> = {}) => ({ NHS_PIPELINE_LLM_BASE_URL: fake.baseUrl, NHS_PIPELINE_LLM_MODEL: 'test-model', NHS_PIPELINE_LLM_API_KEY: KEY, ...extra });
  const tempDir = async (prefix: string) => {
    const d = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  /** A workspace with OAPs `periods` (and more publications), its embedded database ready. */
  const workspace = async (prefix: string, periods: [string, string][], more = '') => {
    const ws = await tempDir(prefix);
    await mkdir(join(ws, 'config'));
    const entries = periods.map(([p, f]) => `      - period: ${p}\n        url: "${join(SAMPLES, 'out-of-area-placements', `oaps-open-data-${f}.csv`)}"`);
    await writeFile(join(ws, 'config/publications.yaml'), ['publications:', '  oaps:', '    name: OAPs', '    periods:', ...entries, more].join('\n') + '\n');
    dbs.push(await makeTestDb('pglite', ws));
    return ws;
  };

  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.answer = (req) => ({ completion: goodAnswer(req.table) });
  });
  afterAll(async () => {
    await fake.close();
    for (const db of dbs) await db.cleanup();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('the first period asks, the next ask nothing, a rebuild asks nothing, a clone without a key names the same', async () => {
    const ws = await workspace('llm-oaps-', OAPS);
    const first = await runCli(['build', '-C', ws, '--json'], env());
    expect(first.code, first.stderr).toBe(0);
    expect(fake.requests.map((r) => r.table.current_name)).toEqual(['oaps_open_data']);

    const [oct] = await enriched(ws, 'oaps', '2016-10');
    expect(oct).toMatchObject({ name: 'oaps_m_open_data', identity: { method: 'llm', derived_name: 'oaps_m_open_data' }, llm: { model: 'test-model', used: true } });
    expect(oct.description).toMatch(/^What oaps_open_data holds, in the model's words\. One row per thing counted\. Holds total rows/);
    expect(oct.columns.find((c) => c.header === 'Question')).toMatchObject({ name: 'm_question', description: 'The model on Question.' });
    for (const [period] of OAPS.slice(1)) {
      const [t] = await enriched(ws, 'oaps', period);
      expect(t).toMatchObject({ name: 'oaps_m_open_data', identity: { method: 'reference' }, llm: { request: oct.llm!.request, used: true } });
      expect(t.columns.find((c) => c.header === 'Question')).toMatchObject({ name: 'm_question', description: 'The model on Question.' });
    }
    expect(await readdir(join(ws, 'manifests/llm/oaps'))).toEqual([`${oct.llm!.request}.json`]);

    const status = await runCli(['status', '-C', ws, '--json']);
    const [pub] = status.events[0].publications as { llm: Record<string, number>; tables: { table: string }[] }[];
    expect(pub.llm).toEqual({ answers: 1, unused: 0, promptTokens: 1000, completionTokens: 200, latencyMs: expect.any(Number), cost: 0, unpriced: 1 });
    expect(status.events[0].llm).toEqual(pub.llm);
    expect(new Set(pub.tables.map((t) => t.table))).toEqual(new Set(['oaps_m_open_data']));
    expect((await runCli(['status', '-C', ws])).stdout).toMatch(/ {2}model: 1 answer, 1,000 prompt \+ 200 completion tokens, \d+\.\d s, no prices set\n/);

    const again = await runCli(['build', '-C', ws, '--json'], env());
    expect(again.code).toBe(0);
    expect(ran(again)).toEqual([]);
    expect(fake.requests).toHaveLength(1);
    // The names the model gave are today's names: `rename` has nothing to undo.
    expect((await runCli(['rename', '-C', ws, '--json'])).events.find((e) => e.event === 'rename-plan')).toMatchObject({ renames: [] });

    // A clone: the config and the committed manifests (answers included), no key, no model, no cache, no database.
    const clone = await tempDir('llm-clone-');
    await cp(join(ws, 'config'), join(clone, 'config'), { recursive: true });
    await cp(join(ws, 'manifests'), join(clone, 'manifests'), { recursive: true });
    const built = await runCli(['build', 'oaps:enriched', '-C', clone, '--json']);
    expect(built.code, built.stderr).toBe(0);
    expect(ran(built).filter((k) => k.startsWith('enriched:'))).toEqual([]);
    expect(await files(join(clone, 'manifests/enriched'))).toEqual(await files(join(ws, 'manifests/enriched')));

    // Made again from the answers alone (no enriched manifest, no key): the model named, the same bytes, nothing asked.
    await rm(join(clone, 'manifests/enriched'), { recursive: true });
    const remade = await runCli(['build', 'oaps:enriched', '-C', clone, '--json'], { NHS_PIPELINE_LLM_MODEL: 'test-model' });
    expect(remade.code, remade.stderr).toBe(0);
    expect(ran(remade).filter((k) => k.startsWith('enriched:'))).toHaveLength(3);
    expect(await files(join(clone, 'manifests/enriched'))).toEqual(await files(join(ws, 'manifests/enriched')));
    expect(fake.requests).toHaveLength(1);
  });

  it('turning the model on later asks about a table already loaded, and describes it without renaming it', async () => {
    const ws = await workspace('llm-later-', OAPS.slice(0, 1));
    expect((await runCli(['build', '-C', ws])).code).toBe(0);
    expect(ran(await runCli(['build', '-C', ws, '--json']))).toEqual([]); // a no-op, proven: the proof must not hide the model
    const plan = await runCli(['build', '-n', '-C', ws, '--json'], env());
    expect(plan.events.find((e) => e.event === 'target-end' && e.key === 'enriched:oaps/2016-10')).toMatchObject({ outcome: 'would-run', reason: { kind: 'input-changed', input: 'llm:model' } });

    const res = await runCli(['build', '-C', ws, '--json'], env());
    expect(res.code, res.stderr).toBe(0);
    expect(fake.requests).toHaveLength(1);
    const [t] = await enriched(ws, 'oaps', '2016-10');
    expect(t).toMatchObject({ name: 'oaps_open_data', identity: { method: 'kept', derived_name: 'oaps_m_open_data' }, llm: { used: true } });
    expect(t.columns.find((c) => c.header === 'Question')).toMatchObject({ name: 'question', description: 'The model on Question.' });
    const status = await runCli(['status', '-C', ws, '--json']);
    expect((status.events[0].publications as { tables: { table: string }[] }[])[0].tables.map((x) => x.table)).toEqual(['oaps_open_data']);
    // The model's names are offered, never taken unasked: `rename` lists them.
    const plan2 = (await runCli(['rename', '-C', ws, '--json'])).events.find((e) => e.event === 'rename-plan') as { renames: { from: string; to: string; columns: { from: string; to: string }[] }[] };
    expect(plan2.renames).toEqual([expect.objectContaining({ from: 'oaps_open_data', to: 'oaps_m_open_data', columns: expect.arrayContaining([{ from: 'question', to: 'm_question' }]) })]);
    expect(ran(await runCli(['build', '-C', ws, '--json'], env()))).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it('a refused key: the build succeeds with the deterministic names, says why once, asks no more, writes the key nowhere; the next build asks again', async () => {
    const ws = await workspace('llm-401-', OAPS.slice(0, 2), GP);
    fake.answer = () => ({ status: 401, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}` } }) });
    const res = await runCli(['build', 'oaps:enriched', 'gp_earnings:enriched', '-C', ws], env());
    expect(res.code, res.stderr).toBe(0);
    // One request for 59 tables: after a refused key, nothing more is asked in this build, and it is said once.
    expect(fake.requests).toHaveLength(1);
    expect(res.stdout.match(/the model could not be asked: 127\.0\.0\.1:\d+ refused the API key \(401 Unauthorized\); check NHS_PIPELINE_LLM_API_KEY, and that NHS_PIPELINE_LLM_BASE_URL is the server it belongs to; deterministic names used, the next build asks again/g)).toHaveLength(1);
    expect(res.stdout).toMatch(/✔ enriched gp_earnings\/FY2022-23 .*; the model was not asked \(see its notice\)/);
    expect(`${res.stdout}${res.stderr}`).not.toContain(KEY);
    for (const [path, bytes] of await files(ws)) expect(bytes.includes(KEY), path).toBe(false);
    const [t] = await enriched(ws, 'oaps', '2016-10');
    expect(t.name).toBe('oaps_open_data');
    expect(t.llm).toBeUndefined();

    fake.answer = (req) => ({ completion: goodAnswer(req.table) });
    const next = await runCli(['build', 'oaps:enriched', '-C', ws, '--json'], env());
    expect(next.code).toBe(0);
    expect(fake.requests).toHaveLength(2);
    const [described] = await enriched(ws, 'oaps', '2016-10');
    expect(described).toMatchObject({ name: 'oaps_open_data', llm: { used: true } });
  });

  it('a model that invents a column, then drops one: the deterministic names, both answers kept, never asked again', async () => {
    const ws = await workspace('llm-invent-', OAPS.slice(0, 1));
    fake.answer = (req, n) => {
      const a = goodAnswer(req.table);
      return { completion: n % 2 ? { ...a, columns: [...a.columns, { id: 'c99', name: 'invented', description: 'Made up.' }] } : { ...a, columns: a.columns.slice(1) } };
    };
    const res = await runCli(['build', 'oaps:enriched', '-C', ws], env());
    expect(res.code, res.stderr).toBe(0);
    expect(fake.requests).toHaveLength(2);
    const [t] = await enriched(ws, 'oaps', '2016-10');
    expect(t).toMatchObject({ name: 'oaps_open_data', identity: { method: 'derived' }, llm: { used: false } });
    expect(t.columns.map((c) => c.name)).toContain('question');
    const kept = JSON.parse(await readFile(join(ws, 'manifests/llm/oaps', `${t.llm!.request}.json`), 'utf8'));
    expect(kept.attempts.map((a: { problems: string[] }) => a.problems[0])).toEqual(['columns has ids that were not sent: c99', 'columns is missing c1']);

    await rm(join(ws, 'manifests/enriched'), { recursive: true });
    expect((await runCli(['build', 'oaps:enriched', '-C', ws], env())).code).toBe(0);
    expect(fake.requests).toHaveLength(2);
    expect(await enriched(ws, 'oaps', '2016-10')).toEqual([t]);
  });

  it('a wide table is sent as series and expanded after: members keep their names and get the series description', async () => {
    const ws = await workspace('llm-wide-', [], GP);
    await writeFile(join(ws, 'config/publications.yaml'), `publications:\n${GP}\n`);
    const res = await runCli(['build', 'gp_earnings:enriched', '-C', ws], env());
    expect(res.code, res.stderr).toBe(0);
    const tables = await enriched(ws, 'gp_earnings', 'FY2022-23');
    expect(fake.requests).toHaveLength(tables.length);
    expect(tables.every((t) => t.llm?.used)).toBe(true);

    const sent = fake.requests.find((r) => r.table.current_name === 'gp_earnings_1a_contractor_earn_by_country')!;
    const t1a = tables.find((t) => t.identity.derived_name === 'gp_earnings_m_1a_contractor_earn_by_country')!;
    expect(sent.table.columns.length + sent.table.series.reduce((n, f) => n + f.count, 0)).toBe(t1a.columns.length);
    expect(sent.table.series).toEqual([expect.objectContaining({ id: 's1', headers: ['2002/03', '2003/04', '2004/05', '…', '2022/23'] })]);
    const year = t1a.columns.find((c) => c.header === '2010/11')!;
    expect(year).toMatchObject({ name: 'c_2010_11', description: `2010/11: One of ${sent.table.series[0].count} numbered columns.` });
    expect(t1a.columns.find((c) => c.header === 'Country')).toMatchObject({ name: 'm_country', description: 'The model on Country.' });

    const deflated = fake.requests.find((r) => r.table.current_name === 'gp_earnings_1b_gpms_contractor_real_terms')!;
    expect(deflated.table.series.map((f) => f.headers[0])).toEqual(['2002/03 | GDP', '2002/03 | RPI', '2002/03 | CPI']);
  });

  it('clean lists the answers of a publication no longer configured, and never calls the folder unknown', async () => {
    const ws = await workspace('llm-clean-', OAPS.slice(0, 1));
    expect((await runCli(['build', 'oaps:enriched', '-C', ws], env())).code).toBe(0);
    const [answer] = await readdir(join(ws, 'manifests/llm/oaps'));
    const manifests = async () => ((await runCli(['clean', '-C', ws, '--json'])).events.find((e) => e.event === 'clean') as { stores: Record<string, { kinds: Record<string, { id: string }[]>; unknown: { id: string }[] }> }).stores.manifests;
    expect(await manifests()).toMatchObject({ kinds: {}, unknown: [] });
    await writeFile(join(ws, 'config/publications.yaml'), `publications:\n${GP}\n`);
    expect((await manifests()).kinds['llm answers']).toEqual([expect.objectContaining({ id: `manifests/llm/oaps/${answer}` })]);
    expect((await runCli(['clean', '--execute', '-C', ws])).code).toBe(0);
    expect(await readdir(join(ws, 'manifests/llm')).catch(() => [])).toEqual([]);
  });
});
