using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.KernelPcaAudit;

/// <summary>Synthetic control heads that bracket the metrics' range: tokens X ~ N(0, I_C); Q = X Wq, K = X Wk with
/// Gaussian weights of variance 1/C (scaled by <c>qkScale</c>); V either independent noise (the null), X Wv
/// (random-weights head) or V_KPCA of the same Q, K (the kernel-PCA head: every similarity metric equals 1).</summary>
public static class SyntheticHeads
{
    public static (Matrix Q, Matrix K, Matrix X) QueriesKeys(Rng rng, int tokens, int modelDim, int headDim, double qkScale = 1.0)
    {
        if (tokens < 3) throw new ArgumentException("Synthetic heads need at least 3 tokens.");
        if (headDim < 1 || headDim >= tokens) throw new ArgumentException($"Head dimension must lie in [1, tokens - 1] (got {headDim}, tokens {tokens}).");
        if (modelDim < 1) throw new ArgumentException("Model dimension must be positive.");
        var x = Samplers.Gaussian(rng.Split(0), tokens, modelDim);
        var wq = Samplers.Gaussian(rng.Split(1), modelDim, headDim);
        var wk = Samplers.Gaussian(rng.Split(2), modelDim, headDim);
        double s = qkScale / Math.Sqrt(modelDim);
        return (s * (x * wq), s * (x * wk), x);
    }

    /// <summary>Null head: V has i.i.d. N(0, 1) entries, independent of the tokens and hence of V_KPCA.</summary>
    public static CapturedHead IndependentHead(Rng rng, int tokens, int modelDim, int headDim, double qkScale = 1.0, int index = 0)
    {
        var (q, k, _) = QueriesKeys(rng, tokens, modelDim, headDim, qkScale);
        return new CapturedHead(0, index, "synthetic-independent", q, k, Samplers.Gaussian(rng.Split(5), tokens, headDim));
    }

    /// <summary>Random-weights head: V = X Wv. Not a null: V and V_KPCA (a function of K = X Wk) are both functions
    /// of the same tokens X, so CKA sits above the independent-V null.</summary>
    public static CapturedHead RandomHead(Rng rng, int tokens, int modelDim, int headDim, double qkScale = 1.0, int index = 0)
    {
        var (q, k, x) = QueriesKeys(rng, tokens, modelDim, headDim, qkScale);
        var wv = Samplers.Gaussian(rng.Split(3), modelDim, headDim);
        return new CapturedHead(0, index, "synthetic-random", q, k, (1 / Math.Sqrt(modelDim)) * (x * wv));
    }

    /// <summary>Kernel-PCA head: V = c V_KPCA S with a random positive scale c and random column signs S
    /// (the symmetries the sign-aligned metrics are invariant to).</summary>
    public static CapturedHead KpcaHead(Rng rng, int tokens, int modelDim, int headDim, double qkScale = 1.0, int index = 0)
    {
        var (q, k, _) = QueriesKeys(rng, tokens, modelDim, headDim, qkScale);
        var vk = KernelPca.Compute(q, k, headDim).VKpca;
        var r = rng.Split(4);
        double c = Math.Exp(r.NextGaussian());
        var v = c * vk;
        for (int d = 0; d < headDim; d++)
            if (r.NextDouble() < 0.5) for (int i = 0; i < tokens; i++) v[i, d] = -v[i, d];
        return new CapturedHead(0, index, "synthetic-kpca", q, k, v);
    }
}
