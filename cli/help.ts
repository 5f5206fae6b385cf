/** `--help` text for the program and each command. */
import type { Command } from './args.ts';
import { toolHelp } from './help-tools.ts';

const GLOBAL = `Options for every command:
  -C DIR            workspace folder (default: current folder)
  --config FILE     config file, relative to the workspace (default: config/publications.yaml)
  -j N              parallel jobs (default: number of cores)
  --json            one JSON object per line on stdout; the last is the summary
  -v, --verbose     also list targets that are up to date
  -h, --help        this help
  --version         print nhs-pipeline's version
Options go before or after the command: \`-C DIR build\` and \`build -C DIR\` are the same.

Exit codes: 0 all built, 1 something failed (everything else was still built),
            2 usage or config error, 130 interrupted (Ctrl-C).
Environment: DATABASE_URL selects a PostgreSQL server (default: embedded PGlite in <workspace>/.pglite);
             NO_COLOR turns colour off; CI=true gives plain line output.`;

const TARGETS = `Targets: pub | pub/period, optionally followed by :stage, e.g.
  adhd                   every configured period of adhd, through every stage
  adhd/2025-05           one period
  adhd/2025-05:canonical one period up to its canonical manifest
  'oaps/*' 'ae_*' '*/2025-*'   patterns (quote them): * any characters, ? one; an error if none matches
  ':loaded'              every configured period, up to its load
Stages, in order: download, draft, enriched, canonical, loaded, parquet.`;

