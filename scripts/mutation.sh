#!/usr/bin/env bash
# Mutation testing of the mathematical core with Stryker.NET (local tool, .config/dotnet-tools.json).
# Each source file is mutated on its own and only its matching test classes run, so a score says how well those
# tests pin that file's formulas. Slow (minutes per file): a local/nightly script, not part of every CI run.
#
#   scripts/mutation.sh                      # every file of the core (see CORE below)
#   scripts/mutation.sh ClosedForms Cholesky # selected files (base names, without .cs)
#   JOBS=2 scripts/mutation.sh Similarity    # Stryker concurrency (default 1: the machine is shared)
#
# Reports: out/mutation/<File>/reports/mutation-report.{json,html}; table: out/mutation/table.md (also printed).
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

# file (base name) | project that contains it | dotnet test filter selecting its test classes
CORE=(
  "ClosedForms|AttentionSpectra.csproj|FullyQualifiedName~PcaAlignment.ClosedForm"
  "CriticalPoints|AttentionSpectra.csproj|FullyQualifiedName~PcaAlignment.LandscapeAndTrainingTests|FullyQualifiedName~PcaAlignment.ClosedForm"
  "SpikeTheory|AttentionSpectra.csproj|FullyQualifiedName~PooledSpectra.TheoryTests|FullyQualifiedName~PooledSpectra.SpikeTheory"
  "FreeProbability|AttentionSpectra.csproj|FullyQualifiedName~PooledSpectra.TheoryTests|FullyQualifiedName~PooledSpectra.SpikeTheory"
  "Pooling|AttentionSpectra.csproj|FullyQualifiedName~PooledSpectra.WeightTests"
  "Similarity|AttentionSpectra.csproj|FullyQualifiedName~KernelPcaAudit.MetricTests|FullyQualifiedName~KernelPcaAudit.SimilarityMutationTests|FullyQualifiedName~KernelPcaAudit.ConventionTests"
  "KernelPca|AttentionSpectra.csproj|FullyQualifiedName~KernelPcaAudit.MetricTests|FullyQualifiedName~KernelPcaAudit.ConventionTests"
  "HeadAudit|AttentionSpectra.csproj|FullyQualifiedName~KernelPcaAudit.MetricTests|FullyQualifiedName~KernelPcaAudit.ConventionTests"
  "Hungarian|AttentionSpectra.csproj|FullyQualifiedName~KernelPcaAudit.MetricTests|FullyQualifiedName~KernelPcaAudit.SimilarityMutationTests"
  "Cholesky|AttentionSpectra.Numerics.csproj|FullyQualifiedName~Numerics.Cholesky"
  "Tridiagonal|AttentionSpectra.Numerics.csproj|FullyQualifiedName~Numerics.Tridiagonal|FullyQualifiedName~Numerics.EigenSolver"
  "TridiagonalDivideConquer|AttentionSpectra.Numerics.csproj|FullyQualifiedName~Numerics.TridiagonalDivideConquer|FullyQualifiedName~Numerics.EigenSolver"
  "HouseholderTridiagonal|AttentionSpectra.Numerics.csproj|FullyQualifiedName~Numerics.Tridiagonal|FullyQualifiedName~Numerics.EigenSolver"
  "Lanczos|AttentionSpectra.Numerics.csproj|FullyQualifiedName~Numerics.Lanczos"
)

want=("$@")
selected=()
for entry in "${CORE[@]}"; do
  name=${entry%%|*}
  if [ ${#want[@]} -eq 0 ]; then selected+=("$entry"); continue; fi
  for w in "${want[@]}"; do [ "${w%.cs}" = "$name" ] && selected+=("$entry"); done
done
if [ ${#selected[@]} -eq 0 ]; then
  echo "mutation.sh: no core file matches: ${want[*]} (known: $(printf '%s ' "${CORE[@]%%|*}"))" >&2
  exit 2
fi

dotnet tool restore >/dev/null || { echo "mutation.sh: 'dotnet tool restore' failed" >&2; exit 1; }
root=$PWD/out/mutation
mkdir -p "$root"
table=$root/table.md
{
  echo "| file | score | killed | survived | timeout | no coverage | date |"
  echo "|---|---:|---:|---:|---:|---:|---|"
} >"$table.new"

for entry in "${selected[@]}"; do
  IFS='|' read -r name project filter <<<"${entry%%|FullyQualifiedName*}"
  filter=${entry#*|*|}
  out=$root/$name
  rm -rf "$out"
  echo "== $name ($project; tests: $filter)" >&2
  # Solution mode: the test project reaches the core projects only through other projects, which Stryker's
  # project mode cannot follow. -p restricts mutation to the project that holds the file.
  dotnet stryker --skip-version-check -s AttentionSpectra.sln -p "$project" -m "**/$name.cs" \
      --test-case-filter "$filter" -c "${JOBS:-1}" -r Json -r Html -r Progress -O "$out" >"$root/$name.log" 2>&1
  report=$out/reports/mutation-report.json
  if [ ! -f "$report" ]; then
    echo "| $name | error (see out/mutation/$name.log) | | | | | $(date -u +%F) |" >>"$table.new"
    continue
  fi
  python3 - "$report" "$name" >>"$table.new" <<'PY'
import json, sys, datetime
rep = json.load(open(sys.argv[1]))
c = {}
for f in rep["files"].values():
    for m in f["mutants"]:
        c[m["status"]] = c.get(m["status"], 0) + 1
k, s, t, n = (c.get(x, 0) for x in ("Killed", "Survived", "Timeout", "NoCoverage"))
den = k + s + t + n
score = f"{100 * (k + t) / den:.1f}%" if den else "n/a"
print(f"| {sys.argv[2]} | {score} | {k} | {s} | {t} | {n} | {datetime.date.today().isoformat()} |")
PY
done
mv "$table.new" "$table"
cat "$table"
echo "Survivors: python3 scripts/mutation-survivors.py out/mutation/<File>/reports/mutation-report.json" >&2
