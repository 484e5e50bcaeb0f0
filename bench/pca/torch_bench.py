#!/usr/bin/python3
"""Study A benchmark, PyTorch side: SGD steps/s of the rank-one softmax head on fresh Gaussian prompts.
One step = sample (batch, L, d) tokens ~ N(0, Sigma) + forward + backward + update, float64, 2 threads.
Variants: 'torch-autograd' (loss.backward()) and 'torch-analytic' (same closed-form gradient as the C# head).
Usage: /usr/bin/python3 bench/pca/torch_bench.py [--d 5,64] [--L 100] [--batch 256] [--steps 300] [--reps 3]
       [--warmup N] [--modes torch-autograd,torch-analytic]"""
import argparse, json, time
import torch

torch.set_num_threads(2)
torch.set_default_dtype(torch.float64)


def make_sigma(d, gen):
    a = torch.randn(d, d, generator=gen)
    return a @ a.T + 0.1 * torch.eye(d)


def loss_fn(mu, x, lam):
    # x: (B, L, d); query = token 0, also among keys/values; s_l = lam (mu.x_1)(mu.x_l)
    p = x @ mu                      # (B, L)
    s = lam * p[:, :1] * p          # (B, L)
    w = torch.softmax(s, dim=1)
    t = torch.einsum('bl,bld->bd', w, x)
    r = t - x[:, 0, :]
    return (r * r).sum(dim=1).mean()


def analytic(mu, x, lam):
    p = x @ mu
    s = lam * p[:, :1] * p
    w = torch.softmax(s, dim=1)
    t = torch.einsum('bl,bld->bd', w, x)
    r = t - x[:, 0, :]
    loss = (r * r).sum(dim=1).mean()
    g = 2.0 * torch.einsum('bd,bld->bl', r, x)
    e = w * (g - (w * g).sum(dim=1, keepdim=True))
    xe = torch.einsum('bl,bld->bd', e, x)
    c = (e * p).sum(dim=1)
    grad = lam * (c[:, None] * x[:, 0, :] + p[:, :1] * xe)
    return loss, grad.mean(dim=0)


def run(d, L, batch, steps, reps, mode, seed=1, warmup=-1):
    gen = torch.Generator().manual_seed(seed)
    sigma = make_sigma(d, gen)
    chol = torch.linalg.cholesky(sigma)
    shrink = min(1.0, 64.0 / d)  # lam 0.1, lr 1e-4 up to d = 64, scaled down above (same as the C# suite)
    lam, lr = 0.1 * shrink, 1e-4 * shrink ** 4
    mu = (0.01 / d ** 0.5) * torch.randn(d, generator=gen)
    if mode == 'torch-autograd':
        mu.requires_grad_(True)

    def step():
        nonlocal mu
        x = torch.randn(batch, L, d, generator=gen) @ chol.T
        if mode == 'torch-autograd':
            loss = loss_fn(mu, x, lam)
            loss.backward()
            with torch.no_grad():
                mu -= lr * mu.grad
            mu.grad = None
        else:
            loss, g = analytic(mu, x, lam)
            mu = mu - lr * g

    for _ in range(warmup if warmup >= 0 else max(10, steps // 10)):
        step()
    rates = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        rates.append(steps / (time.perf_counter() - t0))
    rates.sort()
    return {"impl": mode, "d": d, "L": L, "batch": batch, "steps": steps, "reps": reps,
            "steps_per_s_median": round(rates[len(rates) // 2], 2), "steps_per_s_best": round(rates[-1], 2),
            "threads": torch.get_num_threads(), "torch": torch.__version__}


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--d', default='5,64')
    ap.add_argument('--L', type=int, default=100)
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--steps', type=int, default=300)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--warmup', type=int, default=-1, help='warm-up steps (default max(10, steps/10))')
    ap.add_argument('--modes', default='torch-autograd,torch-analytic')
    ap.add_argument('--check', action='store_true', help='check analytic gradient == autograd and exit')
    a = ap.parse_args()
    if a.check:
        g = torch.Generator().manual_seed(0)
        x = torch.randn(8, 20, 5, generator=g)
        mu = torch.randn(5, generator=g, requires_grad=True)
        l = loss_fn(mu, x, 0.3); l.backward()
        _, ga = analytic(mu.detach(), x, 0.3)
        print(json.dumps({"max_abs_diff_autograd_vs_analytic": float((mu.grad - ga).abs().max())}))
    else:
        for d in [int(v) for v in a.d.split(',')]:
            for mode in a.modes.split(','):
                print(json.dumps(run(d, a.L, a.batch, a.steps, a.reps, mode, warmup=a.warmup)), flush=True)
