/**
 * Machine output: with `--json`, every line on stdout is one JSON event, and every event carries `time`, the ISO
 * timestamp of when it was written. Commands write their events as they always have; this wraps stdout so that no
 * emitter (present or future) can forget the timestamp. Errors are events too: `{"event":"error",...}`.
 */
import type { Io, Out } from './io.ts';

/**
 * stdout whose `{"event":…}` lines gain `"time"` (as their last field), unless they have one. Lines written in one
 * turn of the event loop go out in one write (a no-op build reports 10,000 up-to-date targets: one write each cost
 * a third of a second); `flush()` sends what is held at once, and `main` calls it before it returns.
 */
export function stampedOut(out: Out, now: () => Date): Out & { flush(): void } {
  // The time of the turn the line was written in (read once per turn: 10,000 lines in one turn need one clock read).
  let time = '';
  const stamp = (line: string): string => {
    if (!line.startsWith('{"event":') || !line.endsWith('}')) return line;
    // Emitters never write "time" themselves but errorEvent: parse only then, to leave a line that has one as it is.
    if (!line.includes('"time":')) return `${line.slice(0, -1)},"time":"${time}"}`;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      // Last, so that what readers match at the start of a line (`{"event":"target-start","key":…`) stays as it was.
      return 'time' in o ? line : JSON.stringify({ ...o, time });
    } catch {
      return line;
    }
  };
  let held = '';
  const flush = () => {
    if (!held) return;
    const text = held;
    held = '';
    out.write(text);
  };
  return {
    isTTY: out.isTTY,
    columns: out.columns,
    // Emitters write whole lines, one write each; anything else passes through as it is, held back one turn at most.
    write(text: string) {
      if (!held) {
        setImmediate(flush);
        time = now().toISOString();
      }
      const end = text.endsWith('\n') ? '\n' : '';
      const body = end ? text.slice(0, -1) : text;
      held += (body.includes('\n') ? body.split('\n').map(stamp).join('\n') : stamp(body)) + end;
      if (held.length >= 1 << 16) flush();
      return true;
    },
    flush,
  };
}

/** Whether the command line asked for JSON, even when it could not be parsed. */
export const wantsJson = (argv: string[]) => argv.includes('--json');

/** A usage, config or other error as the JSON event a machine reads (the text still goes to stderr). */
export function errorEvent(io: Io, e: { kind: string; message: string; hint?: string; exitCode: number; diagnostics?: unknown }): void {
  io.stdout.write(JSON.stringify({ event: 'error', ...e, time: io.now().toISOString() }) + '\n');
}
