/** `--help` text for the program and each command. */
import type { Command } from './args.ts';

const GLOBAL = `Options for every command:
  -C DIR            workspace folder (default: current folder)
  --config FILE     config file, relative to the workspace (default: config/publications.yaml)
  -j N              parallel jobs (default: number of cores)
  --json            one JSON object per line on stdout; the last is the summary
  -v, --verbose     also list targets that are up to date
  -h, --help        this help

Exit codes: 0 all built, 1 something failed (everything else was still built),
            2 usage or config error, 130 interrupted (Ctrl-C).
Environment: DATABASE_URL selects a PostgreSQL server (default: embedded PGlite in <workspace>/.pglite);
             NO_COLOR turns colour off; CI=true gives plain line output.`;

const TARGETS = `Targets: pub | pub/period, optionally followed by :stage, e.g.
  adhd                   every configured period of adhd, through every stage
  adhd/2025-05           one period
  adhd/2025-05:canonical one period up to its canonical manifest
Stages, in order: download, draft, enriched, canonical, loaded, parquet.`;

export const HELP: Record<Command | 'main', string> = {
  main: `nhs-pipeline: NHS England statistical publications → PostgreSQL tables and Parquet files, incrementally.

Usage: npx tsx pipeline.ts <command> [options] [targets]

Commands:
  build [TARGET...]    bring targets up to date (no target: everything configured)
  status               per publication: what is built, stale (and why) or failed; row totals
  explain TARGET       why a target would run, or what was checked to call it up to date

${GLOBAL}`,
  build: `Usage: npx tsx pipeline.ts build [options] [TARGET...]

Builds what is stale, and only that. Content hashes decide: touching a file changes nothing.

  -n, --dry-run      print the plan (each target that would run, and why); run nothing
  --retry-failed     retry targets whose last attempt failed even if their inputs did not change
  --refresh          ask servers again for files already downloaded (conditional requests)

${TARGETS}

Examples:
  npx tsx pipeline.ts build                 everything
  npx tsx pipeline.ts build adhd -n         what would run for adhd, and why
  npx tsx pipeline.ts build -C examples/offline --json

${GLOBAL}`,
  status: `Usage: npx tsx pipeline.ts status [options]

Per publication: periods built through each stage out of those configured, what is stale and why,
what failed (error, when, attempts), and row totals per table from the database registry.

  --check    exit 1 when anything is stale or failed (for CI gates)

${GLOBAL}`,
  explain: `Usage: npx tsx pipeline.ts explain TARGET

Says why TARGET would be rebuilt (input X changed old → new, rule version changed, output missing,
previous attempt failed...), or "up to date" with what was checked.

${TARGETS}

${GLOBAL}`,
};
