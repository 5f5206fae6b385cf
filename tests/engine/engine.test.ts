import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkRead, sha256, type Rule } from '../../engine/index.ts';
import { emit, makeRig, memoryRule, type Rig } from './rig.ts';

let rig: Rig;
beforeEach(async () => {
  rig = await makeRig();
  await rig.write('in/a.txt', 'abc');
  await rig.write('in/b.txt', 'hello');
});
afterEach(() => rig.cleanup());

const ALL = ['count:a', 'count:b'];

describe('incremental build engine', () => {
  it('builds everything once, then nothing', async () => {
    const first = await rig.build(ALL);
    expect(first.ran).toEqual(['count:a', 'count:b', 'upper:a', 'upper:b']);
    expect(await rig.read('out/b.count')).toContain('"body":"5"');
    const second = await rig.build(ALL);
    expect(second.ran).toEqual([]);
    expect(second.upToDate).toEqual(['count:a', 'count:b', 'upper:a', 'upper:b']);
  });

  it('targets proven up to date by the caller (a deps log) are reported so with their inputs, never decided or visited', async () => {
    const first = await rig.build(ALL);
    const digestOf = (key: string) => first.results.find((r) => r.key === key)!.digest!;
    await rig.write('in/b.txt', 'HELLO!'); // b's cone is stale; the caller vouches for a's
    rig.remove('out/a.upper'); // what deciding `upper:a` would find: proof that it is not asked
    const known = new Map([['count:a', { digest: digestOf('count:a'), inputs: ['upper:a'] }]]);
    const r = await rig.build(ALL, { known });
    expect(r.ran).toEqual(['count:b', 'upper:b']);
    expect(r.upToDate).toEqual(['count:a']); // upper:a, an input of a proven target, is not visited at all
    expect(r.results.find((x) => x.key === 'count:a')).toMatchObject({ outcome: 'up-to-date', digest: digestOf('count:a'), inputs: ['upper:a'] });
    // Targets the engine decided up to date carry the inputs their records list.
    const again = await rig.build(['count:b']);
    expect(again.results.find((x) => x.key === 'count:b')?.inputs).toEqual(['upper:b']);
  });

  it('rewriting inputs with the same bytes rebuilds nothing', async () => {
    await rig.build(ALL);
    await rig.write('in/a.txt', 'abc');
    await rig.write('in/b.txt', 'hello');
    expect((await rig.build(ALL)).ran).toEqual([]);
  });

  it('an edited input rebuilds exactly its downstream cone, with the reason', async () => {
    await rig.build(ALL);
    await rig.write('in/a.txt', 'abcd');
    const res = await rig.build(ALL);
    expect(res.ran).toEqual(['count:a', 'upper:a']);
    const start = res.events.find((e) => e.type === 'target-start' && e.key === 'upper:a');
    expect(start).toMatchObject({ reason: { kind: 'input-changed', input: 'file:in/a.txt' } });
  });

  it('early cutoff: a rebuild to identical output leaves dependents fresh', async () => {
    await rig.build(ALL);
    await rig.write('in/a.txt', 'aBc');
    const res = await rig.build(ALL);
    expect(res.ran).toEqual(['upper:a']);
    const end = res.events.find((e) => e.type === 'target-end' && e.key === 'upper:a');
    expect(end).toMatchObject({ outcome: 'ran', changed: false });
    expect(res.upToDate).toContain('count:a');
  });

  it('a deleted or edited output is rebuilt, and only it', async () => {
    await rig.build(ALL);
    rig.remove('out/b.count');
    expect((await rig.build(ALL)).ran).toEqual(['count:b']);
    const rec = JSON.parse(await rig.read('out/a.upper'));
    await rig.write('out/a.upper', JSON.stringify({ ...rec, body: 'TAMPERED' }));
    const res = await rig.build(ALL);
    expect(res.ran).toEqual(['upper:a']);
    expect(res.events.find((e) => e.type === 'target-start')).toMatchObject({ reason: { kind: 'output-modified' } });
  });

  it('a rule version bump rebuilds its targets; early cutoff still spares dependents', async () => {
    await rig.build(ALL);
    rig.upperVersion = '2';
    const res = await rig.build(ALL);
    expect(res.ran).toEqual(['upper:a', 'upper:b']);
  });

  it('keeps going past a failure, records it, does not retry it unchanged, retries on input change or --retry-failed', async () => {
    rig.failing.add('a');
    await rig.write('in/a.txt', 'changed again');
    const first = await rig.build(ALL);
    expect(first.failed).toEqual(['upper:a']);
    expect(first.skipped).toEqual(['count:a']);
    expect(first.ran).toEqual(['count:b', 'upper:b']);
    const failure = first.events.find((e) => e.type === 'target-end' && e.outcome === 'failed');
    expect(failure).toMatchObject({ error: { message: 'cannot read in/a.txt', hint: 'fix it' } });

    const again = await rig.build(ALL);
    expect(again.ran).toEqual([]);
    expect(again.skipped).toEqual(['count:a', 'upper:a']);
    const skip = again.events.find((e) => e.type === 'target-end' && e.key === 'upper:a');
    expect(skip).toMatchObject({ reason: { kind: 'previous-failure', attempts: 1 } });

    const retried = await rig.build(ALL, { retryFailed: true });
    expect(retried.failed).toEqual(['upper:a']);
    const ledger = JSON.parse(await rig.read('failures/upper/a.json'));
    expect(ledger.attempts).toBe(2);

    rig.failing.delete('a');
    await rig.write('in/a.txt', 'xyz');
    const fixed = await rig.build(ALL);
    expect(fixed.ran).toEqual(['count:a', 'upper:a']);
    await expect(rig.read('failures/upper/a.json')).rejects.toThrow();
  });

  it('an environmental failure is reported but not kept: the next build tries again without --retry-failed', async () => {
    rig.unreachable.add('a');
    const first = await rig.build(ALL);
    expect(first.failed).toEqual(['upper:a']);
    expect(first.events.find((e) => e.type === 'target-end' && e.key === 'upper:a')).toMatchObject({ error: { kind: 'environment', transient: true, message: 'the server cannot be reached', hint: 'start it' } });
    await expect(rig.read('failures/upper/a.json')).rejects.toThrow();
    const again = await rig.build(ALL);
    expect(again.failed).toEqual(['upper:a']); // tried again, not skipped as a previous failure
    rig.unreachable.delete('a');
    expect((await rig.build(ALL)).ran).toEqual(['count:a', 'upper:a']);
  });

  it('dry run decides without running or writing, and matches what a real build runs', async () => {
    await rig.build(ALL);
    await rig.write('in/b.txt', 'changed');
    rig.remove('out/a.count');
    const plan = await rig.build(ALL, { dryRun: true });
    expect(plan.ran).toEqual([]);
    expect(plan.wouldRun).toEqual(['count:a', 'count:b', 'upper:b']);
    const plan2 = await rig.build(ALL, { dryRun: true });
    expect(plan2.wouldRun).toEqual(plan.wouldRun);
    const real = await rig.build(ALL);
    expect(real.ran).toEqual(plan.wouldRun);
  });

  it('a dry run plans the dependents of a source whose value waits on pending work as "may run", not certain', async () => {
    await rig.build(ALL);
    await rig.write('in/a.txt', 'changed');
    const certain = await rig.build(ALL, { dryRun: true });
    expect(certain.events.find((e) => e.type === 'target-end' && e.key === 'upper:a')).toMatchObject({ outcome: 'would-run', reason: { kind: 'input-changed', input: 'file:in/a.txt' } });
    const plan = await rig.build(ALL, { dryRun: true, pending: ['file:in/a.txt'] });
    expect(plan.wouldRun).toEqual(['count:a', 'upper:a']);
    expect(plan.events.find((e) => e.type === 'target-end' && e.key === 'upper:a')).toMatchObject({ reason: { kind: 'input-will-rebuild', input: 'file:in/a.txt', source: true } });
    expect(plan.events.find((e) => e.type === 'target-end' && e.key === 'count:a')).toMatchObject({ reason: { kind: 'input-will-rebuild', input: 'upper:a' } });
    // The untouched chain stays up to date.
    expect(plan.upToDate).toEqual(['count:b', 'upper:b']);
  });

  it('never runs more than -j rules at once', async () => {
    for (const n of ['c', 'd', 'e', 'f']) await rig.write(`in/${n}.txt`, n);
    const res = await rig.build(['count:a', 'count:b', 'count:c', 'count:d', 'count:e', 'count:f'], { jobs: 2 });
    expect(res.ran).toHaveLength(12);
    expect(res.maxConcurrent).toBeLessThanOrEqual(2);
    expect(res.maxConcurrent).toBe(2);
  });

  it('an aborted build starts nothing new and reports cancellation', async () => {
    const ac = new AbortController();
    ac.abort();
    const res = await rig.build(ALL, { signal: ac.signal });
    expect(res.ran).toEqual([]);
    expect(res.events.filter((e) => e.type === 'target-end' && e.outcome === 'cancelled').length).toBeGreaterThan(0);
  });

  it('a cycle entered from two roots at once fails both targets instead of hanging', async () => {
    // `ping:x` needs `pong:x` and `pong:x` needs `ping:x`: each root waits on a promise the other holds.
    const pingPong = (name: string, other: string): Rule =>
      memoryRule(rig, name, async (ctx) => {
        await ctx.need(`${other}:${ctx.id}`);
        return emit(ctx, rig, name, name);
      });
    const res = await Promise.race([
      rig.build(['ping:x', 'pong:x'], { rules: [pingPong('ping', 'pong'), pingPong('pong', 'ping')] }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the build hung')), 10_000)),
    ]);
    expect([...res.failed, ...res.skipped].sort()).toEqual(['ping:x', 'pong:x']);
    const cycle = res.events.find((e) => e.type === 'target-end' && e.outcome === 'failed');
    expect(cycle).toMatchObject({ error: { message: expect.stringMatching(/^dependency cycle: (ping:x → pong:x → ping:x|pong:x → ping:x → pong:x)$/) } });
  });

  it('a rule that reads an input it did not need fails, naming the read (the undeclared-read check)', async () => {
    const sneaky = memoryRule(rig, 'sneaky', async (ctx) => {
      await ctx.need('file:in/a.txt');
      checkRead('file:in/b.txt'); // what a store or the config does before handing out a value
      return emit(ctx, rig, 'sneaky', sha256('x'));
    });
    const res = await rig.build(['sneaky:x'], { rules: [sneaky] });
    expect(res.failed).toEqual(['sneaky:x']);
    expect(res.events.find((e) => e.type === 'target-end' && e.key === 'sneaky:x')).toMatchObject({
      error: { message: 'sneaky:x read file:in/b.txt without declaring it (ctx.need): a change to it would not rebuild sneaky:x' },
    });
  });
  it('an order-only prerequisite (ctx.after) is built first, but its changes and failures do not touch the target', async () => {
    const seen: boolean[] = [];
    const late = memoryRule(rig, 'late', async (ctx) => {
      await ctx.after('upper:a');
      seen.push(rig.files.has('out/a.upper'));
      return emit(ctx, rig, 'late', await ctx.need<string>('file:in/b.txt'));
    });
    const rules = [late];
    expect((await rig.build(['late:b'], { rules })).ran).toEqual(['late:b', 'upper:a']);
    expect(seen).toEqual([true]); // upper:a was built before late:b went on, though only late:b was asked for
    await rig.write('in/a.txt', 'changed');
    expect((await rig.build(['late:b', 'upper:a'], { rules })).ran).toEqual(['upper:a']); // rebuilt; late:b stays fresh
    rig.failing.add('a');
    await rig.write('in/a.txt', 'changed again');
    await rig.write('in/b.txt', 'changed');
    const res = await rig.build(['late:b', 'upper:a'], { rules });
    expect(res.failed).toEqual(['upper:a']);
    expect(res.ran).toEqual(['late:b']); // a real input still counts, and the failed prerequisite does not block it
  });
});
