#!/usr/bin/env python3
"""Study B benchmark, numpy/scipy side: the same pooled-sequence phase diagram as the C# suite `rmt`
(40 SNR values x 10 trials at d = 1000, V = N = 2000, T = 16, mean pooling, iid positions).

Per trial: centred vocabulary table Z (V x d), N sequences of T uniform tokens, pooled rows
c_n = a_n mu + sum_t w_t z_{x_nt} with a_n ~ N(0, w'Rw) built from a Cholesky factor of R;
S = C'C/N (BLAS syrk/gemm), top two eigenpairs with LAPACK (scipy.linalg.eigh, subset_by_index),
squared overlap with mu/|mu|. Prints one JSON line. Run with /usr/bin/python3."""
import argparse, json, os, time
import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def blas_name():
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
        if "openblas" in maps:
            return "openblas"
        if "libblas" in maps:
            return "reference-blas"
    except OSError:
        pass
    return "unknown"


def x_star(delta, gamma):
    r = np.roots([1.0, 0.0, -(gamma + delta + gamma * delta), -2 * gamma * delta])
    return max(x.real for x in r if abs(x.imag) < 1e-12 and x.real > 0)


def trial(d, V, N, w, bw, snr, seed, i, method="eigh"):
    rng = np.random.default_rng([seed, i])
    T = len(w)
    Z = rng.standard_normal((V, d))
    Z -= Z.mean(axis=0)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    a = rng.standard_normal((N, T)) @ bw
    tok = rng.integers(0, V, size=(N, T))
    X = sp.csr_matrix((np.tile(w, N), tok.ravel(), np.arange(0, N * T + 1, T)), shape=(N, V))
    C = X @ Z
    C += np.outer(a * np.sqrt(snr), u)
    if method == "eigsh":
        # ARPACK Lanczos on C'C/N as an operator (the same algorithmic path as the C# default)
        op = spla.LinearOperator((d, d), matvec=lambda x: C.T @ (C @ x) / N, dtype=np.float64)
        v0 = rng.standard_normal(d)
        vals, vecs = spla.eigsh(op, k=2, which="LA", v0=v0, tol=1e-8)
        order = np.argsort(vals)
        vals, vecs = vals[order], vecs[:, order]
    else:
        S = (C.T @ C) / N
        vals, vecs = sla.eigh(S, subset_by_index=[d - 2, d - 1], overwrite_a=True, check_finite=False)
    ov = float(vecs[:, -1] @ u) ** 2
    return vals[-1], vals[-2], ov


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--d", type=int, default=1000)
    p.add_argument("--V", type=int, default=2000)
    p.add_argument("--N", type=int, default=2000)
    p.add_argument("--T", type=int, default=16)
    p.add_argument("--points", type=int, default=40)
    p.add_argument("--trials", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--method", choices=["eigh", "eigsh"], default="eigh",
                   help="eigh: BLAS C'C + LAPACK eigh (top 2); eigsh: ARPACK Lanczos on C'C/N as an operator")
    a = p.parse_args()
    d, V, N, T = a.d, a.V, a.N, a.T
    w = np.full(T, 1.0 / T)
    R = np.eye(T)
    L = np.linalg.cholesky(R)
    bw = L.T @ w
    alpha, kappa = float(w @ R @ w), float(w @ w)
    delta, gamma = d / V, d / N
    xs = x_star(delta, gamma)
    rho_max = 3 * (delta + xs)
    snrs = [rho_max * k / (a.points - 1) * kappa / alpha for k in range(a.points)]
    trial(50, 100, 100, w, bw, 1.0, a.seed, 0, a.method)  # warm-up
    t0 = time.perf_counter()
    res = []
    for k, s in enumerate(snrs):
        for j in range(a.trials):
            res.append((s,) + trial(d, V, N, w, bw, s, a.seed, k * a.trials + j, a.method))
    secs = time.perf_counter() - t0
    # agreement with the theory outlier location above threshold
    dev = 0.0
    for k, s in enumerate(snrs):
        rho = alpha * s / kappa
        x = rho - delta
        if x > xs:
            lam = kappa * (x + delta) * (x + 1) * (x + gamma) / x ** 2
            m = np.mean([r[1] for r in res[k * a.trials:(k + 1) * a.trials]])
            dev = max(dev, abs(m / lam - 1))
    print(json.dumps({
        "suite": "rmt", "impl": "numpy", "method": a.method, "blas": blas_name(), "numpy": np.__version__,
        "threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "d": d, "V": V, "N": N, "T": T, "points": a.points, "trials": a.trials, "cores": os.cpu_count(),
        "seconds": round(secs, 3), "per_trial_ms": round(1000 * secs / (a.points * a.trials), 2),
        "max_rel_dev_outlier": round(dev, 4),
    }))


if __name__ == "__main__":
    main()
