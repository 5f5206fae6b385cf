/**
 * The watch state machine in-process, with a fake clock and builds that end when the test says so:
 * debounce, coalescing, one follow-up build for saves made during a build, stopping.
 */
import { describe, expect, it } from 'vitest';
import { WatchLoop, type WatchCycle, type WatchState } from '../../engine/watch.ts';
import { FakeClock } from './fake-clock.ts';

/** Lets the loop's promise callbacks run (no time passes: the fake clock only moves on tick). */
const settle = () => new Promise<void>((r) => setImmediate(r));

function rig(debounceMs = 100) {
  const clock = new FakeClock();
  const runs: WatchCycle[] = [];
  const finishers: (() => void)[] = [];
  const failers: ((err: Error) => void)[] = [];
  const errors: string[] = [];
  const states: string[] = [];
  const loop = new WatchLoop({
    debounceMs,
    clock,
    run: (cycle) => {
      runs.push(cycle);
      return new Promise<void>((resolve, reject) => {
        finishers.push(resolve);
        failers.push(reject);
      });
    },
    onError: (err, cycle) => errors.push(`cycle ${cycle.cycle}: ${(err as Error).message}`),
    onState: (from: WatchState, to: WatchState) => states.push(`${from}→${to}`),
  });
  /** Ends the build that is running now. */
  const finish = async () => {
    finishers.shift()!();
    failers.shift();
    await settle();
  };
  const fail = async (message: string) => {
    finishers.shift();
    failers.shift()!(new Error(message));
    await settle();
  };
  return { clock, loop, runs, finish, fail, errors, states };
}

describe('the watch loop', () => {
  it('builds once the debounce has passed since a change, not before', async () => {
    const { clock, loop, runs } = rig(100);
    loop.change('/ws/config/publications.yaml');
    expect(loop.state).toBe('debouncing');
    clock.tick(99);
    await settle();
    expect(runs).toEqual([]);
    clock.tick(1);
    await settle();
    expect(runs).toEqual([{ cycle: 1, changes: ['/ws/config/publications.yaml'], notifications: 1 }]);
    expect(loop.state).toBe('running');
  });

  it('a change within the quiet time restarts it, and both changes go into one build', async () => {
    const { clock, loop, runs } = rig(100);
    loop.change('/ws/b.csv');
    clock.tick(60);
    loop.change('/ws/a.csv');
    clock.tick(60); // 120 ms after the first change, 60 after the second
    await settle();
    expect(runs).toEqual([]);
    clock.tick(40);
    await settle();
    expect(runs).toEqual([{ cycle: 1, changes: ['/ws/a.csv', '/ws/b.csv'], notifications: 2 }]);
  });

  it('a save by rename (unlink, add, change of one path) is one change of that path', async () => {
    const { clock, loop, runs } = rig(100);
    for (let i = 0; i < 3; i++) loop.change('/ws/config/publications.yaml');
    clock.tick(100);
    await settle();
    expect(runs).toEqual([{ cycle: 1, changes: ['/ws/config/publications.yaml'], notifications: 3 }]);
  });

  it('two saves during a build give exactly one follow-up build, with both changes, after it ends', async () => {
    const { clock, loop, runs, finish, states } = rig(100);
    loop.change('/ws/a.csv');
    clock.tick(100);
    await settle();
    clock.tick(500);
    loop.change('/ws/config/publications.yaml');
    clock.tick(10);
    loop.change('/ws/b.csv');
    expect(loop.state).toBe('queued');
    clock.tick(1000); // long past the debounce: still no second build beside the first
    await settle();
    expect(runs).toHaveLength(1);
    await finish();
    expect(runs.map((r) => r.changes)).toEqual([['/ws/a.csv'], ['/ws/b.csv', '/ws/config/publications.yaml']]);
    expect(runs[1]).toMatchObject({ cycle: 2, notifications: 2 });
    await finish();
    clock.tick(10_000);
    await settle();
    expect(runs).toHaveLength(2);
    expect(loop.state).toBe('idle');
    expect(states).toEqual(['idle→debouncing', 'debouncing→running', 'running→queued', 'queued→running', 'running→idle']);
  });

  it('a follow-up waits out the rest of the last change’s quiet time when the build ends sooner', async () => {
    const { clock, loop, runs, finish } = rig(100);
    loop.runNow();
    await settle();
    loop.change('/ws/config/publications.yaml');
    clock.tick(30);
    await finish();
    expect(loop.state).toBe('debouncing');
    clock.tick(69);
    await settle();
    expect(runs).toHaveLength(1);
    clock.tick(1);
    await settle();
    expect(runs.map((r) => r.cycle)).toEqual([1, 2]);
    expect(runs[1].changes).toEqual(['/ws/config/publications.yaml']);
  });

  it('runNow builds at once (the first build), with no change, and takes pending changes along', async () => {
    const { clock, loop, runs, finish } = rig(100);
    loop.runNow();
    await settle();
    expect(runs).toEqual([{ cycle: 1, changes: [], notifications: 0 }]);
    await finish();
    loop.change('/ws/a.csv');
    loop.runNow();
    await settle();
    expect(runs[1]).toEqual({ cycle: 2, changes: ['/ws/a.csv'], notifications: 1 });
    expect(clock.pending).toBe(0); // the debounce timer was cancelled, not left to fire a third build
  });

  it('stop while debouncing: the pending change never builds, later changes are ignored', async () => {
    const { clock, loop, runs } = rig(100);
    loop.change('/ws/a.csv');
    await loop.stop();
    loop.change('/ws/b.csv');
    loop.runNow();
    clock.tick(1000);
    await settle();
    expect(runs).toEqual([]);
    expect(loop.state).toBe('stopping');
  });

  it('stop during a build waits for it to end and starts no follow-up although a save was queued', async () => {
    const { clock, loop, runs, finish } = rig(100);
    loop.runNow();
    await settle();
    loop.change('/ws/a.csv');
    let stopped = false;
    void loop.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    await finish();
    expect(stopped).toBe(true);
    clock.tick(1000);
    await settle();
    expect(runs).toHaveLength(1);
  });

  it('a build that throws is reported and watching goes on', async () => {
    const { clock, loop, runs, fail, finish, errors } = rig(100);
    loop.runNow();
    await settle();
    await fail('database went away');
    expect(errors).toEqual(['cycle 1: database went away']);
    expect(loop.state).toBe('idle');
    loop.change('/ws/a.csv');
    clock.tick(100);
    await settle();
    expect(runs.map((r) => r.cycle)).toEqual([1, 2]);
    await finish();
    expect(loop.cycles).toBe(2);
  });
});
