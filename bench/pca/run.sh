#!/usr/bin/env bash
# Study A benchmark: softmax-head SGD steps/s, C# (analytic gradient, SIMD, Parallel.For over the batch) vs PyTorch
# (float64, torch.set_num_threads(2), autograd and analytic gradient). Same head, same run: d in {5, 64}, L=100,
# batch 256, plus d = 2000 (few steps); one step = sample + forward + backward + update. Prints a markdown table.
# PyTorch runs with Debian's OpenBLAS (pthread) when installed.
# Usage: bench/pca/run.sh [steps=300] [reps=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=${1:-300}; REPS=${2:-3}
OUT=$(mktemp -d)
dotnet build -c Release bench/AttentionSpectra.Bench >/dev/null
dotnet run -c Release --no-build --project bench/AttentionSpectra.Bench -- pca --d 5,64 --L 100 --batch 256 --steps "$STEPS" --reps "$REPS" > "$OUT/cs.jsonl"
# Large d (Study A target: one step at d = 2000 <= 1.5 s on 2 cores): 3 steps x reps after one warm-up step, plus the
# sampling stage alone and a 2000^3 GEMM in the same process (to judge a loaded machine).
dotnet run -c Release --no-build --project bench/AttentionSpectra.Bench -- pca --d 2000 --L 100 --batch 256 --steps 3 --reps "$REPS" --warmup 1 --stages > "$OUT/cs2000.jsonl"
grep -v '"stage"' "$OUT/cs2000.jsonl" >> "$OUT/cs.jsonl" || true
OB=/usr/lib/x86_64-linux-gnu/openblas-pthread
TORCHENV=(env OPENBLAS_NUM_THREADS=2)
[[ -e "$OB/libopenblas.so.0" ]] && TORCHENV+=(LD_LIBRARY_PATH="$OB")
"${TORCHENV[@]}" /usr/bin/python3 bench/pca/torch_bench.py --check > "$OUT/check.json"
"${TORCHENV[@]}" /usr/bin/python3 bench/pca/torch_bench.py --d 5,64 --L 100 --batch 256 --steps "$STEPS" --reps "$REPS" > "$OUT/torch.jsonl"
"${TORCHENV[@]}" /usr/bin/python3 bench/pca/torch_bench.py --d 2000 --L 100 --batch 256 --steps 2 --reps "$REPS" --warmup 1 >> "$OUT/torch.jsonl"
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
for l in open(os.path.join(out, "cs2000.jsonl")):
    if '"stage"' in l:
        st = json.loads(l)
        print(f"C# d=2000 sampling stage (best of reps): {st['sample_blocks_s']:.3f} s for {st['gflop']} GFLOP of Z C' "
              f"(normals alone, one thread: {st['normals_serial_s']:.3f} s); GEMM 2000^3 in the same process: "
              f"{st['gemm2000_gflops_same_run']} GFLOP/s")
PY
