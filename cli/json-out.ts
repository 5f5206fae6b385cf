/**
 * Machine output: with `--json`, every line on stdout is one JSON event, and every event carries `time`, the ISO
 * timestamp of when it was written. Commands write their events as they always have; this wraps stdout so that no
 * emitter (present or future) can forget the timestamp. Errors are events too: `{"event":"error",...}`.
 */
import type { Io, Out } from './io.ts';

/** stdout whose `{"event":…}` lines gain `"time"` (as their last field), unless they have one. */
export function stampedOut(out: Out, now: () => Date): Out {
  const stamp = (line: string): string => {
    if (!line.startsWith('{"event":')) return line;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      // Last, so that what readers match at the start of a line (`{"event":"target-start","key":…`) stays as it was.
      return 'time' in o ? line : JSON.stringify({ ...o, time: now().toISOString() });
    } catch {
      return line;
    }
  };
  return {
    isTTY: out.isTTY,
    columns: out.columns,
    // Emitters write whole lines, one write each; anything else passes through as it is, never held back.
    write(text: string) {
      return out.write(text.split('\n').map(stamp).join('\n'));
    },
  };
}

/** Whether the command line asked for JSON, even when it could not be parsed. */
export const wantsJson = (argv: string[]) => argv.includes('--json');

/** A usage, config or other error as the JSON event a machine reads (the text still goes to stderr). */
export function errorEvent(io: Io, e: { kind: string; message: string; hint?: string; exitCode: number; diagnostics?: unknown }): void {
  io.stdout.write(JSON.stringify({ event: 'error', ...e, time: io.now().toISOString() }) + '\n');
}
