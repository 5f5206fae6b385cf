/**
 * Hints name the config file actually used and the workspace in force: under `-C DIR --config FILE`, a hint
 * that would say `config/publications.yaml` names FILE (as a path from where the command ran), and a command it
 * suggests carries the same -C and --config.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from './cli-rig.ts';

let ws: string | undefined;
afterAll(async () => {
  if (ws) await rm(ws, { recursive: true, force: true });
});

it('a failed download under --config names that file, in plain and JSON output', async () => {
  ws = await mkdtemp(join(tmpdir(), 'hints-'));
  await mkdir(join(ws, 'conf'));
  // A page that links no data file (an "upcoming" page): its hint says to put URLs in the config.
  await writeFile(join(ws, 'conf/page.html'), '<!DOCTYPE html><html><body><a href="notes.pdf">Notes</a></body></html>');
  await writeFile(join(ws, 'conf/other.yaml'), 'publications:\n  oaps:\n    name: OAPs\n    periods:\n      - period: 2016-10\n        url: page.html\n');
  const used = relative(process.cwd(), join(ws, 'conf/other.yaml'));
  const plain = await runCli(['build', '-C', ws, '--config', 'conf/other.yaml', 'oaps/*:download']);
  expect(plain.code).toBe(1);
  expect(plain.stdout).toMatch(new RegExp(`hint: .*put the page or file URL\\(s\\) in ${used.replace(/[.]/g, '\\.')}$`, 'm'));
  expect(plain.stdout).not.toContain('config/publications.yaml');
  // Run again: skipped for the same failure (the ledger's), its hint named the same way.
  const json = await runCli(['build', '-C', ws, '--config', 'conf/other.yaml', 'oaps/*:download', '--json']);
  const failed = json.events.find((e) => e.event === 'target-end' && e.error) as { error: { hint: string } };
  expect(failed.error.hint.endsWith(`put the page or file URL(s) in ${used}`)).toBe(true);
});

it('a suggested command carries the -C and --config in force', async () => {
  const { hintLocaliser } = await import('../../cli/hints.ts');
  // The hint `status` prints for a blob changed on disk, as `build` would print it under -C and --config.
  const hint = hintLocaliser({ dir: 'examples/offline', config: 'other.yaml' }, process.cwd())('run `build --refresh` to download the new version');
  expect(hint).toBe('run `build -C examples/offline --config other.yaml --refresh` to download the new version');
});
