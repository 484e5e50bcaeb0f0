#!/usr/bin/env bash
# Study A benchmark: softmax-head SGD steps/s, C# (analytic gradient, SIMD, Parallel.For over the batch) vs PyTorch
# (float64, torch.set_num_threads(2), autograd and analytic gradient). Same head, same run: d in {5, 64}, L=100,
# batch 256, one step = sample + forward + backward + update. Prints a markdown table.
# Usage: bench/pca/run.sh [steps=300] [reps=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=${1:-300}; REPS=${2:-3}
OUT=$(mktemp -d)
dotnet build -c Release bench/AttentionSpectra.Bench >/dev/null
dotnet run -c Release --no-build --project bench/AttentionSpectra.Bench -- pca --d 5,64 --L 100 --batch 256 --steps "$STEPS" --reps "$REPS" > "$OUT/cs.jsonl"
/usr/bin/python3 bench/pca/torch_bench.py --check > "$OUT/check.json"
/usr/bin/python3 bench/pca/torch_bench.py --d 5,64 --L 100 --batch 256 --steps "$STEPS" --reps "$REPS" > "$OUT/torch.jsonl"
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys, os
out = sys.argv[1]
rows = [json.loads(l) for f in ("cs.jsonl", "torch.jsonl") for l in open(os.path.join(out, f)) if l.strip()]
chk = json.load(open(os.path.join(out, "check.json")))
print("| implementation | d | L | batch | steps/s (median of reps) | steps/s (best) |")
print("|---|---|---|---|---|---|")
for r in sorted(rows, key=lambda r: (r["d"], r["impl"])):
    print(f"| {r['impl']} | {r['d']} | {r['L']} | {r['batch']} | {r['steps_per_s_median']:.1f} | {r['steps_per_s_best']:.1f} |")
print()
print(f"PyTorch analytic vs autograd gradient, max abs diff: {chk['max_abs_diff_autograd_vs_analytic']:.2e}")
PY
