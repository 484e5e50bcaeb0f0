#!/usr/bin/env python3
"""Turns the JSON lines written by bench/cost/run.sh into bench/RESULTS-cost.md: one table per study with the fitted
cost exponent (least squares on log time vs log size, over all sizes and over the two largest)."""
import datetime, json, math, os, sys


def load(path):
    rows = []
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line.startswith("{"):
                try: rows.append(json.loads(line))
                except json.JSONDecodeError: pass
    return rows


def slope(xs, ys):
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y and y > 0]
    if len(pts) < 2: return None
    mx = sum(p[0] for p in pts) / len(pts); my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx if sxx > 0 else None


def exps(xs, ys):
    a, b = slope(xs, ys), slope(xs[-2:], ys[-2:])
    f = lambda v: "—" if v is None else f"{v:.2f}"
    return f"fitted exponent {f(a)} over all sizes, {f(b)} between the two largest"


def ms(t): return "—" if t is None else (f"{t:.2f} ms" if t < 10 else f"{t:.0f} ms" if t < 10000 else f"{t / 1000:.1f} s")


def comparison(L, rows, header, times, fmt, note, ref, separate=None):
    """Table rows d | C# | reference 1 | reference 2 | ratio(s), then the fitted exponent. Without `separate` the
    ratio is best reference / C#; with separate = (name1, name2) there is one ratio column per reference."""
    ds = sorted({r["d"] for r in rows if "d" in r})
    L.append(header)
    L.append("|---:|---:|---:|---:|---:|" + ("---:|" if separate else ""))
    cs_t = []
    worst = [None, None, None]
    r_ = lambda t, tc: t / tc if t and tc else None
    x_ = lambda v: "—" if v is None else f"{v:.1f}x"
    for d in ds:
        tc, t1, t2 = times(d)
        cs_t.append(tc)
        best = min([t for t in (t1, t2) if t is not None], default=None)
        ratios = [r_(best, tc), r_(t1, tc), r_(t2, tc)]
        for i, v in enumerate(ratios):
            if v is not None: worst[i] = v if worst[i] is None else min(worst[i], v)
        cols = f"{x_(ratios[1])} | {x_(ratios[2])}" if separate else x_(ratios[0])
        L.append(f"| {d} | {fmt(tc)} | {fmt(t1)} | {fmt(t2)} | {cols} |")
    L.append(f"\nC#: {exps(ds, cs_t)}{note}.")
    if separate:
        for i, name in ((1, separate[0]), (2, separate[1])):
            if worst[i] is not None: L.append(f" Smallest speed-up over {name}: {worst[i]:.1f}x.")
    elif worst[0] is not None:
        L.append(f" Smallest speed-up over {ref}: {worst[0]:.1f}x.")
    L.append("")


def main():
    out = sys.argv[1]
    a, b, c = load(f"{out}/a.jsonl"), load(f"{out}/b.jsonl"), load(f"{out}/c.jsonl")
    L = ["# Cost growth of the three studies' main workloads\n"]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    la = os.getloadavg()
    L.append(f"Command: `{os.environ.get('COST_COMMAND', 'bench/cost/run.sh').strip()}`; {now}; {os.cpu_count()} cores; "
             f"load average at start {os.environ.get('COST_LOAD_START', '?')}, at the end "
             + ", ".join(f"{x:.2f}" for x in la) + ". The machine was shared with other jobs: compare the columns of one "
             "row (measured minutes apart), not absolute times. Times are per unit of work (a step, a trial, a head).\n")
    # A
    L.append("## A: one SGD step (sample 256 prompts of L = 100 tokens ~ N(0, Sigma), forward, backward, update)\n")
    step = lambda d, impl: next((1.0 / r["steps_per_s_median"] for r in a if r.get("d") == d and r.get("impl") == impl),
                                None)
    f = lambda t: "—" if t is None else f"{t:.4f}" if t < 1 else f"{t:.2f}"
    comparison(L, a, "| d | C# s/step | PyTorch autograd s/step | PyTorch analytic s/step | PyTorch best / C# |",
               lambda d: (step(d, "csharp-analytic"), step(d, "torch-autograd"), step(d, "torch-analytic")), f,
               " (sampling is O(batch L d^2), the head O(batch L d))", "PyTorch")
    # B
    L.append("## B: one pooled-spectrum trial (V = N = 2000, T = 16, top-2 eigenpairs of C'C/N)\n")
    trial = lambda d, impl, m=None: next((r["per_trial_ms"] for r in b if r.get("d") == d and r.get("impl") == impl
                                          and r.get("method") == m), None)
    comparison(L, b, "| d | C# per trial | numpy C'C + eigh | scipy ARPACK eigsh | numpy / C# | ARPACK / C# |",
               lambda d: (trial(d, "csharp"), trial(d, "numpy", "eigh"), trial(d, "numpy", "eigsh")), ms,
               " (S = C'C/N by SYRK and Lanczos on S for d <= N/4, Lanczos on the operator C'(Cx)/N above)",
               "numpy/ARPACK", separate=("numpy (C'C + LAPACK eigh)", "scipy ARPACK"))
    # C
    L.append("## C: one head audit (synthetic head, D = 64; kernel PCA, metrics, J_proj, gamma, Gram statistics)\n")
    ns = sorted({r["n"] for r in c if r.get("task") == "head-audit"})
    L.append("| tokens N | C# per head, no null | C# per head, 8 null permutations |")
    L.append("|---:|---:|---:|")
    t0 = []
    for n in ns:
        get = lambda p: next((r["ms"] for r in c if r.get("task") == "head-audit" and r.get("n") == n and r.get("null_perms") == p), None)
        t0.append(get(0))
        L.append(f"| {n} | {ms(get(0))} | {ms(get(8))} |")
    L.append(f"\nC# (no null): {exps(ns, t0)}. No Python implementation of the audit exists to compare with.\n")
    print("\n".join(L))


if __name__ == "__main__":
    main()
