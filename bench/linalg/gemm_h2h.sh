#!/usr/bin/env bash
# Back-to-back dgemm 2000^3 comparison (C# core vs OpenBLAS SkylakeX), alternated ROUNDS times, best of 6 each time.
# On a shared/noisy host the ratio of neighbouring measurements is more meaningful than absolute GFLOP/s.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROUNDS="${1:-3}"
dotnet build -c Release bench/AttentionSpectra.Bench -v q -nologo >/dev/null
for r in $(seq "$ROUNDS"); do
  cs=$(dotnet run -c Release --no-build --project bench/AttentionSpectra.Bench -- linalg --only gemm --reps 5 | grep '"transA":false,"transB":false' | sed 's/.*"gflops":\([0-9.]*\).*/\1/')
  ob=$(LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 -c "
import numpy as np, time
rng = np.random.default_rng(1); a = rng.standard_normal((2000, 2000)); b = rng.standard_normal((2000, 2000)); ts = []
for _ in range(6):
    t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)
print(f'{16.0 / min(ts):.1f}')")
  echo "round $r: C# ${cs%.*} GFLOP/s, OpenBLAS-SkylakeX $ob GFLOP/s, ratio $(/usr/bin/python3 -c "print(f'{$cs/$ob:.2f}')")  (load $(cut -d' ' -f1 /proc/loadavg))"
done
