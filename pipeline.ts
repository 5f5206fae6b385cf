#!/usr/bin/env -S npx tsx
/** Entry point: wires the real process (argv, stdio, env, clock, Ctrl-C) into the CLI and sets the exit code. */
import { main } from './cli/main.ts';

// The AWS SDK (the archive) warns on every run that versions after January 2027 need Node 22; this one is pinned.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  // First Ctrl-C: stop starting work, roll back, clean up. Second: leave now.
  if (++interrupts > 1) process.exit(130);
  process.stderr.write('\nInterrupted: finishing safely (rolling back open work)… press Ctrl-C again to quit at once.\n');
  controller.abort(new Error('interrupted'));
});
process.on('SIGTERM', () => controller.abort(new Error('terminated')));
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
});
