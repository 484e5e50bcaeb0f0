#!/usr/bin/env bash
# One line of coverage per project from coverlet's Cobertura output.
#   dotnet test --collect:"XPlat Code Coverage" --results-directory out/coverage
#   scripts/coverage-summary.sh out/coverage
# Prints e.g. "coverage AttentionSpectra.Numerics: lines 91.3%, branches 80.2%" and a total line. When several
# coverage files are present (one per test run), the newest is used.
set -uo pipefail
dir=${1:-out/coverage}
file=$(find "$dir" -name 'coverage.cobertura.xml' -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2-)
if [ -z "$file" ]; then
  echo "coverage: no coverage.cobertura.xml under $dir (run dotnet test --collect:\"XPlat Code Coverage\")" >&2
  exit 1
fi
pct() { awk -v r="$1" 'BEGIN { printf "%.1f%%", 100 * r }'; }
attr() { sed -nE "s/.* $1=\"([^\"]*)\".*/\1/p" <<<"$2"; }
# <package name="..." line-rate="..." branch-rate="..." ...> : one per assembly (project)
grep -oE '<package [^>]*>' "$file" | while read -r tag; do
  echo "coverage $(attr name "$tag"): lines $(pct "$(attr line-rate "$tag")"), branches $(pct "$(attr branch-rate "$tag")")"
done
root=$(grep -oE '<coverage [^>]*>' "$file" | head -n 1)
echo "coverage total: lines $(pct "$(attr line-rate "$root")"), branches $(pct "$(attr branch-rate "$root")")"
