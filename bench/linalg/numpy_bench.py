#!/usr/bin/env python3
"""numpy/scipy side of the linalg benchmark: dgemm 2000^3, eigvalsh/eigh n=1000/2000 (numpy and scipy), best-of-N
wall time. Prints one JSON object per line. The BLAS/LAPACK in use is whatever the dynamic loader picks
(run.sh selects it with LD_LIBRARY_PATH). Usage: numpy_bench.py --config NAME [--reps 3] [--gemm-n 2000]
[--eig-sizes 1000,2000] [--max-seconds S]  (operations whose single run exceeds S are run once only)."""
import argparse, json, os, time
import numpy as np
import scipy.linalg as sla


def best(f, reps, max_seconds):
    t0 = time.perf_counter(); f(); first = time.perf_counter() - t0   # warm-up, also a timing sample
    times = [first]
    if first < max_seconds:
        for _ in range(reps):
            t0 = time.perf_counter(); f(); times.append(time.perf_counter() - t0)
    return min(times), len(times)


def blas_name():
    try:
        from threadpoolctl import threadpool_info
        info = threadpool_info()
        if info:
            return ";".join(f"{i.get('internal_api')}:{i.get('filepath')}:{i.get('architecture', '')}" for i in info)
    except Exception:
        pass
    try:  # fall back to /proc/self/maps
        with open("/proc/self/maps") as fh:
            libs = sorted({l.split()[-1] for l in fh if "blas" in l or "lapack" in l})
        return ";".join(libs)
    except Exception:
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--gemm-n", type=int, default=2000)
    ap.add_argument("--eig-sizes", default="1000,2000")
    ap.add_argument("--max-seconds", type=float, default=20.0)
    a = ap.parse_args()
    rng = np.random.default_rng(12345)
    emit = lambda **kw: print(json.dumps({"config": a.config, **kw}), flush=True)
    emit(bench="env", numpy=np.__version__, blas=blas_name(), coretype=os.environ.get("OPENBLAS_CORETYPE", ""))
    n = a.gemm_n
    A = rng.standard_normal((n, n)); B = rng.standard_normal((n, n))
    t, r = best(lambda: np.dot(A, B), a.reps, a.max_seconds)
    emit(bench="gemm", n=n, seconds=t, runs=r, gflops=2.0 * n ** 3 / t / 1e9)
    for m in [int(s) for s in a.eig_sizes.split(",")]:
        G = rng.standard_normal((m, m)); S = G + G.T
        t, r = best(lambda: np.linalg.eigvalsh(S), a.reps, a.max_seconds)
        emit(bench="eigvalsh", impl="numpy", n=m, seconds=t, runs=r)
        t, r = best(lambda: np.linalg.eigh(S), a.reps, a.max_seconds)
        emit(bench="eigh", impl="numpy", n=m, seconds=t, runs=r)
        t, r = best(lambda: sla.eigh(S, eigvals_only=True), a.reps, a.max_seconds)
        emit(bench="eigvalsh", impl="scipy", n=m, seconds=t, runs=r)
        t, r = best(lambda: sla.eigh(S), a.reps, a.max_seconds)
        emit(bench="eigh", impl="scipy", n=m, seconds=t, runs=r)


if __name__ == "__main__":
    main()