export const HELP: Record<Command | 'main', string> = {
  ...toolHelp(GLOBAL, TARGETS),
  main: `nhs-pipeline: NHS England statistical publications → PostgreSQL tables and Parquet files, incrementally.

Usage: npx tsx pipeline.ts <command> [options] [targets]

Commands:
  build [TARGET...]    bring targets up to date (no target: everything configured); plain output
                       counts [done/total], names long steps every few seconds (NHS_PIPELINE_HEARTBEAT)
  status               per publication: what is built, stale (and why) or failed; row totals
  explain TARGET       why a target would run, or what was checked to call it up to date
  clean                list what the config no longer produces (dry run); --execute removes it
  watch [TARGET...]    build, then rebuild what each save of the config (or a local file it names) made stale
  rename [PUB...]      list tables and columns today's naming rules would name otherwise; --execute renames them
  discover [PUB...]    the periods the publications' landing pages offer that the config does not list; --write adds them
  archive [PUB...]     upload built periods (rows, manifests, sources) to object storage; apply local retention
  restore PUB/PERIOD   bring an archived period back, every hash checked, and build it again
  report               write output/report.html: a self-contained status page (states, failures, rows, drift)
  ls [TARGET...]       every configured period with its state (built, stale, pending, failed, archived)
  sql [STATEMENT]      SQL on the workspace's database (read-only unless --write); stdin without a statement
  graph [TARGET...]    the DAG of targets and the tables they feed, as DOT or --mermaid
  init [DIR]           start a workspace: a commented config/publications.yaml (never overwrites one)
  doctor               check Node, disk, config, database, workspace id and the configured hosts
  completion bash|zsh  a shell completion script (commands, options, publications, targets)

${GLOBAL}`,
  build: `Usage: npx tsx pipeline.ts build [options] [TARGET...]

Builds what is stale, and only that. Content hashes decide: touching a file changes nothing.

  -n, --dry-run      print the plan (each target that would run, and why); run nothing
  --retry-failed     retry targets whose last attempt failed even if their inputs did not change
  --refresh          ask servers again for files already downloaded (conditional requests)
  --shard I/N        build shard I of N: a balanced share of the publications, up to their loaded
                     periods (no Parquet of tables, no catalog: a final \`build\` without --shard writes them)
  --remote URL       s3://bucket/prefix: fetch up-to-date manifests from it instead of rebuilding them,
                     push what this build made (or \`remote:\` in the config; credentials as for the archive,
                     from the environment only)

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
  clean: `Usage: npx tsx pipeline.ts clean [options]

Lists orphans: everything in the workspace's stores that the current config would not produce —
manifests of removed publications and periods, downloads no current manifest references (and their
index.json entries), Parquet and metadata of tables no canonical manifest defines, staging tables and
the rows of removed periods inside kept tables, their registry rows, and temporary files of runs that
were interrupted. Nothing is removed without --execute. Things nhs-pipeline did not create (a table of
your own in staging, a file it did not write) are reported as unknown and never removed.

  --execute               remove exactly what the dry run lists (under the workspace lock), the database
                          in one transaction first; then rewrite the Parquet of tables that lost rows and
                          the catalog, so that a build afterwards has nothing to do
  --skip STORE,...        leave stores alone: manifests, parquet, metadata, downloads, tables, registry, temp
  --include-unregistered  also drop staging tables nhs-pipeline never registered
  -v                      list every item (default: the first 5 of each kind)

Examples:
  npx tsx pipeline.ts clean                          what would be removed, by store
  npx tsx pipeline.ts clean --execute                remove it
  npx tsx pipeline.ts clean --skip downloads,temp    keep the download cache and temporary files
  npx tsx pipeline.ts clean -C examples/offline --json

Exit codes: 0 (also when orphans were found by a dry run), 1 a removal failed, 2 usage error.

${GLOBAL}`,
  rename: `Usage: npx tsx pipeline.ts rename [options] [PUB...]

A table or column keeps the name it was first loaded under, even when the naming rules improve, so that
queries and dashboards keep working. This lists (--plan, the default) each table of PUB (default: every
publication) whose newest period would now be named otherwise, with its columns, and what blocks a rename
(a config override that names the table, a name already taken).

  --plan      list old → new names; change nothing (the default)
  --execute   rename them: in the database in place (ALTER TABLE … RENAME: no row copied, reloaded or
              dropped, registry rows moved, one transaction), in the enriched manifests, then build the
              publications so canonical manifests, Parquet files and the catalog take the new names; the
              Parquet and metadata files under the old names are removed

Examples:
  npx tsx pipeline.ts rename                  what would be renamed, everywhere
  npx tsx pipeline.ts rename gp_earnings --execute

Exit codes: 0 (also when a plan lists renames), 1 the rename or the build after it failed, 2 usage error.

${GLOBAL}`,
  watch: `Usage: npx tsx pipeline.ts watch [options] [TARGET...]

Builds once, then watches the config file and every local file its period URLs name. After each save
(editors that save by rename are fine) and a short quiet time, it re-reads the config and builds what the
save made stale: a new period builds that period, an edited URL rebuilds that period's chain, an edited
local file rebuilds its period. A save that changes only comments or whitespace builds nothing.

- A save with a YAML or schema error prints the error (file:line:col) and keeps watching; the last good
  config stays in force until a good save.
- Saves during a build never start a second build beside it: one follow-up build runs when it ends,
  taking every change made meanwhile.
- Removing a period or publication deletes nothing: watch names what disappeared from the config;
  \`pipeline.ts clean\` lists their leftovers and \`pipeline.ts clean --execute\` removes them.
- Only the config and the files it names are watched, never the build's own outputs or .cache/.
- Watch holds the workspace lock (and keeps the database open) until it stops: a \`build\` started
  meanwhile waits for it. Ctrl-C stops it: a running build is cancelled, its open transaction rolled
  back, exit code 130.

  --debounce MS      quiet time after the last save before building (default 100)
  --discover EVERY   also run \`discover --write\` now and then every EVERY (30m, 6h, 1d) for the publications
                     of the targets (default: all): new periods go into the config, and the save builds them

After each build: the one-line summary (with --json: a {"event":"watch-cycle",...} line per cycle saying
what changed, then the build's events and its {"event":"summary",...} line).

${TARGETS}

Examples:
  npx tsx pipeline.ts watch                        everything configured
  npx tsx pipeline.ts watch adhd                   only adhd's periods (new ones included)
  npx tsx pipeline.ts watch -C examples/offline --json --debounce 300

${GLOBAL}`,
  discover: `Usage: npx tsx pipeline.ts discover [options] [PUB...]

Fetches the landing_page of PUB (default: every publication that has one), through the download layer (retries,
per-host limits, conditional requests), and lists the periods it offers that the config does not list, each with
the URL to build it from and the evidence: the link, its text, and how the period was read.

Pages it understands:
  - a series page linking one page per edition below it (digital.nhs.uk: …/mi-adhd/november-2025,
    …/primary-care-network-workforce/31-october-2025, …/2023-24), "Latest" and "Past publications" alike;
    a new edition page is proposed once it links data files (an announced release is not)
  - a year page linking many months' files (england.nhs.uk: …/rtt-data-2025-26/), with the publication's
    files: pattern saying which files are its own; the period is read from each file's name
  - a work-area page linking one page per financial year, with files: (the year pages are read too)
Periods are read from the link's address (its last part) or, failing that, its text, with the same parser as
everywhere else (November 2025, nov25, 2025-11, 31-october-2025, FY2024-25-Q1, 2023-24), at the grain of the
configured periods (a census day names its month for a monthly publication).

Proposed: periods not configured, not in discover.exclude, and starting on or after discover.since (default:
the first configured period, so gaps and new editions are found, not the whole back catalogue):
  discover:
    since: 2024-04
    exclude: [2024-12]

  --write    add the proposals to the config in period order, each written like its neighbours; every
             comment, blank line and the rest of the file stay byte for byte; the result is validated
             before it is written (atomically). Then \`build\` builds the new periods, and only them.

Examples:
  npx tsx pipeline.ts discover                  what is new, everywhere
  npx tsx pipeline.ts discover adhd --write     add adhd's new periods to the config
  npx tsx pipeline.ts discover --json           one {"event":"discover",...} line per publication, then a summary

Exit codes: 0 (also when nothing is new), 1 a page could not be read or its layout yielded no periods (the
message names what was looked for), 2 usage or config error.

${GLOBAL}`,
  archive: `Usage: npx tsx pipeline.ts archive [options] [PUB | PUB/PERIOD ...]

Uploads each built period (default: every configured period) to the object storage the config names:
its manifests, its rows (a Parquet file per table, cut from the database by period), and with --sources
the downloaded files, stored once by content under objects/sha256/, listed with their SHA-256 in
<pub>/<period>/manifest.json; plus a snapshot of the catalog, catalog/catalog_YYYYMMDD.parquet. What is
there already is not sent again: a second run uploads nothing, an interrupted one resumes.

  archive:
    url: s3://my-bucket/nhs-pipeline
    endpoint: https://<account id>.r2.cloudflarestorage.com   # R2; http://127.0.0.1:9000 for MinIO; none for AWS
  retention:
    keep_periods: 3        # optional: the newest 3 periods of each publication stay local

With retention:, an archived period older than the newest keep_periods has its rows removed from the
database (and so from the tables' Parquet files, rewritten at once) and its downloaded files removed;
its manifests stay. \`status\` shows it as archived, a build leaves it alone, \`restore\` brings it back.

  --older-than Nd   only periods that ended more than N days ago (e.g. 90d)
  --sources         also upload the downloaded source files (so a restore never needs the NHS site)

Credentials come from the environment only, and are never printed: AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN if any).

Exit codes: 0 done (periods not built are listed, not archived), 1 an upload or the build after retention
failed (what was uploaded stays; run again to resume), 2 usage or config error, missing or refused credentials.

${GLOBAL}`,
  restore: `Usage: npx tsx pipeline.ts restore [options] PUB/PERIOD...

Downloads the period's objects from the archive, checks every one against its SHA-256, puts back the
manifests missing locally and the source files (into downloads/), reloads the database from the Parquet
files when it no longer holds the period (with its registry rows as they were), then builds the
publication: the period is built again, the tables' Parquet files hold its rows again, and nothing is
downloaded from the NHS site. Credentials as for \`archive\`.

Exit codes: 0 restored and built, 1 an object is missing or damaged in the archive (nothing restored from
it) or the build failed, 2 usage or config error, missing or refused credentials.

${GLOBAL}`,
  report: `Usage: npx tsx pipeline.ts report [options]

Writes a status page, one self-contained HTML file that needs no network to view (inline CSS, script and
SVG): publications × periods coloured by state (built, stale, pending, failed, archived), each failure with
its error and hint, rows per table and period as small charts, drift between consecutive periods (columns
added and removed, change in rows), and the stages of one period drawn as a graph (the first that failed,
else the first stale or pending). Its numbers are \`status --json\`'s. Reads only: it never waits for a build.

  --out FILE   where to write it, relative to the workspace (default: output/report.html)
  --json       print {"event":"report","path":…,"periods":{"built":N,…},"tables":N,"publications":N}

Examples:
  npx tsx pipeline.ts report -C examples/offline
  npx tsx pipeline.ts report --out /tmp/status.html --json

Exit codes: 0 written, 1 it could not be written or the workspace could not be read, 2 usage or config error.

${GLOBAL}`,
};
