#!/usr/bin/env bash
# Counts public types/members without an XML doc comment (CS1591) in each library project.
# Builds each project with GenerateDocumentationFile=true and CS1591 reported as a plain warning (not an error), into a
# temporary artifacts folder (bin/ and obj/ stay untouched).
#   scripts/check-docs.sh                 # all four library projects
#   scripts/check-docs.sh -v PROJECT...   # also list the undocumented members
# Exit code: 0 when every listed project has zero CS1591, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
verbose=0
if [ "${1:-}" = "-v" ]; then verbose=1; shift; fi
projects=("$@")
[ ${#projects[@]} -eq 0 ] && projects=(AttentionSpectra.Numerics AttentionSpectra AttentionSpectra.Models AttentionSpectra.Reporting)
art=$(mktemp -d)
trap 'rm -rf "$art"' EXIT
total=0
for p in "${projects[@]}"; do
  log="$art/$p.log"
  dotnet build "src/$p/$p.csproj" --artifacts-path "$art" -p:GenerateDocumentationFile=true \
    -p:WarningsNotAsErrors=CS1591%3BNU1603 -p:TreatWarningsAsErrors=false >"$log" 2>&1
  # One line per diagnostic (MSBuild repeats warnings in its summary; keep unique file(line,col) entries).
  n=$(grep -E "warning CS1591" "$log" | grep -E "/src/$p/" | sed -E 's/ \[.*\]$//' | sort -u | tee "$art/$p.cs1591" | wc -l)
  printf '%-28s %5d missing XML doc comments (CS1591)\n' "$p" "$n"
  [ "$verbose" = 1 ] && sed -E 's#^.*/src/#  src/#' "$art/$p.cs1591"
  total=$((total + n))
done
[ "$total" -eq 0 ]
