using System.Numerics.Tensors;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Attention;

/// <summary>How the scores of a rank-k attention head are turned into token weights.</summary>
public enum HeadKind
{
    /// <summary>T(X) = sum_l softmax(s)_l x_l.</summary>
    Softmax,
    /// <summary>T(X) = sum_l s_l x_l (no 1/L normalisation).</summary>
    Linear,
}

/// <summary>Per-prompt scratch buffers of a head (one per worker; not thread-safe). Sized for prompts of
/// length <see cref="L"/>, dimension <see cref="D"/> and rank <see cref="K"/>.</summary>
public sealed class HeadWorkspace
{
    /// <summary>Prompt length (tokens) the buffers hold.</summary>
    public int L { get; }
    /// <summary>Token dimension d.</summary>
    public int D { get; }
    /// <summary>Rank k of the head.</summary>
    public int K { get; }
    internal readonly double[] P;   // L x K projections P[l, j] = mu_j . x_l
    internal readonly double[] S;   // L scores
    internal readonly double[] W;   // L weights
    internal readonly double[] E;   // L dloss/ds
    internal readonly double[] T;   // d output
    internal readonly double[] R;   // d residual T - x_1
    internal readonly double[] Xe;  // d  X' e
    internal readonly double[] C;   // K  sum_l e_l P[l, j]

    /// <summary>Allocates the buffers for prompts of <paramref name="l"/> tokens of dimension <paramref name="d"/> and a
    /// head of rank <paramref name="k"/> (all at least 1).</summary>
    public HeadWorkspace(int l, int d, int k)
    {
        if (l < 1 || d < 1 || k < 1) throw new ArgumentException($"Head workspace needs L, d, k >= 1 (got L={l}, d={d}, k={k}).");
        L = l; D = d; K = k;
        P = new double[l * k]; S = new double[l]; W = new double[l]; E = new double[l];
        T = new double[d]; R = new double[d]; Xe = new double[d]; C = new double[k];
    }
}

/// <summary>Rank-k generalisation of the rank-one attention head of docs/theory.md §A. Parameters are k vectors
/// mu_1..mu_k stored as a k x d row-major array (row j = mu_j). The query is the first token x_1, which is also
/// among the keys/values, and the score of token l is s_l = lam * sum_j (mu_j . x_1)(mu_j . x_l)
/// = lam x_1' M M' x_l (M = [mu_1..mu_k]); values are the tokens themselves. k = 1 is the head of the paper.
/// The per-prompt loss is |x_1 - T(X)|^2 and its gradient is analytic:
/// with r = T - x_1, g_l = 2 r.x_l, e = dloss/ds (softmax: e_l = w_l (g_l - w.g); linear: e = g),
/// grad mu_j = lam ( (sum_l e_l P[l,j]) x_1 + P[1,j] X'e ).</summary>
public static class AttentionHead
{
    private static void Validate(ReadOnlySpan<double> x, int l, int d, ReadOnlySpan<double> m, int k, double lam, HeadWorkspace ws)
    {
        if (x.Length != l * d) throw new ArgumentException($"Prompt buffer has {x.Length} values, expected L*d = {l * d}.");
        if (m.Length != k * d) throw new ArgumentException($"Parameter buffer has {m.Length} values, expected k*d = {k * d}.");
        if (ws.L < l || ws.D != d || ws.K != k) throw new ArgumentException("Head workspace does not match the prompt shape.");
        if (!(lam > 0) || double.IsInfinity(lam)) throw new ArgumentException($"Inverse temperature lam must be positive and finite (got {lam}).");
    }

    /// <summary>Computes T(X) into <paramref name="output"/> (length d) and returns the loss |x_1 - T(X)|^2.</summary>
    public static double Forward(HeadKind kind, ReadOnlySpan<double> x, int l, int d, ReadOnlySpan<double> m, int k,
        double lam, Span<double> output, HeadWorkspace ws)
    {
        Validate(x, l, d, m, k, lam, ws);
        if (output.Length != d) throw new ArgumentException($"Output buffer must have length d = {d}.");
        double loss = ForwardCore(kind, x, l, d, m, k, lam, ws);
        ws.T.AsSpan(0, d).CopyTo(output);
        return loss;
    }

    /// <summary>Loss of one prompt; adds <paramref name="scale"/> * gradient (k x d) to <paramref name="gradAccum"/>.</summary>
    public static double LossAndGradient(HeadKind kind, ReadOnlySpan<double> x, int l, int d, ReadOnlySpan<double> m, int k,
        double lam, Span<double> gradAccum, double scale, HeadWorkspace ws)
    {
        Validate(x, l, d, m, k, lam, ws);
        if (gradAccum.Length != k * d) throw new ArgumentException($"Gradient buffer must have length k*d = {k * d}.");
        double loss = ForwardCore(kind, x, l, d, m, k, lam, ws);
        BackwardCore(kind, x, l, d, k, lam, gradAccum, scale, ws);
        return loss;
    }

    private static double ForwardCore(HeadKind kind, ReadOnlySpan<double> x, int l, int d, ReadOnlySpan<double> m, int k,
        double lam, HeadWorkspace ws)
    {
        ForwardScores(kind, x, l, d, m, k, lam, ws);
        ReadOnlySpan<double> r = ws.R.AsSpan(0, d);
        return CheckedLoss(TensorPrimitives.Dot(r, r));
    }

