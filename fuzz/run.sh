#!/usr/bin/env bash
# A short, bounded fuzzing run of every target: fuzz/run.sh [SECONDS]
#
# Seeds the corpus (fuzz/seed.sh), builds the targets once with the nightly
# toolchain (installing cargo-fuzz when it is missing), then runs each
# target for SECONDS (default 60) and prints how many inputs it ran and
# whether it found anything. Exits 1 when a target crashed, hung or ran out
# of memory; the input is under fuzz/artifacts/<target>/ and the full
# output in fuzz/artifacts/<target>.log. Reproduce one input with
#   cargo +nightly fuzz run -s none <target> fuzz/artifacts/<target>/<file>
set -euo pipefail

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "usage: fuzz/run.sh [SECONDS]  (a whole number of seconds per target, default 60)" >&2
    exit 2
fi

fuzz_dir=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz_dir")
cd "$root"

if ! rustup run nightly rustc --version > /dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version > /dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

"$fuzz_dir/seed.sh"

# The code under test is safe Rust: panics, hangs and unbounded memory are
# what the targets look for, so no sanitizer (they would halve the speed).
# Debug assertions bring overflow checks. Sixteen codegen units keep the
# instrumented build of Polars within reach of a small machine.
build_flags=(-s none --debug-assertions --codegen-units 16 --target-dir "$fuzz_dir/target")
cargo +nightly fuzz build "${build_flags[@]}"

# target, longest input in bytes, memory limit in MB
targets=(
    "parse 4096 2048"
    "resolve 4096 2048"
    "import 16384 1024"
)

# The import target writes a small tree and six CSV files per input: on a
# memory file system, where there is one, it runs several times faster.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    export TMPDIR=/dev/shm
fi

failed=0
summary=()
for entry in "${targets[@]}"; do
    read -r target max_len rss_mb <<< "$entry"
    artifacts="$fuzz_dir/artifacts/$target"
    log="$fuzz_dir/artifacts/$target.log"
    mkdir -p "$artifacts"
    before=$(ls "$artifacts" | sort)
    echo "== $target: ${seconds}s"
    status=0
    cargo +nightly fuzz run "${build_flags[@]}" "$target" "$fuzz_dir/corpus/$target" -- \
        -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb="$rss_mb" \
        -timeout=10 -print_final_stats=1 > "$log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
    found=$(comm -13 <(echo "$before") <(ls "$artifacts" | sort) | sed '/^$/d')
    if [ "$status" -eq 0 ] && [ -z "$found" ]; then
        result="nothing found"
    else
        failed=1
        if [ -n "$found" ]; then
            result="FOUND: $(echo "$found" | sed "s|^|fuzz/artifacts/$target/|" | paste -sd ' ')"
        else
            result="FAILED (exit $status), see fuzz/artifacts/$target.log"
        fi
        tail -n 40 "$log" >&2
    fi
    summary+=("$(printf '%-8s %12s inputs  %s' "$target" "${runs:-?}" "$result")")
done

echo
echo "fuzzing summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
exit "$failed"
