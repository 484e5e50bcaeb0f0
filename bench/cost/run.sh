#!/usr/bin/env bash
# Cost growth of each study's main workload, C# next to the Python reference, in one run; writes bench/RESULTS-cost.md.
#   A: SGD steps/s of the rank-one softmax head vs d (L = 100, batch 256, Sigma dense, prompts through the GEMM):
#      C# suite `pca` against PyTorch (bench/pca/torch_bench.py, autograd and analytic gradient; best of the two).
#   B: per-trial time of the pooled phase diagram vs d (V = N = 2000, T = 16; 2 SNR points x 4 trials per size,
#      2 for numpy eigh; C# after one untimed full-size trial per core):
#      C# suite `rmt` against numpy (C'C + LAPACK eigh) and scipy ARPACK (eigsh on the operator).
#   C: per-head kernel-PCA audit time vs tokens N (D = 64, no permutation null): C# suite `kpca --only-audit`
#      (no Python reference exists for the audit).
# Python runs with Debian's OpenBLAS (pthread, 2 threads) when installed. Usage: bench/cost/run.sh [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
QUICK=0; [[ "${1:-}" == "--quick" ]] && QUICK=1
if [[ $QUICK == 1 ]]; then DA="64,256"; DB="500,1000"; NC="65,128"; else DA="64,128,256,512,1024,2000"; DB="500,1000,2000,4000"; NC="65,128,256,512,1024"; fi
# COST_DA / COST_DB / COST_NC override the size lists (empty string: skip that study); COST_OUT appends to an
# existing raw directory (to finish an interrupted run).
DA=${COST_DA-$DA}; DB=${COST_DB-$DB}; NC=${COST_NC-$NC}
OUT=${COST_OUT:-$(mktemp -d /tmp/cost-bench.XXXXXX)}
echo "raw results in $OUT" >&2
export COST_LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
PY=/usr/bin/python3
OB=/usr/lib/x86_64-linux-gnu/openblas-pthread
PYENV=(env OPENBLAS_NUM_THREADS=2)
[[ -e "$OB/libopenblas.so.0" ]] && PYENV+=(LD_LIBRARY_PATH="$OB")
[[ -n "${COST_NOBUILD:-}" ]] || dotnet build -c Release bench/AttentionSpectra.Bench -nologo -v q >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; exit 1; }
BENCH=(dotnet run -c Release --no-build --project bench/AttentionSpectra.Bench --)
steps_for() { local s=$((4000 / $1)); (( s < 2 )) && s=2; (( s > 60 )) && s=60; echo $s; }
touch "$OUT/a.jsonl" "$OUT/b.jsonl" "$OUT/c.jsonl"
for d in ${DA//,/ }; do
  st=$(steps_for "$d")
  echo "A: d=$d ($st steps x 3)" >&2
  "${BENCH[@]}" pca --d "$d" --L 100 --batch 256 --steps "$st" --reps 3 --warmup 1 >>"$OUT/a.jsonl"
  if "$PY" -c "import torch" 2>/dev/null; then
    "${PYENV[@]}" "$PY" bench/pca/torch_bench.py --d "$d" --L 100 --batch 256 --steps "$st" --reps 3 --warmup 1 \
      >>"$OUT/a.jsonl" || echo "warning: torch d=$d failed" >&2
  fi
done
for d in ${DB//,/ }; do
  echo "B: d=$d" >&2
  "${BENCH[@]}" rmt --d "$d" --points 2 --trials 4 | sed 's/^{/{"impl":"csharp",/' >>"$OUT/b.jsonl"
  for m in eigh eigsh; do
    tr=4; [[ $m == eigh ]] && tr=2 # LAPACK eigh of the d x d matrix takes tens of seconds per trial at d = 4000
    "${PYENV[@]}" "$PY" bench/rmt/pooled_phase.py --method "$m" --d "$d" --points 2 --trials "$tr" \
      | sed "s/^{/{\"impl\":\"numpy-$m\",/" >>"$OUT/b.jsonl" || echo "warning: numpy $m d=$d failed" >&2
  done
done
if [[ -n "$NC" ]]; then
  echo "C: N=$NC" >&2
  "${BENCH[@]}" kpca --only-audit --sizes "$NC" --reps 3 >>"$OUT/c.jsonl"
fi
export COST_COMMAND="bench/cost/run.sh $*"
"$PY" bench/cost/report.py "$OUT" > bench/RESULTS-cost.md
cat bench/RESULTS-cost.md
