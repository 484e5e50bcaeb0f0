#!/usr/bin/python3
"""eigvalsh (or, with --op eigh, eigh) on a loaded machine: C# (suite eigen-quick, one process per sample) and OpenBLAS (scipy.linalg.eigh
eigvals_only and numpy.linalg.eigvalsh, in this process) measured alternately, round after round, so both sides see
the same load; prints the per-round times and the median ratio C# / best OpenBLAS per size (JSON lines + summary).
Run with the OpenBLAS library selected, e.g.
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread OPENBLAS_NUM_THREADS=2 OPENBLAS_CORETYPE=SkylakeX \\
  /usr/bin/python3 bench/linalg/interleaved.py --n 2000,4000 --rounds 5
(build first: dotnet build -c Release bench/AttentionSpectra.Bench)."""
import argparse, json, os, statistics, subprocess, time
import numpy as np
import scipy.linalg as sla


def csharp(n, what):
    out = subprocess.run(["dotnet", "run", "-c", "Release", "--no-build", "--project", "bench/AttentionSpectra.Bench",
                          "--", "eigen-quick", "--n", str(n), "--reps", "2", "--what", what],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("{") and f'"op":"{what}"' in line:
            return json.loads(line)["best_s"]
    raise RuntimeError(out)


def best_of(f, reps=2):
    t = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); t.append(time.perf_counter() - t0)
    return min(t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", default="2000,4000")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--op", choices=["eigvalsh", "eigh"], default="eigvalsh",
                    help="eigvalsh (values only) or eigh (values and vectors; OpenBLAS: scipy evr and numpy evd)")
    ap.add_argument("--summary-out", help="append one JSON line per size (medians, per-round ratios) to this file")
    a = ap.parse_args()
    cfg = f"OpenBLAS CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '') or 'auto'}"
    summary = []
    for n in [int(s) for s in a.n.split(",")]:
        # same input family as eigen-quick (Gram matrix of an n x n Gaussian matrix)
        g = np.random.default_rng(1).standard_normal((n, n)); s = g @ g.T
        cs, ob = [], []
        for r in range(a.rounds):
            tc = csharp(n, a.op)
            if a.op == "eigvalsh":
                tn = min(best_of(lambda: sla.eigh(s, eigvals_only=True, overwrite_a=False)),
                         best_of(lambda: np.linalg.eigvalsh(s)))
            else:
                tn = min(best_of(lambda: sla.eigh(s, overwrite_a=False)), best_of(lambda: np.linalg.eigh(s)))
            cs.append(tc); ob.append(tn)
            load = open("/proc/loadavg").read().split()[0]
            print(json.dumps({"op": a.op, "n": n, "round": r, "csharp_s": round(tc, 3), "openblas_s": round(tn, 3),
                              "ratio": round(tc / tn, 3), "load1": load}), flush=True)
        ratios = [c / o for c, o in zip(cs, ob)]
        summary.append(f"{a.op} n={n}: C# median {statistics.median(cs):.3f} s, {cfg} median {statistics.median(ob):.3f} s, "
                       f"median per-round ratio {statistics.median(ratios):.2f}x (min {min(ratios):.2f}, "
                       f"max {max(ratios):.2f}) over {a.rounds} rounds")
        if a.summary_out:
            with open(a.summary_out, "a") as f:
                f.write(json.dumps({"op": a.op, "n": n, "config": cfg, "rounds": a.rounds,
                                    "csharp_median_s": statistics.median(cs), "openblas_median_s": statistics.median(ob),
                                    "ratio_median": statistics.median(ratios), "ratio_min": min(ratios),
                                    "ratio_max": max(ratios)}) + "\n")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
