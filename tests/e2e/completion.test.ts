/**
 * Shell completion: `completion bash` prints a script bash accepts (`complete -p` lists it), and a simulated
 * completion (COMP_WORDS, COMP_CWORD) offers the commands, a command's options, and the workspace's publications
 * and targets read through `ls --json`.
 */
import { execFile } from 'node:child_process';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oapsWorkspace, runCli } from './cli-rig.ts';

const ROOT = join(import.meta.dirname, '../..');
let ws: string;
let script: string;
let cli: string;
beforeAll(async () => {
  ws = await oapsWorkspace('completion-');
  const out = await runCli(['completion', 'bash']);
  expect(out.code).toBe(0);
  script = join(ws, 'completion.bash');
  await writeFile(script, out.stdout);
  // What COMP_WORDS[0] runs for the targets: the CLI as ./pipeline.ts would start it.
  cli = join(ws, 'pipeline.ts');
  await writeFile(cli, `#!/bin/sh\ncd ${ROOT} && exec ${process.execPath} --import tsx ${join(ROOT, 'pipeline.ts')} "$@"\n`);
  await chmod(cli, 0o755);
});
afterAll(async () => {
  if (ws) await rm(ws, { recursive: true, force: true });
});

/** The words bash would offer for `words`, the last one being completed. */
async function complete(words: string[]): Promise<string[]> {
  const arr = words.map((w) => `'${w}'`).join(' ');
  const { stdout } = await promisify(execFile)('bash', ['-c', `source ${script}; COMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; _nhs_pipeline; printf '%s\\n' "\${COMPREPLY[@]}"`], { env: { ...process.env, CI: 'true' } });
  return stdout.split('\n').filter(Boolean);
}

describe('completion bash', () => {
  it('is accepted by bash for ./pipeline.ts', async () => {
    const { stdout } = await promisify(execFile)('bash', ['-c', `source ${script}; complete -p ./pipeline.ts pipeline.ts`]);
    expect(stdout).toContain('complete -o default -F _nhs_pipeline ./pipeline.ts');
  });

  it('completes commands, options, and the publications and targets of the -C workspace', async () => {
    expect(await complete([cli, ''])).toEqual(expect.arrayContaining(['build', 'status', 'explain', 'ls', 'sql', 'completion']));
    expect(await complete([cli, 'bu'])).toEqual(['build']);
    expect(await complete([cli, 'build', '--re'])).toEqual(expect.arrayContaining(['--retry-failed', '--refresh', '--remote']));
    expect(await complete([cli, 'completion', ''])).toEqual(['bash', 'zsh']);
    const targets = await complete([cli, '-C', ws, 'build', 'oa']);
    expect(targets).toEqual(expect.arrayContaining(['oaps/*', 'oaps/2016-10', 'oaps/2016-12']));
  }, 60_000);

  it('zsh gets the same script behind bashcompinit; another shell is a usage error', async () => {
    expect((await runCli(['completion', 'zsh'])).stdout).toMatch(/^autoload -U \+X bashcompinit && bashcompinit\n# nhs-pipeline completion/);
    const fish = await runCli(['completion', 'fish']);
    expect(fish.code).toBe(2);
    expect(fish.stderr).toContain('completion expects bash or zsh, got "fish"');
  });
});
