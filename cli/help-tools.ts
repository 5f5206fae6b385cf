/** `--help` text of the commands that look at a workspace rather than build it: ls, sql, graph, init, doctor. */

export function toolHelp(global: string, targets: string): Record<'ls' | 'sql' | 'graph' | 'init' | 'doctor' | 'completion', string> {
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
    graph: `Usage: npx tsx pipeline.ts graph [options] [TARGET...]

Prints the DAG a build of TARGET (default: everything configured) would visit: each period's stages, the
tables its loads feed (as its canonical manifest names them; a period never built may feed any table of its
publication), and the catalog. Nothing runs. Node names are target keys (stage:pub/period, parquet:pub/table).

  --mermaid   a Mermaid flowchart (renders in GitHub Markdown) instead of Graphviz DOT
  --json      {"event":"graph","nodes":[...],"edges":[[from,to],...]}

${targets}

Examples:
  npx tsx pipeline.ts graph | dot -Tsvg > dag.svg
  npx tsx pipeline.ts graph 'oaps/2016-10' --mermaid

${global}`,
    init: `Usage: npx tsx pipeline.ts init [options] [DIR]

Starts a workspace in DIR (default: -C, or the current folder): config/publications.yaml, commented with how
to read and edit it and one publication to start from (checked before it is written), and a .gitignore for
the folders a build fills (downloads/, output/, .pglite/, .cache/). An existing config is never overwritten
(exit 2); an existing .gitignore is left as it is.

Examples:
  npx tsx pipeline.ts init my-workspace && npx tsx pipeline.ts build -n -C my-workspace

${global}`,
    doctor: `Usage: npx tsx pipeline.ts doctor [options]

Checks that this machine and workspace can build, one line each: Node's version (package.json's engines),
free disk where the workspace is, the config (does it validate), the database (the embedded one, unless it is
open in a build right now, or the DATABASE_URL server, whose password is never printed: opened and asked its
version), the workspace id, and whether each web host the config names answers (any HTTP answer counts; 5 s
each, NHS_PIPELINE_DOCTOR_TIMEOUT in seconds changes it).

Exit codes: 0 everything in place, 1 a check failed (the line says which and why).

${global}`,
    completion: `Usage: npx tsx pipeline.ts completion bash|zsh

Prints a shell completion script for ./pipeline.ts: commands, options, and the publications (\`oaps/*\`) and
targets of the workspace named so far on the line (-C, --config), read through \`ls --json\`.

  bash:  source <(./pipeline.ts completion bash)    (or add that line to ~/.bashrc)
  zsh:   source <(./pipeline.ts completion zsh)     (loads bashcompinit; add it to ~/.zshrc)
`,
  };
}
