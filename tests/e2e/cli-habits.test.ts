/**
 * The habits of make, git and dbt users (issue 13): global options before or after the command, `--version`,
 * patterns in targets, `ls` with each period's state, and machine output that is always JSON with a time.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../cli/args.ts';
import { oapsWorkspace, runCli } from './cli-rig.ts';

let ws: string;
beforeAll(async () => {
  ws = await oapsWorkspace('habits-');
  // One period through its canonical manifest: the other stays pending.
  const res = await runCli(['-C', ws, 'build', 'oaps/2016-10:canonical']);
  expect(res.code, res.stderr).toBe(0);
});
afterAll(async () => {
  if (ws) await rm(ws, { recursive: true, force: true });
});

const wouldRun = (events: Record<string, unknown>[]) => events.filter((e) => e.event === 'target-end' && e.outcome === 'would-run').map((e) => String(e.key)).sort();

describe('global options go anywhere', () => {
  it('-C DIR, --config, -j, -v and --json before the command mean what they mean after it', async () => {
    const before = await runCli(['-C', ws, '-j', '1', '-v', '--json', 'build', '-n', 'oaps/2016-12:draft']);
    const after = await runCli(['build', '-n', 'oaps/2016-12:draft', '-C', ws, '-j', '1', '-v', '--json']);
    expect(before.code, before.stderr).toBe(0);
    expect(wouldRun(before.events)).toEqual(['download:oaps/2016-12', 'draft:oaps/2016-12']);
    expect(wouldRun(after.events)).toEqual(wouldRun(before.events));
    await writeFile(join(ws, 'config/other.yaml'), (await readFile(join(ws, 'config/publications.yaml'), 'utf8')).replace(/ {6}- period: 2016-12\n.*\n/, ''));
    const other = await runCli(['--config', 'config/other.yaml', '-C', ws, 'ls']);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toContain('oaps/2016-10');
    expect(other.stdout).not.toContain('oaps/2016-12');
  });

  it('--version prints the name and the version package.json gives', async () => {
    const { version } = JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8'));
    const res = await runCli(['--version']);
    expect(res).toMatchObject({ code: 0, stdout: `nhs-pipeline ${version}\n` });
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('help', () => {
  it('--help lists every command, and each command has its own --help', async () => {
    const main = await runCli(['--help']);
    expect(main.code).toBe(0);
    for (const command of COMMANDS) {
      expect(main.stdout, command).toMatch(new RegExp(`^  ${command} `, 'm'));
      const own = await runCli([command, '--help']);
      expect(own.code).toBe(0);
      expect(own.stdout.startsWith(`Usage: npx tsx pipeline.ts ${command} `), command).toBe(true);
    }
  });
});

describe('patterns in targets', () => {
  it.each([
    ['oaps/*:draft', ['download:oaps/2016-10', 'download:oaps/2016-12', 'draft:oaps/2016-10', 'draft:oaps/2016-12']],
    ['oa*:download', ['download:oaps/2016-10', 'download:oaps/2016-12']],
    ['*/2016-1?:download', ['download:oaps/2016-10', 'download:oaps/2016-12']],
    ['*/2016-12:download', ['download:oaps/2016-12']],
    [':download', ['download:oaps/2016-10', 'download:oaps/2016-12']],
  ])('%s selects the periods it matches', async (target, keys) => {
    const res = await runCli(['build', '-n', '-v', '--json', '-C', ws, target]);
    expect(res.code, res.stderr).toBe(0);
    const visited = res.events.filter((e) => e.event === 'target-end').map((e) => String(e.key)).sort();
    expect(visited).toEqual(keys);
  });

  it('a pattern that matches nothing is an error naming it, with the publications there are', async () => {
    const res = await runCli(['build', '-C', ws, 'ae_*']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('no configured period matches "ae_*"');
    expect(res.stderr).toContain('publications in');
    expect(res.stderr).toContain(': oaps;');
    const period = await runCli(['build', '-C', ws, 'oaps/2025-*']);
    expect(period.code).toBe(2);
    expect(period.stderr).toContain('no configured period matches "oaps/2025-*"');
  });
});

describe('ls', () => {
  it('lists every period with its state and the last stage built; a pattern narrows it', async () => {
    const res = await runCli(['ls', '-C', ws]);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^oaps\/2016-10 +stale +through canonical — /);
    expect(lines[1]).toMatch(/^oaps\/2016-12 +pending +nothing built$/);
    const one = await runCli(['ls', '-C', ws, '*/2016-12']);
    expect(one.stdout.trim().split('\n')).toEqual([lines[1]]);
  });

  it('--json: one target event per period, each with a time', async () => {
    const res = await runCli(['ls', '-C', ws, '--json']);
    expect(res.code).toBe(0);
    expect(res.events.map((e) => [e.event, e.target, e.state, e.builtThrough])).toEqual([
      ['target', 'oaps/2016-10', 'stale', 'canonical'],
      ['target', 'oaps/2016-12', 'pending', null],
    ]);
    for (const e of res.events) expect(new Date(String(e.time)).toISOString()).toBe(e.time);
  });
});

describe('machine output', () => {
  it('every event of a build carries an ISO time; status --json has schema 1 and builtThrough null when nothing is built', async () => {
    const build = await runCli(['build', '-n', '-C', ws, '--json']);
    expect(build.events.length).toBeGreaterThan(3);
    for (const e of build.events) expect(new Date(String(e.time)).toISOString(), JSON.stringify(e)).toBe(e.time);
    const status = await runCli(['status', '-C', ws, '--json']);
    const [event] = status.events as { schema: number; time: string; publications: { periods: { period: string; builtThrough: unknown }[] }[] }[];
    expect(event.schema).toBe(1);
    expect(event.publications[0].periods).toMatchObject([{ period: '2016-10', builtThrough: 'canonical' }, { period: '2016-12', builtThrough: null }]);
  });

  it('a usage error with --json is a JSON error event on stdout (and text on stderr)', async () => {
    const res = await runCli(['--json', 'biuld', '-C', ws]);
    expect(res.code).toBe(2);
    expect(res.events).toMatchObject([{ event: 'error', kind: 'usage', message: 'unknown command "biuld"', exitCode: 2 }]);
    expect(res.events[0].hint).toContain('did you mean "build"?');
    expect(res.stderr).toContain('unknown command "biuld"');
    const option = await runCli(['build', '--json', '--frobnicate', '-C', ws]);
    expect(option.code).toBe(2);
    expect(option.events).toMatchObject([{ event: 'error', kind: 'usage' }]);
    expect(String(option.events[0].message)).toContain("'--frobnicate'");
  });

  it('a config error with --json is a JSON error event with its file, line and column', async () => {
    const bad = await oapsWorkspace('habits-bad-');
    try {
      await writeFile(join(bad, 'config/publications.yaml'), 'publications:\n  oaps:\n    nmae: OAPs\n    periods: []\n');
      const res = await runCli(['status', '--json', '-C', bad]);
      expect(res.code).toBe(2);
      expect(res.events).toHaveLength(1);
      const [e] = res.events as { event: string; kind: string; time: string; diagnostics: { message: string; loc: { line: number } }[] }[];
      expect(e).toMatchObject({ event: 'error', kind: 'config', exitCode: 2 });
      expect(e.diagnostics.find((d) => /nmae/.test(d.message))?.loc.line).toBe(3);
      expect(new Date(e.time).toISOString()).toBe(e.time);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});
