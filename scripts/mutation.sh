#!/usr/bin/env bash
# Mutation testing of the mathematical core with Stryker.NET (local tool, .config/dotnet-tools.json).
# One Stryker run per project ("group") mutates all of that project's core files at once and runs the union of
# their test classes; per-test coverage analysis (Stryker's default) runs each mutant only against the tests that
# execute it. The JSON report is then split per file into a table. Slow (about an hour per group on two shared
# cores): a local/nightly script, not part of every CI run.
#
#   scripts/mutation.sh                      # every file of the core (all groups, one after the other)
#   scripts/mutation.sh ClosedForms Cholesky # only these files (base names, without .cs), grouped by project
#   JOBS=2 scripts/mutation.sh               # Stryker concurrency (default 1: the machine is shared)
#
# Reports: out/mutation/<group>/reports/mutation-report.{json,html}, log out/mutation/<group>.log;
# table: out/mutation/table.md (also printed). Survivors: scripts/mutation-survivors.py <report.json>.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

# group | project holding the files | core files (base names) | test classes that exercise them (union) |
# slow tests left out (names containing these): Stryker compiles every mutant of the project into one assembly, so
# every test runs instrumented, several times slower; the SGD training runs and the 20000-head rank-sum check test
# other code and would dominate the run. The Numerics files are two groups with their direct tests only: every
# Lanczos and SymmetricEigen test also runs the tridiagonal/Householder code, so one group would run all of them
# (several seconds instrumented) for each of those mutants. The two-stage reduction of eigvalsh (TwoStageTridiagonal)
# is a group of its own without its two n = 4000 spectrum tests (minutes each when instrumented).
GROUPS_=(
  "core|AttentionSpectra.csproj|ClosedForms CriticalPoints SpikeTheory FreeProbability Pooling Similarity KernelPca HeadAudit Hungarian|PcaAlignment.ClosedForm PcaAlignment.LandscapeAndTrainingTests PooledSpectra.TheoryTests PooledSpectra.SpikeTheory PooledSpectra.WeightTests PooledSpectra.FreeProbability PooledSpectra.Pooling KernelPcaAudit.MetricTests KernelPcaAudit.ConventionTests KernelPcaAudit.SimilarityMutationTests KernelPcaAudit.HungarianMutationTests KernelPcaAudit.KernelPcaMutationTests KernelPcaAudit.HeadAuditMutationTests KernelPcaAudit.AuditEdgeMutationTests PcaAlignment.CriticalPoint|SoftmaxSgd RankSumPValue DigitsLoad"
  "numerics-eig|AttentionSpectra.Numerics.csproj|Tridiagonal TridiagonalDivideConquer HouseholderTridiagonal|Numerics.Tridiagonal Numerics.Householder|"
  "numerics-lz|AttentionSpectra.Numerics.csproj|Cholesky Lanczos|Numerics.Cholesky Numerics.Lanczos|"
  "numerics-2s|AttentionSpectra.Numerics.csproj|TwoStageTridiagonal|Numerics.EigenTwoStage Numerics.TwoStage|N4000"
)

want=("$@")
known=()
for g in "${GROUPS_[@]}"; do IFS='|' read -r _ _ files _ _ <<<"$g"; known+=($files); done
for w in "${want[@]}"; do
  case " ${known[*]} " in *" ${w%.cs} "*) ;; *)
    echo "mutation.sh: not a core file: $w (known: ${known[*]})" >&2; exit 2;; esac
done

dotnet tool restore >/dev/null || { echo "mutation.sh: 'dotnet tool restore' failed" >&2; exit 1; }
root=$PWD/out/mutation
mkdir -p "$root"
reports=()
for g in "${GROUPS_[@]}"; do
  IFS='|' read -r group project files classes slow <<<"$g"
  mutate=()
  for f in $files; do
    if [ ${#want[@]} -eq 0 ]; then mutate+=(-m "**/$f.cs"); continue; fi
    for w in "${want[@]}"; do [ "${w%.cs}" = "$f" ] && mutate+=(-m "**/$f.cs"); done
  done
  [ ${#mutate[@]} -eq 0 ] && continue
  filter=$(printf 'FullyQualifiedName~%s|' $classes); filter="(${filter%|})"
  for x in $slow; do filter+="&FullyQualifiedName!~$x"; done
  out=$root/$group
  rm -rf "$out"
  echo "== $group ($project): ${mutate[*]}; log $root/$group.log" >&2
  # Solution mode: the test project reaches the core projects only through other projects, which Stryker's
  # project mode cannot follow. -p restricts mutation to the project that holds the files.
  dotnet stryker --skip-version-check -s AttentionSpectra.sln -p "$project" "${mutate[@]}" \
      --test-case-filter "$filter" -c "${JOBS:-1}" -r Json -r Html -r Dots -O "$out" >"$root/$group.log" 2>&1
  report=$out/reports/mutation-report.json
  if [ -f "$report" ]; then reports+=("$report"); else echo "mutation.sh: $group failed, see $root/$group.log" >&2; fi
done
[ ${#reports[@]} -eq 0 ] && exit 1
python3 scripts/mutation-table.py "${reports[@]}" >"$root/table.md"
cat "$root/table.md"
echo "Survivors: python3 scripts/mutation-survivors.py out/mutation/<group>/reports/mutation-report.json" >&2
