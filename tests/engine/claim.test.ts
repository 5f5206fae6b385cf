/**
 * `Rule.claim`: a rule may claim a stale target against other processes. The claim is held while the target runs
 * and released after; a claim that had to wait makes the engine decide again on what the store holds then, so a
 * target another process built meanwhile ends up to date, and one it did not build runs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256, type Rule } from '../../engine/index.ts';
import { emit, makeRig, memoryRule, type Rig } from './rig.ts';

let rig: Rig;
beforeEach(async () => {
  rig = await makeRig();
  await rig.write('in/a.txt', 'abc');
});
afterEach(() => rig.cleanup());

/** `shout:<n>`: `upper:<n>` with "!"; its claim plays another process that (maybe) built it while we waited. */
function shout(log: string[], other: 'builds it' | 'gives up' | 'none'): Rule {
  const rule: Rule = memoryRule(rig, 'shout', async (ctx) => {
    log.push('run');
    return emit(ctx, rig, 'shout', `${await ctx.need<string>(`upper:${ctx.id}`)}!`);
  });
  return {
    ...rule,
    async claim(id, { notice }) {
      log.push('claim');
      if (other !== 'none') {
        notice(`waiting for the other process on ${id}`);
        // The other process ran the same rule on the same inputs: the artifact it left is ours to find.
        if (other === 'builds it') {
          const up = rig.files.get(`out/${id}.upper`)!;
          const body = `${(JSON.parse(up) as { body: string }).body}!`;
          const upRecord = (JSON.parse(up) as { provenance: { output: string } }).provenance;
          rig.files.set(`out/${id}.shout`, JSON.stringify({ provenance: { rule: 'shout', version: '1', inputs: { [`upper:${id}`]: upRecord.output }, output: sha256(body) }, body }));
        }
      }
      return { waited: other !== 'none', release: async () => void log.push('release') };
    },
  };
}

describe('claims', () => {
  it('a target claimed without a wait runs under its claim, released after', async () => {
    const log: string[] = [];
    const res = await rig.build(['shout:a'], { rules: [shout(log, 'none')] });
    expect(res.ran).toContain('shout:a');
    expect(log).toEqual(['claim', 'run', 'release']);
  });

  it('a claim that waited for a process that built the target: decided again, up to date, the wait said as a notice', async () => {
    await rig.build(['upper:a']);
    const log: string[] = [];
    const res = await rig.build(['shout:a'], { rules: [shout(log, 'builds it')] });
    expect(res.upToDate).toContain('shout:a');
    expect(res.ran).toEqual([]);
    expect(log).toEqual(['claim', 'release']);
    expect(res.events.filter((e) => e.type === 'target-log' && e.level === 'notice')).toHaveLength(1);
  });

  it('a claim that waited for a process that gave up: the target runs', async () => {
    const log: string[] = [];
    const res = await rig.build(['shout:a'], { rules: [shout(log, 'gives up')] });
    expect(res.ran).toContain('shout:a');
    expect(log).toEqual(['claim', 'run', 'release']);
  });

  it('a dry run claims nothing', async () => {
    const log: string[] = [];
    const res = await rig.build(['shout:a'], { rules: [shout(log, 'none')], dryRun: true });
    expect(res.wouldRun).toContain('shout:a');
    expect(log).toEqual([]);
  });
});
