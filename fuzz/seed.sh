#!/usr/bin/env bash
# Writes the seed corpus of the fuzz targets from what the repository
# already holds: every tests/cases/**/*.iql and every ```iql (and
# ```iql error) block of README.md for `parse` and `resolve`; the
# documentation tree under tests/fixtures/docs, in the shape
# fuzz_targets/import.rs reads (parts split at NUL bytes), for `import`.
# Existing corpus files are kept, so what earlier runs found stays.
set -euo pipefail

fuzz_dir=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz_dir")
corpus="$fuzz_dir/corpus"
mkdir -p "$corpus/parse" "$corpus/resolve" "$corpus/import"

# Queries: one seed per case file, named after its area and file.
for dir in parse resolve; do
    find "$root/tests/cases" -name '*.iql' -print0 | while IFS= read -r -d '' case; do
        relative=${case#"$root/tests/cases/"}
        cp "$case" "$corpus/$dir/seed-case-${relative//\//-}"
    done
    # One seed per ```iql (and ```iql error) block of README.md.
    awk -v out="$corpus/$dir/seed-readme-" '
        /^```iql( error)?[[:space:]]*$/ { n++; file = out n ".iql"; printf "" > file; inside = 1; next }
        /^```/ && inside { inside = 0; close(file); next }
        inside { print >> file }
    ' "$root/README.md"
done

# Documentation trees: services.md NUL README.md NUL servers.md, then one
# part per page, "name\ntext".
docs="$root/tests/fixtures/docs"
page() { printf '\0%s\n' "$(basename "$1" .md)"; cat "$1"; }
{
    cat "$docs/services.md"; printf '\0'
    cat "$docs/README.md"; printf '\0'
    cat "$docs/servers.md"
    for file in "$docs"/services/*.md; do page "$file"; done
} > "$corpus/import/seed-tree"
# Each file alone, in its place, so smaller inputs start from every reader.
cp "$docs/services.md" "$corpus/import/seed-services"
{ printf '\0'; cat "$docs/README.md"; } > "$corpus/import/seed-readme"
{ printf '\0\0'; cat "$docs/servers.md"; } > "$corpus/import/seed-servers"
for file in "$docs"/services/*.md; do
    { printf '\0\0'; page "$file"; } > "$corpus/import/seed-page-$(basename "$file" .md)"
done
