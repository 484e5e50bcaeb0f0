#!/usr/bin/env bash
# Fuzz and property campaign at scale (docs/reliability.md): runs the test suite's Fuzz tests with every campaign's
# case count multiplied by ATTNSPEC_FUZZ_SCALE (default 22: >= 100,000 cases; CI runs scale 1: 4,681 fixed cases).
# Every case gets a random seed; all cases run, and failures are counted per campaign (a failing test lists up to
# five with the PCG stream and seed that reproduce them). Prints one line per campaign (cases, seconds, failures) and
# the totals; exits non-zero if any case failed.
# FUZZ_FILTER narrows the tests (default: all of AttentionSpectra.Tests.Fuzz). The OCR-model campaign needs
# scripts/get-ocr-model.sh to have run (it is skipped otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
export ATTNSPEC_FUZZ_SCALE="${ATTNSPEC_FUZZ_SCALE:-22}"
report="$(mktemp)"
export ATTNSPEC_FUZZ_REPORT="$report"
dotnet build tests/AttentionSpectra.Tests -v q -nologo > /dev/null
start=$(date +%s)
set +e
dotnet test tests/AttentionSpectra.Tests --no-build --filter "${FUZZ_FILTER:-FullyQualifiedName~AttentionSpectra.Tests.Fuzz}" 2>&1 | tee "${FUZZ_LOG:-/dev/null}" \
  | grep -E "Failed |Passed!|Failed!|PCG\(|Error Message"
status=${PIPESTATUS[0]}
set -e
end=$(date +%s)
echo
printf '%-48s %10s %9s %9s\n' campaign cases seconds failures
sort "$report" | awk -F'\t' '{ printf "%-48s %10d %9.1f %9d\n", $1, $2, $3, $4; n += $2; s += $3; f += $4 }
  END { printf "%-48s %10d %9.1f %9d\n", "total", n, s, f }'
echo "scale ${ATTNSPEC_FUZZ_SCALE}, wall time $((end - start)) s, dotnet test exit status ${status}"
rm -f "$report"
exit "$status"
