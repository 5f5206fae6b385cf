#!/usr/bin/env -S npx tsx
/** Entry point: wires the real process (argv, stdio, env, clock, Ctrl-C) into the CLI and sets the exit code. */
import { main } from './cli/main.ts';
import { removeLeftovers } from './lib/exit-cleanup.ts';
import { startStallWatch } from './lib/stall-watch.ts';

// The AWS SDK (the archive) warns on every run that versions after January 2027 need Node 22; this one is pinned.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const controller = new AbortController();
const SAME_CTRL_C_MS = 300;
let interrupts = 0;
let firstAt = 0;
process.on('SIGINT', () => {
  // A terminal's Ctrl-C reaches every process of its group, and `npx` and `tsx` pass it on again: copies within
  // a moment of the first are the same Ctrl-C, not a second one.
  if (interrupts > 0 && Date.now() - firstAt < SAME_CTRL_C_MS) return;
  // First Ctrl-C: stop starting work, roll back, clean up. Second: leave now.
  if (++interrupts === 1) firstAt = Date.now();
  if (interrupts > 1) {
    const gone = removeLeftovers();
    process.stderr.write(`\nInterrupted again: quitting now; removed ${gone.temps} temporary file${gone.temps === 1 ? '' : 's'}${gone.locks ? ' and the lock' : ''}. The next build redoes what was cut short.\n`);
    process.exit(130);
  }
  process.stderr.write('\nInterrupted: finishing safely (rolling back open work)… press Ctrl-C again to quit at once.\n');
  controller.abort(new Error('interrupted'));
});
process.on('SIGTERM', () => controller.abort(new Error('terminated')));
// Whatever ends the process (a second Ctrl-C, a closed terminal, an uncaught error), no temp file or lock of its own stays.
process.on('exit', () => removeLeftovers());
// Output piped into `head` and closed early is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  now: () => new Date(),
  signal: controller.signal,
  // A heartbeat on its own thread, over the real stdout: plain output keeps speaking while a step holds the main thread.
  stallWatch: (everyMs) => startStallWatch(1, everyMs),
  // Loaded only by a command that writes a workspace.
  guard: (root) => void import('./lib/guardian.ts').then((g) => g.startGuardian(root)),
});
