#!/usr/bin/env bash
# Runs the benchmark from the repository root:
#
#   bash bench/run.sh [--rows 1000000,10000000] [--runs 5]
#
# Makes bench/.venv (pinned duckdb, duckdb-cli, polars), builds infraql and
# the bench examples (generator, infraql and Rust Polars timers) in release
# mode, generates the access logs into bench/data/ (kept when a data set with
# the same row count and seed is already there), then runs bench/bench.py:
# answer check, timings, reports in bench/results/ and the Results section of
# bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

rows=1000000
runs=5
seed=42
while (($#)); do
    case "$1" in
        --rows) rows="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument \`$1\` (try --help)" >&2; exit 2 ;;
    esac
done

# logs_1m for 1000000 rows, logs_250k for 250000, logs_1234 otherwise.
dataset_name() {
    local n=$1
    if ((n % 1000000 == 0)); then
        echo "logs_$((n / 1000000))m"
    elif ((n % 1000 == 0)); then
        echo "logs_$((n / 1000))k"
    else
        echo "logs_$n"
    fi
}

echo "== python environment (bench/.venv)"
[[ -x bench/.venv/bin/python ]] || python3 -m venv bench/.venv
bench/.venv/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt

echo "== build"
cargo build --release --bin infraql --example gen_access_logs --example infraql_bench \
    --example polars_rs_bench

echo "== data"
datasets=()
for n in ${rows//,/ }; do
    prefix="bench/data/$(dataset_name "$n")"
    if [[ "$(cat "$prefix.meta.json" 2>/dev/null)" == "{\"rows\":$n,\"seed\":$seed}" ]]; then
        echo "$prefix: present ($n rows, seed $seed)"
    else
        echo "$prefix: generating $n rows (seed $seed)"
        target/release/examples/gen_access_logs --rows "$n" --seed "$seed" --out "$prefix"
    fi
    datasets+=(--dataset "$prefix")
done

echo "== benchmark"
bench/.venv/bin/python bench/bench.py "${datasets[@]}" --runs "$runs"
