#!/usr/bin/python3
"""Reference timings for the eigen suite: numpy (as shipped by Debian, OpenBLAS/LAPACK backend) eigvalsh / eigh on
the same kind of matrix (Gram matrix of an n x n standard Gaussian), best of N. Run next to
`dotnet run -c Release --project bench/AttentionSpectra.Bench -- eigen-quick` so both see the same machine load.
Usage: /usr/bin/python3 bench/eigen_reference.py [--n 1000,2000] [--reps 3]"""
import argparse, json, time
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--n", default="1000,2000")
p.add_argument("--reps", type=int, default=3)
args = p.parse_args()
rng = np.random.default_rng(42)
for n in [int(x) for x in args.n.split(",")]:
    g = rng.standard_normal((n, n))
    a = g @ g.T
    for name, f in (("eigvalsh", np.linalg.eigvalsh), ("eigh", np.linalg.eigh)):
        best = float("inf")
        for _ in range(args.reps):
            t = time.perf_counter(); f(a); best = min(best, time.perf_counter() - t)
        print(json.dumps({"suite": "eigen-numpy", "op": name, "n": n, "best_s": round(best, 3), "numpy": np.__version__}))
