using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.KernelPcaAudit;

/// <summary>The three kinds of synthetic control head audited side by side.</summary>
/// <param name="Kind">independent | random | kpca.</param>
/// <param name="Description">What V is for this kind.</param>
/// <param name="Heads">Per-head results.</param>
/// <param name="Summary">Their summary (under the experiment's conventions).</param>
public sealed record SyntheticKindResult(string Kind, string Description, List<HeadAuditResult> Heads,
    AuditSummary Summary);

/// <summary>Result of <see cref="SyntheticHeads.RunExperiment"/>.</summary>
/// <param name="Tokens">N.</param>
/// <param name="ModelDim">C.</param>
/// <param name="HeadDim">D.</param>
/// <param name="Trials">Heads of each kind.</param>
/// <param name="QkScale">Scale of the query/key weights.</param>
/// <param name="Options">Audit options (conventions) used.</param>
/// <param name="Kinds">Independent V (null), random weights V = X Wv, V = V_KPCA (in this order).</param>
public sealed record SyntheticExperimentResult(int Tokens, int ModelDim, int HeadDim, int Trials, double QkScale,
    AuditOptions Options, IReadOnlyList<SyntheticKindResult> Kinds);

/// <summary>Synthetic control heads that bracket the metrics' range: tokens X ~ N(0, I_C); Q = X Wq, K = X Wk with
/// Gaussian weights of variance 1/C (scaled by <c>qkScale</c>); V either independent noise (the null), X Wv
/// (random-weights head) or V_KPCA of the same Q, K (the kernel-PCA head: every similarity metric equals 1).</summary>
public static class SyntheticHeads
{
    /// <summary>Audit <paramref name="trials"/> heads of each kind (independent V, random weights, V = V_KPCA):
    /// the controls that bracket the metrics' range.</summary>
    public static SyntheticExperimentResult RunExperiment(Rng rng, int tokens, int modelDim, int headDim, int trials,
        double qkScale = 1.0, AuditOptions? options = null, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (tokens < 3) throw new ArgumentException("tokens must be at least 3.", nameof(tokens));
        if (modelDim < 1) throw new ArgumentException("modelDim must be positive.", nameof(modelDim));
        if (headDim < 1 || headDim >= tokens)
            throw new ArgumentException($"headDim must lie in [1, tokens - 1] (got {headDim}, tokens {tokens}).", nameof(headDim));
        if (trials < 1) throw new ArgumentException("trials must be positive.", nameof(trials));
        if (!(qkScale > 0) || !double.IsFinite(qkScale)) throw new ArgumentException("qkScale must be positive.", nameof(qkScale));
        options ??= new AuditOptions();
        options.Validate();
        var kinds = new (string Kind, string Description, ulong Stream, ulong AuditStream,
            Func<Rng, int, CapturedHead> Make)[]
        {
            ("independent", "independent V (null)", 2000, 6,
                (r, i) => IndependentHead(r, tokens, modelDim, headDim, qkScale, i)),
            ("random", "random weights V = X Wv", 0, 7, (r, i) => RandomHead(r, tokens, modelDim, headDim, qkScale, i)),
            ("kpca", "V = V_KPCA", 1000, 8,
                (r, i) => KpcaHead(r, tokens, modelDim, headDim, qkScale, i)),
        };
        string setup = $"N={tokens}, C={modelDim}, D={headDim}, qk-scale={qkScale}";
        var results = new List<SyntheticKindResult>();
        foreach (var k in kinds)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var heads = Enumerable.Range(0, trials).Select(i => k.Make(rng.Split(k.Stream + (ulong)i), i)).ToList();
            var audited = ModelAudit.AuditHeads(heads, rng.Split(k.AuditStream), options, progress, cancellationToken);
            results.Add(new SyntheticKindResult(k.Kind, k.Description, audited,
                ModelAudit.Summarise("synthetic-" + k.Kind, "synthetic", audited, [setup], options)));
        }
        return new SyntheticExperimentResult(tokens, modelDim, headDim, trials, qkScale, options, results);
    }

    /// <summary>Tokens X ~ N(0, I_C) and their queries and keys X Wq, X Wk (weights of variance qkScale^2 / C).</summary>
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
