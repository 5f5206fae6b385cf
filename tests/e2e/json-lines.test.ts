/**
 * `--json` lines as a machine reads them: each event is the JSON of its fields (undefined ones left out), then the
 * time it was written. The reporter writes the commonest line (a target up to date) without building an object,
 * and stdout stamps the lines of one turn with one clock read: both must give exactly what the general path gives.
 */
import { describe, expect, it } from 'vitest';
import type { BuildEvent } from '../../engine/index.ts';
import { makeReporter } from '../../cli/report.ts';
import { stampedOut } from '../../cli/json-out.ts';

async function linesOf(events: BuildEvent[]): Promise<string[]> {
  let written = '';
  let clock = Date.parse('2026-12-07T06:00:00.000Z');
  const out = stampedOut({ write: (s: string) => ((written += s), true) }, () => new Date((clock += 1000)));
  const reporter = await makeReporter({ stdout: out, stderr: { write: () => true }, env: {} } as never, { json: true, verbose: false, dryRun: false, groups: [] });
  for (const e of events) reporter.event(e);
  out.flush();
  return written.trimEnd().split('\n');
}

describe('--json lines', () => {
  it('an up-to-date target is written as its fields are, and a field it carries is never dropped', async () => {
    const lines = await linesOf([
      { type: 'target-end', key: 'draft:a "quoted"\\pub/2025-01', outcome: 'up-to-date' },
      { type: 'target-end', key: 'loaded:oaps/2016-10', outcome: 'up-to-date', ms: undefined, reason: undefined },
      { type: 'target-end', key: 'parquet:oaps/oaps', outcome: 'up-to-date', summary: 'kept' },
      { type: 'target-end', key: 'loaded:oaps/2016-12', outcome: 'ran', ms: 12, changed: false },
    ]);
    const time = '2026-12-07T06:00:01.000Z'; // one turn, one clock read
    expect(lines).toEqual([
      JSON.stringify({ event: 'target-end', key: 'draft:a "quoted"\\pub/2025-01', outcome: 'up-to-date', time }),
      JSON.stringify({ event: 'target-end', key: 'loaded:oaps/2016-10', outcome: 'up-to-date', time }),
      JSON.stringify({ event: 'target-end', key: 'parquet:oaps/oaps', outcome: 'up-to-date', summary: 'kept', time }),
      JSON.stringify({ event: 'target-end', key: 'loaded:oaps/2016-12', outcome: 'ran', ms: 12, changed: false, time }),
    ]);
  });

  it('lines written in a later turn carry that turn\'s time', async () => {
    let written = '';
    let clock = Date.parse('2026-12-07T06:00:00.000Z');
    const out = stampedOut({ write: (s: string) => ((written += s), true) }, () => new Date((clock += 1000)));
    out.write('{"event":"a"}\n{"event":"b"}\n');
    await new Promise((r) => setImmediate(r));
    out.write('{"event":"c"}\nnot an event\n');
    out.flush();
    expect(written.trimEnd().split('\n')).toEqual([
      '{"event":"a","time":"2026-12-07T06:00:01.000Z"}',
      '{"event":"b","time":"2026-12-07T06:00:01.000Z"}',
      '{"event":"c","time":"2026-12-07T06:00:02.000Z"}',
      'not an event',
    ]);
  });
});