    /// <summary>Projections P, scores S, weights W, output T = X'W and residual R = T - x_1 of one prompt.</summary>
    private static void ForwardScores(HeadKind kind, ReadOnlySpan<double> x, int l, int d, ReadOnlySpan<double> m,
        int k, double lam, HeadWorkspace ws)
    {
        Span<double> p = ws.P.AsSpan(0, l * k);
        Span<double> s = ws.S.AsSpan(0, l);
        Span<double> w = ws.W.AsSpan(0, l);
        Span<double> t = ws.T.AsSpan(0, d);
        // Projections P[i, j] = mu_j . x_i.
        for (int i = 0; i < l; i++)
        {
            var xi = x.Slice(i * d, d);
            for (int j = 0; j < k; j++) p[i * k + j] = TensorPrimitives.Dot(xi, m.Slice(j * d, d));
        }
        ReadOnlySpan<double> p1 = p[..k];
        for (int i = 0; i < l; i++) s[i] = lam * TensorPrimitives.Dot(p1, p.Slice(i * k, k));
        if (kind == HeadKind.Softmax)
        {
            TensorPrimitives.SoftMax(s, w);
        }
        else
        {
            s.CopyTo(w);
        }
        // T = X' w.
        t.Clear();
        for (int i = 0; i < l; i++) TensorPrimitives.MultiplyAdd(x.Slice(i * d, d), w[i], t, t);
        TensorPrimitives.Subtract(t, x[..d], ws.R.AsSpan(0, d));
    }

    private static double CheckedLoss(double loss) => double.IsFinite(loss) ? loss
        : throw new ArgumentException("Attention head produced a non-finite output (scores overflowed: lower lam or the learning rate).");

    /// <summary>First half of the loss and gradient of one Gaussian prompt X = Z C' in the coordinates of Z (the
    /// prompt's iid normals), never forming X: with <paramref name="mt"/> = M C (row j = C' mu_j) the projections are
    /// P[i, j] = mu_j . x_i = mt_j . z_i, and the residual T - x_1 = C rho with rho = Z'w - z_1. Leaves rho in
    /// <paramref name="ws"/> (see <see cref="WhitenedResidual"/>); the caller forms Q rho (Q = C'C) for a group of
    /// prompts at once and finishes with <see cref="WhitenedBackward"/>.</summary>
    internal static void WhitenedForward(HeadKind kind, ReadOnlySpan<double> z, int l, int d, ReadOnlySpan<double> mt,
        int k, double lam, HeadWorkspace ws) => ForwardScores(kind, z, l, d, mt, k, lam, ws);

    /// <summary>rho = Z'w - z_1 after <see cref="WhitenedForward"/>.</summary>
    internal static ReadOnlySpan<double> WhitenedResidual(HeadWorkspace ws, int d) => ws.R.AsSpan(0, d);

    /// <summary>Second half: given <paramref name="qrho"/> = Q rho, the loss is |C rho|^2 = rho . Q rho and
    /// dloss/dw_i = 2 (C rho) . x_i = 2 (Q rho) . z_i; adds <paramref name="scale"/> times the z-coordinate gradient
    /// grad_z mu_j = lam (c_j z_1 + P[1, j] Z'e) to <paramref name="gradZ"/> (the true gradient is C times it, formed
    /// once per batch by the caller) and returns the loss. O(L d k) per prompt besides Q rho.</summary>
    internal static double WhitenedBackward(HeadKind kind, ReadOnlySpan<double> z, int l, int d, int k, double lam,
        ReadOnlySpan<double> qrho, Span<double> gradZ, double scale, HeadWorkspace ws)
    {
        Span<double> rho = ws.R.AsSpan(0, d);
        double loss = CheckedLoss(TensorPrimitives.Dot(rho, qrho));
        qrho.CopyTo(rho); // the backward pass reads dloss/dw_i = 2 R . z_i
        BackwardCore(kind, z, l, d, k, lam, gradZ, scale, ws);
        return loss;
    }

    private static void BackwardCore(HeadKind kind, ReadOnlySpan<double> x, int l, int d, int k, double lam,
        Span<double> grad, double scale, HeadWorkspace ws)
    {
        Span<double> p = ws.P.AsSpan(0, l * k);
        Span<double> w = ws.W.AsSpan(0, l);
        Span<double> e = ws.E.AsSpan(0, l);
        ReadOnlySpan<double> r = ws.R.AsSpan(0, d);
        // g_i = 2 r . x_i  (dloss/dw_i)
        for (int i = 0; i < l; i++) e[i] = 2.0 * TensorPrimitives.Dot(r, x.Slice(i * d, d));
        if (kind == HeadKind.Softmax)
        {
            double wg = TensorPrimitives.Dot(w, e);
            for (int i = 0; i < l; i++) e[i] = w[i] * (e[i] - wg);
        }
        Span<double> xe = ws.Xe.AsSpan(0, d);
        xe.Clear();
        for (int i = 0; i < l; i++) TensorPrimitives.MultiplyAdd(x.Slice(i * d, d), e[i], xe, xe);
        Span<double> c = ws.C.AsSpan(0, k);
        c.Clear();
        for (int i = 0; i < l; i++) TensorPrimitives.MultiplyAdd(p.Slice(i * k, k), e[i], c, c);
        var x1 = x[..d];
        for (int j = 0; j < k; j++)
        {
            var gj = grad.Slice(j * d, d);
            TensorPrimitives.MultiplyAdd(x1, scale * lam * c[j], gj, gj);
            TensorPrimitives.MultiplyAdd(xe, scale * lam * p[j], gj, gj);
        }
    }
}
