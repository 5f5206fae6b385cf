/** `--help` text of the commands that look at a workspace rather than build it: ls, sql, graph, init, doctor. */

export function toolHelp(global: string, targets: string): Record<'ls' | 'sql', string> {
  return {
    ls: `Usage: npx tsx pipeline.ts ls [options] [TARGET...]

Lists every configured period (or those TARGET selects, patterns included), one a line: its state (built,
stale, pending, failed, archived), the last stage built, and why it is stale or how it failed. Nothing runs.

${targets}

Examples:
  npx tsx pipeline.ts ls                   everything configured
  npx tsx pipeline.ts ls 'oaps/*' --json   one {"event":"target",...} line per period of oaps

${global}`,
    sql: `Usage: npx tsx pipeline.ts sql [options] ["STATEMENT; ..."]

Runs SQL on the workspace's database: the embedded PGlite database in <workspace>/.pglite, or the server
DATABASE_URL names. Tables are in the schema "staging" (e.g. SELECT * FROM staging.oaps_open_data LIMIT 5).
Each statement runs in its own transaction, READ ONLY unless --write. Without a statement, statements are
read from stdin: a script from a pipe, or a prompt on a terminal (end each with ";", Ctrl-D to leave).

  --csv      print CSV (a header row, then the rows) instead of an aligned table
  --write    allow statements that change the database; takes the workspace lock, as a build does
  --json     one {"event":"rows","columns":[...],"rows":[[...]],...} line per statement

The embedded database can be open in one process at a time: while a build runs, sql says so and stops.

Examples:
  npx tsx pipeline.ts sql "SELECT table_name FROM information_schema.tables WHERE table_schema = 'staging'"
  npx tsx pipeline.ts sql --csv "SELECT * FROM staging.oaps_open_data" > oaps.csv
  echo "SELECT count(*) FROM staging.oaps_open_data;" | npx tsx pipeline.ts sql

Exit codes: 0 done, 1 the database refused a statement, 2 usage error (or a change without --write).

${global}`,
  };
}
