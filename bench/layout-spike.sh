#!/usr/bin/env bash
# The go/no-go spike of issue 9's slim staging layout, with psql alone (no code of nhs-pipeline timed): how long the
# server takes to store the same 1M staging rows in each candidate layout, from a binary COPY file, beside the anchor
# (`\copy` of the CSV into a same-shaped table). Wall time of each \copy (commit included) and the server backend's
# CPU time, alternating layouts, fresh table per run; print the medians with bench/layout-spike.sh | sort -k2.
#
#   DATABASE_URL=postgres://… bench/layout-spike.sh wide.csv [rounds]
#
# wide.csv is bench/generate.ts's 10-column shape (`npm run bench -- load` writes one; or generateCsv(path, 1e6, 'wide')).
# The server must be on this machine (its backend's CPU time is read from /proc).
set -euo pipefail
URL=${DATABASE_URL:?set DATABASE_URL}
CSV=$(realpath "${1:?usage: layout-spike.sh wide.csv [rounds]}")
ROUNDS=${2:-5}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"; psql "$URL" -qc "DROP TABLE IF EXISTS spike_rows, v_anchor, v_wide, v_slim, v_slim_pub, v_slim_nodates, v_slim_noindex" 2>/dev/null' EXIT
DATA="record_id bigint, org_code text, org_name text, region_code text, activity_date date, specialty text, patients integer, waiting integer, median_weeks numeric, percent_within_18 numeric"
COLS="record_id, org_code, org_name, region_code, activity_date, specialty, patients, waiting, median_weeks, percent_within_18"
SLIM="_period text NOT NULL, _period_start date NOT NULL, _period_end date NOT NULL, _slice integer NOT NULL, _source_row integer NOT NULL, _row_kind text NOT NULL, _markers jsonb"

# The staging rows as the loaded stage writes them (the * cells NULL, with their markers), then each layout's file.
PGOPTIONS='-c datestyle=ISO,DMY -c client_min_messages=warning' psql "$URL" -q -v ON_ERROR_STOP=1 <<SQL
DROP TABLE IF EXISTS spike_rows;
CREATE TABLE spike_rows ($DATA);
\copy spike_rows FROM '$CSV' WITH (FORMAT csv, HEADER, NULL '*')
CREATE TEMP VIEW rows_ AS SELECT row_number() OVER () + 1 AS r, *, nullif(jsonb_strip_nulls(jsonb_build_object('patients', CASE WHEN patients IS NULL THEN '*' END,
  'waiting', CASE WHEN waiting IS NULL THEN '*' END, 'median_weeks', CASE WHEN median_weeks IS NULL THEN '*' END)), '{}') AS m FROM spike_rows;
\copy (SELECT 'bench', '2025-01', date '2025-01-01', date '2025-01-31', 'file:///data/wide.csv#', 'wide.csv', repeat('ab', 32), NULL::text, r::int, 'detail', m, $COLS FROM rows_) TO '$DIR/wide.bin' WITH (FORMAT binary)
\copy (SELECT '2025-01', date '2025-01-01', date '2025-01-31', 1, r::int, 'detail', m, $COLS FROM rows_) TO '$DIR/slim.bin' WITH (FORMAT binary)
\copy (SELECT 'bench', '2025-01', date '2025-01-01', date '2025-01-31', 1, r::int, 'detail', m, $COLS FROM rows_) TO '$DIR/slim_pub.bin' WITH (FORMAT binary)
\copy (SELECT '2025-01', 1, r::int, 'detail', m, $COLS FROM rows_) TO '$DIR/slim_nodates.bin' WITH (FORMAT binary)
SQL

ddl() {
  case $1 in
    anchor) echo "CREATE TABLE v_anchor ($DATA)";;
    wide) echo "CREATE TABLE v_wide (_publication text NOT NULL, _period text NOT NULL, _period_start date NOT NULL, _period_end date NOT NULL, _source_key text NOT NULL, _source_file text NOT NULL, _source_sha256 text NOT NULL, _sheet text, _source_row integer NOT NULL, _row_kind text NOT NULL, _markers jsonb, $DATA); CREATE INDEX ON v_wide (_publication, _period, _source_key)";;
    slim) echo "CREATE TABLE v_slim ($SLIM, $DATA); CREATE INDEX ON v_slim (_slice)";;
    slim_pub) echo "CREATE TABLE v_slim_pub (_publication text NOT NULL, $SLIM, $DATA); CREATE INDEX ON v_slim_pub (_slice)";;
    slim_nodates) echo "CREATE TABLE v_slim_nodates (_period text NOT NULL, _slice integer NOT NULL, _source_row integer NOT NULL, _row_kind text NOT NULL, _markers jsonb, $DATA); CREATE INDEX ON v_slim_nodates (_slice)";;
    slim_noindex) echo "CREATE TABLE v_slim_noindex ($SLIM, $DATA)";;
  esac
}
source_of() {
  case $1 in
    anchor) echo "'$CSV' WITH (FORMAT csv, HEADER, NULL '*')";;
    slim_noindex) echo "'$DIR/slim.bin' WITH (FORMAT binary)";;
    *) echo "'$DIR/$1.bin' WITH (FORMAT binary)";;
  esac
}

TCK=$(getconf CLK_TCK)
for r in $(seq 1 "$ROUNDS"); do
  for v in anchor wide slim slim_pub slim_nodates slim_noindex; do
    out=$(PGOPTIONS='-c datestyle=ISO,DMY -c client_min_messages=warning' psql "$URL" -q -v ON_ERROR_STOP=1 <<SQL
DROP TABLE IF EXISTS v_$v;
$(ddl "$v");
SELECT pg_backend_pid() AS pid \gset
\setenv PGPID :pid
\! awk '{print "cpu0", \$14+\$15}' /proc/\$PGPID/stat
\timing on
\copy v_$v FROM $(source_of "$v")
\timing off
\! awk '{print "cpu1", \$14+\$15}' /proc/\$PGPID/stat
DROP TABLE v_$v;
SQL
)
    wall=$(awk '/^Time:/ {print $2; exit}' <<<"$out")
    cpu=$(awk -v t="$TCK" '/^cpu0/ {a=$2} /^cpu1/ {b=$2} END {print int((b - a) * 1000 / t)}' <<<"$out")
    echo "round $r $v wall_ms=$wall server_cpu_ms=$cpu load=$(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
