#!/usr/bin/env bash
# Study B benchmark: the pooled-model phase diagram (40 SNR x 10 trials, d = 1000, V = N = 2000, T = 16) in C#
# (suite `rmt`) and the same simulation in numpy/scipy (OpenBLAS when available), in one run.
# Writes bench/RESULTS-rmt.md. Usage: bench/rmt/run.sh [extra args passed to both, e.g. --points 10 --trials 4]
set -euo pipefail
cd "$(dirname "$0")/../.."
ARGS=("$@")
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
dotnet build bench/AttentionSpectra.Bench -c Release -nologo -v q >/dev/null
CS=$(dotnet run -c Release --no-build --project bench/AttentionSpectra.Bench -- rmt "${ARGS[@]}")
echo "$CS"
OB=/usr/lib/x86_64-linux-gnu/openblas-pthread
if [ -e "$OB/libopenblas.so.0" ]; then export LD_LIBRARY_PATH="$OB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
PY=$(/usr/bin/python3 bench/rmt/pooled_phase.py --method eigh "${ARGS[@]}")
echo "$PY"
PY2=$(/usr/bin/python3 bench/rmt/pooled_phase.py --method eigsh "${ARGS[@]}")
echo "$PY2"
BRANCH=$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo "?")
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
/usr/bin/python3 - "$CS" "$PY" "$PY2" "$BRANCH" "$COMMIT" "${ARGS[*]:-}" "$LOAD0" "$LOAD1" > bench/RESULTS-rmt.md <<'PYEOF'
import json, sys, datetime
cs, py, py2 = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
branch, commit, args, load0, load1 = sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8]
ratio = min(py["seconds"], py2["seconds"]) / cs["seconds"]
print("# Study B benchmark: pooled-model phase diagram\n")
print(f"Command: `bench/rmt/run.sh{(' ' + args) if args else ''}` (branch `{branch}` @ `{commit}`, "
      f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {cs['cores']} cores, machine shared with other jobs: timings are noisy).\n")
print(f"Workload: {cs['points']} SNR values x {cs['trials']} trials, d = {cs['d']}, V = {cs['V']}, N = {cs['N']}, T = {cs['T']}, "
      "mean pooling, iid positions; per trial: centred table, pooled rows, top-2 eigenpairs of S = C'C/N, overlap.\n")
gram = cs.get("solver") == "GramLanczos" or (cs.get("solver") == "Auto" and 4 * cs["d"] <= cs["N"])
cs_label = ("S = C'C/N by SYRK, then Lanczos on S" if gram else "Lanczos on C'C/N as an operator") + \
    f" (solver {cs.get('solver', '?')})"
print("| implementation | top eigenpairs | wall time (s) | per trial (ms) | max rel. dev. of outlier vs theory |")
print("|---|---|---:|---:|---:|")
print(f"| C# (AttentionSpectra, `rmt` suite, trials in parallel on {cs['cores']} cores) | {cs_label} | {cs['seconds']:.1f} | {cs['per_trial_ms']:.0f} | {cs['max_rel_dev_outlier']:.4f} |")
print(f"| numpy {py['numpy']} + scipy ({py['blas']}, threads: {py['threads']}) | BLAS C'C + LAPACK eigh (top 2) | {py['seconds']:.1f} | {py['per_trial_ms']:.0f} | {py['max_rel_dev_outlier']:.4f} |")
print(f"| numpy {py2['numpy']} + scipy ({py2['blas']}, threads: {py2['threads']}) | ARPACK eigsh on C'C/N operator | {py2['seconds']:.1f} | {py2['per_trial_ms']:.0f} | {py2['max_rel_dev_outlier']:.4f} |")
print(f"\nfastest numpy / C# wall-time ratio: {ratio:.2f}. Target (40 x 10 at d = 1000 in < 120 s on 2 cores): "
      f"{'met' if cs['seconds'] < 120 else 'NOT met'} ({cs['seconds']:.1f} s).\n")
print(f"Load average (1/5/15 min) at start: {load0}; at end: {load1}.\n")
print("Raw JSON lines:\n")
print("```\n" + json.dumps(cs) + "\n" + json.dumps(py) + "\n" + json.dumps(py2) + "\n```")
PYEOF
cat bench/RESULTS-rmt.md
