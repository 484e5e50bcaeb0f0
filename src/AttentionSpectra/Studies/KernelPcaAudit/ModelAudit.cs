using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.KernelPcaAudit;

/// <summary>Summary statistics of one metric over all audited head-inputs.</summary>
public sealed record MetricSummary(double Max, double Min, double Mean, double Median);

/// <summary>The conventions an audit used; every summary and table names them.</summary>
/// <param name="CosineSigns">Sign handling of the mean and optimal cosine columns.</param>
/// <param name="KeyStandardisation">Key standardisation of the Gram eigen-statistics.</param>
/// <param name="GramAggregation">Aggregation of the Gram eigenvalues.</param>
public sealed record AuditConventions(
    CosineSigns CosineSigns, KeyStandardisation KeyStandardisation, GramAggregation GramAggregation)
{
    /// <summary>Convention of the cosine compared with the published bound: always the published one (raw).</summary>
    public CosineSigns BoundComparisonSigns => CosineSigns.Raw;

    /// <summary>Conventions of <paramref name="options"/>.</summary>
    public static AuditConventions From(AuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.CosineSigns, options.KeyStandardisation, options.GramAggregation);
    }

    /// <summary>Short name: raw | aligned | random-average.</summary>
    public static string Name(CosineSigns s) => s switch
    {
        CosineSigns.Raw => "raw",
        CosineSigns.Aligned => "aligned",
        _ => "random-average",
    };

    /// <summary>Short name: ddof1 | ddof0.</summary>
    public static string Name(KeyStandardisation s) => s == KeyStandardisation.SampleStd ? "ddof1" : "ddof0";

    /// <summary>Short name: per-rank-first | per-head.</summary>
    public static string Name(GramAggregation a) => a == GramAggregation.PerRankFirst ? "per-rank-first" : "per-head";

    /// <summary>One line naming every convention, marking the published ones.</summary>
    public string Describe()
    {
        static string P(bool published) => published ? " (published)" : " (not the published convention)";
        return $"conventions: cosine signs {Name(CosineSigns)}{P(CosineSigns == CosineSigns.Raw)}; " +
               $"published bounds compared with the raw-sign optimal cosine and the MEAN over inputs x layers x heads; " +
               $"Gram keys standardised {Name(KeyStandardisation)}{P(KeyStandardisation == KeyStandardisation.SampleStd)}; " +
               $"Gram aggregation {Name(GramAggregation)}{P(GramAggregation == GramAggregation.PerRankFirst)}";
    }
}

/// <summary>Every metric's summary over the audited head-inputs, by name.</summary>
public sealed record AuditMetricSummaries(
    MetricSummary MeanCosine, MetricSummary OptimalCosine, MetricSummary RawMeanCosine, MetricSummary RawOptimalCosine,
    MetricSummary LinearCka, MetricSummary RbfCka,
    MetricSummary JProjLog10PhiTerm, MetricSummary JProjLog10HTerm, MetricSummary JProjLog10Ratio,
    MetricSummary JProjMeanAbsDifference,
    MetricSummary GammaResidualTrue, MetricSummary GammaResidualLearned, MetricSummary GammaResidualControl,
    MetricSummary GammaSpreadTrue, MetricSummary GammaSpreadLearned, MetricSummary GammaSpreadControl,
    MetricSummary GammaPairwiseTrue, MetricSummary GammaPairwiseControl,
    MetricSummary? ModelAttentionError)
{
    /// <summary>(display name, summary) pairs in a fixed order, for tables; <paramref name="signs"/> names the
    /// convention of the two cosine rows.</summary>
    public IEnumerable<(string Name, MetricSummary Summary)> Rows(CosineSigns signs)
    {
        string s = AuditConventions.Name(signs);
        yield return ($"mean_cosine ({s})", MeanCosine);
        yield return ($"optimal_cosine ({s})", OptimalCosine);
        if (signs != CosineSigns.Raw)
        {
            yield return ("mean_cosine (raw)", RawMeanCosine);
            yield return ("optimal_cosine (raw)", RawOptimalCosine);
        }
        yield return ("linear_cka", LinearCka);
        yield return ("rbf_cka", RbfCka);
        yield return ("jproj_log10_phi_term", JProjLog10PhiTerm);
        yield return ("jproj_log10_h_term", JProjLog10HTerm);
        yield return ("jproj_log10_ratio", JProjLog10Ratio);
        yield return ("jproj_mean_abs_difference", JProjMeanAbsDifference);
        yield return ("gamma_residual_true", GammaResidualTrue);
        yield return ("gamma_residual_learned", GammaResidualLearned);
        yield return ("gamma_residual_control", GammaResidualControl);
        yield return ("gamma_spread_true", GammaSpreadTrue);
        yield return ("gamma_spread_learned", GammaSpreadLearned);
        yield return ("gamma_spread_control", GammaSpreadControl);
        yield return ("gamma_pairwise_true", GammaPairwiseTrue);
        yield return ("gamma_pairwise_control", GammaPairwiseControl);
        if (ModelAttentionError != null) yield return ("model_attention_max_abs_error", ModelAttentionError);
    }
}

/// <summary>A published figure (a model-level MEAN over inputs x layers x heads, the largest among 10 ViT/DeiT
/// models) against this model's mean; the max over heads is a separate column.</summary>
/// <param name="Metric">Metric name (the cosine is named with its sign convention).</param>
/// <param name="PublishedMean">The published model-level mean.</param>
/// <param name="ObservedMean">This model's mean over inputs x layers x heads.</param>
/// <param name="ObservedMax">This model's max over head-inputs.</param>
/// <param name="FractionOfHeadsAbove">Fraction of head-inputs whose value exceeds the published mean.</param>
/// <param name="MeanWithinPublished">ObservedMean &lt;= PublishedMean.</param>
public sealed record BoundComparison(string Metric, double PublishedMean, double ObservedMean, double ObservedMax,
    double FractionOfHeadsAbove, bool MeanWithinPublished);

/// <summary>Gram eigen-statistics of a model under the named conventions.</summary>
/// <param name="Aggregation">How per-head eigenvalues were aggregated.</param>
/// <param name="Standardisation">How keys were standardised.</param>
/// <param name="Max">Max (per-rank-first: mean over inputs of the max over ranks of the per-rank averages).</param>
/// <param name="Min">Min, aggregated the same way.</param>
/// <param name="Mean">Mean, aggregated the same way.</param>
/// <param name="Median">Median (per-rank-first: lower median, as torch.median).</param>
/// <param name="MeanPerRank">Mean |eigenvalue| per rank over every head-input.</param>
public sealed record GramEigenStatistics(GramAggregation Aggregation, KeyStandardisation Standardisation,
    double Max, double Min, double Mean, double Median, double[] MeanPerRank);

/// <summary>One metric against its permutation null, over all head-inputs.</summary>
/// <param name="ObservedMean">Mean of the metric.</param>
/// <param name="NullMean">Mean of the per-head permutation-null means.</param>
/// <param name="MeanExcess">ObservedMean - NullMean.</param>
/// <param name="PValue">One-sided p-value of the rank-sum test: per head, the number of permutations scoring
/// below the observed value is uniform on 0..P under the null; their sum is compared with its exact distribution
/// (normal approximation when the sum's range exceeds 200000).</param>
public sealed record NullComparison(double ObservedMean, double NullMean, double MeanExcess, double PValue);

/// <summary>The four similarity metrics against their permutation nulls (cosines under the audit's sign
/// convention).</summary>
public sealed record NullComparisons(int Permutations, NullComparison MeanCosine, NullComparison OptimalCosine,
    NullComparison LinearCka, NullComparison RbfCka);

/// <summary>Summary of an audit (the JSON written next to the per-head table).</summary>
/// <param name="Model">Model label.</param>
/// <param name="Kind">Loader kind.</param>
/// <param name="HeadInputs">Number of (input, layer, head) audits.</param>
/// <param name="Layers">Distinct layers audited.</param>
/// <param name="Inputs">Distinct inputs.</param>
/// <param name="Conventions">Conventions used.</param>
/// <param name="Metrics">Summary of every metric.</param>
/// <param name="PublishedComparison">Comparison with the published model means.</param>
/// <param name="GramEigen">Gram eigen-statistics.</param>
/// <param name="Null">Comparison with the permutation null, when computed.</param>
/// <param name="Notes">Notes (conventions, model structure, warnings).</param>
public sealed record AuditSummary(
    string Model, string Kind, int HeadInputs, int Layers, int Inputs,
    AuditConventions Conventions, AuditMetricSummaries Metrics,
    IReadOnlyList<BoundComparison> PublishedComparison, GramEigenStatistics GramEigen,
    NullComparisons? Null, IReadOnlyList<string> Notes);

/// <summary>One row of the cross-model table (one model, one metric).</summary>
/// <param name="Model">Model label.</param>
/// <param name="Metric">Metric name.</param>
/// <param name="CosineSigns">Sign convention for cosine rows; "-" for CKA rows.</param>
/// <param name="HeadInputs">Head-inputs audited.</param>
/// <param name="Mean">Mean over inputs x layers x heads.</param>
/// <param name="Max">Max over head-inputs.</param>
/// <param name="PublishedMean">Published model-level mean, when there is one.</param>
/// <param name="FractionAbovePublished">Fraction of head-inputs above it.</param>
/// <param name="NullMean">Permutation-null mean, when computed under this convention.</param>
/// <param name="ExcessOverNull">Mean - NullMean.</param>
/// <param name="PValue">Rank-sum p-value of the excess.</param>
public sealed record CrossModelRow(string Model, string Metric, string CosineSigns, int HeadInputs, double Mean,
    double Max, double? PublishedMean, double? FractionAbovePublished, double? NullMean, double? ExcessOverNull,
    double? PValue);

/// <summary>Audit of many heads (all layers/heads/inputs of a model) and its summary.</summary>
public static class ModelAudit
{
    /// <summary>Published figures (10 ViT/DeiT models): the largest model-level MEAN over images x layers x heads of
    /// the optimal cosine (raw signs), linear CKA and RBF CKA.</summary>
    public static readonly (string Metric, double PublishedMean)[] PublishedMeans =
        [("optimal_cosine (raw)", 0.32), ("linear_cka", 0.11), ("rbf_cka", 0.32)];

    /// <summary>Audit every head; parallel over heads, deterministic (head i uses rng.Split(i)).</summary>
    public static List<HeadAuditResult> AuditHeads(IReadOnlyList<CapturedHead> heads, Rng rng,
        AuditOptions? options = null, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default) =>
        AuditHeads(heads, rng, 0, options, progress, cancellationToken);

    /// <summary>Audit heads that are entries <paramref name="firstIndex"/>, <paramref name="firstIndex"/> + 1, ... of
    /// a longer list (head i of the list uses rng.Split(i)), e.g. one input's share of a model's heads.</summary>
    /// <param name="heads">The heads.</param>
    /// <param name="rng">The stream whose splits the heads use.</param>
    /// <param name="firstIndex">Index of the first head in the longer list (≥ 0).</param>
    /// <param name="options">Audit options.</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Stops between heads.</param>
    public static List<HeadAuditResult> AuditHeads(IReadOnlyList<CapturedHead> heads, Rng rng, int firstIndex,
        AuditOptions? options = null, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstIndex);
        ArgumentNullException.ThrowIfNull(heads);
        ArgumentNullException.ThrowIfNull(rng);
        (options ?? new AuditOptions()).Validate();
        var res = new HeadAuditResult[heads.Count];
        int done = 0;
        try
        {
            var po = new ParallelOptions
            {
                MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken,
            };
            Parallel.For(0, heads.Count, po, i =>
            {
                res[i] = HeadAudit.Audit(heads[i], rng.Split((ulong)(firstIndex + i)), options);
                progress.Report("kpca audit", Interlocked.Increment(ref done), heads.Count);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // surface the first failure itself (e.g. an ArgumentException naming the head), not the wrapper
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
        }
        return [.. res];
    }

    /// <summary>Max/min/mean/median of the finite values; throws when there are none.</summary>
    public static MetricSummary Summarise(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToList();
        if (v.Count == 0) throw new ArgumentException("No finite values to summarise.", nameof(values));
        return new MetricSummary(v.Max(), v.Min(), v.Average(), HeadAudit.Median(v));
    }

    private static MetricSummary SummariseOrNaN(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToList();
        return v.Count == 0 ? new MetricSummary(double.NaN, double.NaN, double.NaN, double.NaN) : Summarise(v);
    }

    /// <summary>Notes every audit summary carries: the conventions and what the audit's domain implies
    /// (V_KPCA columns when Dv > N - 1, the direction of J_proj, the permutation null).</summary>
    public static List<string> DomainNotes(IReadOnlyList<HeadAuditResult> m, AuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(options);
        var notes = new List<string> { AuditConventions.From(options).Describe() };
        notes.Add(options.CosineSigns switch
        {
            CosineSigns.Raw => "cosine metrics use V_KPCA with the eigensolver's own column signs (unrelated to V), " +
                               "as the published code; CKA metrics are sign independent",
            CosineSigns.Aligned => "cosine metrics use V_KPCA with column signs aligned to V (best case; adds to " +
                                   "both cosines); the published comparison uses raw signs; CKA is sign independent",
            _ => $"cosine metrics are averaged over column-sign patterns (up to {options.SignDraws}); the expected " +
                 "mean cosine is 0; CKA is sign independent",
        });
        var few = m.Where(x => x.KpcaColumns < x.ValueDim).ToList();
        if (few.Count > 0)
        {
            var ex = few[0];
            notes.Add($"{few.Count} of {m.Count} head-inputs have Dv > N - 1 (e.g. N = {ex.Tokens}, Dv = " +
                      $"{ex.ValueDim}): V_KPCA has only N - 1 = {ex.KpcaColumns} real columns there, padded with " +
                      "zero columns; metrics against V compare unequal ranks");
        }
        if (options.NullPermutations > 0 && options.CosineSigns != CosineSigns.Aligned)
            notes.Add("the optimal cosine is invariant to row permutations of V (the matching absorbs them), so its " +
                      "permutation null equals its value: it cannot show token correspondence; compare CKA with its null");
        int hDominates = m.Count(x => x.JProj.Log10Ratio < 0);
        notes.Add($"J_proj: |h|^2 exceeds |phi(q)|^2 on average in {hDominates} of {m.Count} head-inputs " +
                  "(the reproduction's training curves also give |h|^2 >> |phi|^2, log10 ratio about -2.6)");
        return notes;
    }

    /// <summary>Summary of the head-inputs of one model under <paramref name="options"/>' conventions; the
    /// domain notes are appended to <paramref name="notes"/>.</summary>
    public static AuditSummary Summarise(string model, string kind, IReadOnlyList<HeadAuditResult> m,
        IEnumerable<string> notes, AuditOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(notes);
        options ??= new AuditOptions();
        if (m.Count == 0) throw new ArgumentException("No heads were audited.", nameof(m));
        var errs = m.Where(x => x.ModelAttentionError.HasValue).Select(x => x.ModelAttentionError!.Value).ToList();
        var metrics = new AuditMetricSummaries(
            Summarise(m.Select(x => x.MeanCosine)), Summarise(m.Select(x => x.OptimalCosine)),
            Summarise(m.Select(x => x.RawMeanCosine)), Summarise(m.Select(x => x.RawOptimalCosine)),
            Summarise(m.Select(x => x.LinearCka)), Summarise(m.Select(x => x.RbfCka)),
            Summarise(m.Select(x => x.JProj.Log10PhiTerm)), Summarise(m.Select(x => x.JProj.Log10HTerm)),
            Summarise(m.Select(x => x.JProj.Log10Ratio)), SummariseOrNaN(m.Select(x => x.JProj.MeanAbsDifference)),
            Summarise(m.Select(x => x.GammaTrue.Residual)), Summarise(m.Select(x => x.GammaLearned.Residual)),
            Summarise(m.Select(x => x.GammaControl.Residual)), Summarise(m.Select(x => x.GammaTrue.Spread)),
            Summarise(m.Select(x => x.GammaLearned.Spread)), Summarise(m.Select(x => x.GammaControl.Spread)),
            SummariseOrNaN(m.Select(x => x.GammaPairwise?.True ?? double.NaN)),
            SummariseOrNaN(m.Select(x => x.GammaPairwise?.Control ?? double.NaN)),
            errs.Count > 0 ? Summarise(errs) : null);
        var cmp = new List<BoundComparison>();
        foreach (var (metric, bound) in PublishedMeans)
        {
            Func<HeadAuditResult, double> f = metric switch
            {
                "linear_cka" => x => x.LinearCka,
                "rbf_cka" => x => x.RbfCka,
                _ => x => x.RawOptimalCosine,
            };
            var vals = m.Select(f).ToList();
            double mean = vals.Average();
            cmp.Add(new BoundComparison(metric, bound, mean, vals.Max(), vals.Count(v => v > bound) / (double)vals.Count,
                mean <= bound));
        }
        NullComparisons? nulls = null;
        if (m.All(x => x.Null != null))
        {
            int p = m[0].Null!.Permutations;
            if (m.All(x => x.Null!.Permutations == p))
                nulls = new NullComparisons(p,
                    Compare(m, x => x.MeanCosine, x => x.Null!.MeanCosine, x => x.Null!.Ranks.MeanCosine, p),
                    Compare(m, x => x.OptimalCosine, x => x.Null!.OptimalCosine, x => x.Null!.Ranks.OptimalCosine, p),
                    Compare(m, x => x.LinearCka, x => x.Null!.LinearCka, x => x.Null!.Ranks.LinearCka, p),
                    Compare(m, x => x.RbfCka, x => x.Null!.RbfCka, x => x.Null!.Ranks.RbfCka, p));
        }
        var allNotes = new List<string>(notes);
        allNotes.AddRange(DomainNotes(m, options));
        return new AuditSummary(model, kind, m.Count, m.Select(x => x.Layer).Distinct().Count(),
            m.Select(x => x.Input).Distinct().Count(), AuditConventions.From(options), metrics, cmp,
            GramStatistics(m, options.GramAggregation), nulls, allNotes);
    }

    private static NullComparison Compare(IReadOnlyList<HeadAuditResult> m, Func<HeadAuditResult, double> obs,
        Func<HeadAuditResult, double> nullMean, Func<HeadAuditResult, int> below, int permutations)
    {
        double o = m.Average(obs), n = m.Average(nullMean);
        return new NullComparison(o, n, o - n, RankSumPValue(m.Select(below).ToList(), permutations));
    }

    /// <summary>P(S &gt;= observed sum) for S a sum of independent uniforms on 0..<paramref name="permutations"/>,
    /// one per entry of <paramref name="ranks"/>: exact by convolution, or a normal approximation with continuity
    /// correction when the support exceeds 200000.</summary>
    public static double RankSumPValue(IReadOnlyList<int> ranks, int permutations)
    {
        ArgumentNullException.ThrowIfNull(ranks);
        if (permutations < 1) throw new ArgumentException("permutations must be >= 1.", nameof(permutations));
        int h = ranks.Count;
        if (h == 0) throw new ArgumentException("No ranks.", nameof(ranks));
        long s = 0;
        foreach (var r in ranks)
        {
            if (r < 0 || r > permutations) throw new ArgumentException($"rank {r} outside 0..{permutations}.", nameof(ranks));
            s += r;
        }
        long support = (long)h * permutations + 1;
        if (support > 200_000)
        {
            double mu = h * permutations / 2.0;
            double var = h * ((permutations + 1.0) * (permutations + 1.0) - 1) / 12.0;
            double z = (s - 0.5 - mu) / Math.Sqrt(var);
            return 0.5 * Erfc(z / Math.Sqrt(2));
        }
        var dist = new double[] { 1.0 };
        double w = 1.0 / (permutations + 1);
        for (int k = 0; k < h; k++)
        {
            var next = new double[dist.Length + permutations];
            // next[t] = w * sum_{r=0..P} dist[t - r] via a running window sum
            double win = 0;
            for (int t = 0; t < next.Length; t++)
            {
                if (t < dist.Length) win += dist[t];
                if (t - permutations - 1 >= 0) win -= dist[t - permutations - 1];
                next[t] = w * win;
            }
            dist = next;
        }
        double p = 0;
        for (long t = s; t < dist.Length; t++) p += dist[t];
        return Math.Clamp(p, 0, 1);
    }

    /// <summary>Complementary error function (Chebyshev fit, relative error below 1.2e-7).</summary>
    internal static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
            t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    /// <summary>Gram eigen-statistics under <paramref name="aggregation"/> (see <see cref="GramAggregation"/>).</summary>
    public static GramEigenStatistics GramStatistics(IReadOnlyList<HeadAuditResult> m, GramAggregation aggregation)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.Count == 0) throw new ArgumentException("No heads were audited.", nameof(m));
        var perRank = PerRankMeans(m);
        var std = m[0].KeyStandardisation;
        if (aggregation == GramAggregation.PerHead)
        {
            var all = Summarise(m.SelectMany(x => x.GramTopEigenvalues));
            return new GramEigenStatistics(aggregation, std, all.Max, all.Min, all.Mean, all.Median, perRank);
        }
        double mx = 0, mn = 0, me = 0, md = 0;
        var inputs = m.GroupBy(x => x.Input).ToList();
        foreach (var g in inputs)
        {
            var pr = PerRankMeans([.. g]);
            mx += pr.Max(); mn += pr.Min(); me += pr.Average(); md += HeadAudit.LowerMedian(pr);
        }
        int c = inputs.Count;
        return new GramEigenStatistics(aggregation, std, mx / c, mn / c, me / c, md / c, perRank);
    }

    private static double[] PerRankMeans(IReadOnlyList<HeadAuditResult> m)
    {
        int ranks = m.Max(x => x.GramTopEigenvalues.Length);
        var perRank = new double[ranks];
        for (int r = 0; r < ranks; r++)
            perRank[r] = m.Where(x => x.GramTopEigenvalues.Length > r).Average(x => x.GramTopEigenvalues[r]);
        return perRank;
    }

    /// <summary>The cross-model table: per model, mean/max of each similarity metric, the fraction of heads above
    /// the published means, and the excess over the permutation null with its p-value.</summary>
    public static List<CrossModelRow> CrossModel(IEnumerable<AuditSummary> summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        var rows = new List<CrossModelRow>();
        foreach (var s in summaries)
        {
            var met = s.Metrics;
            var signs = s.Conventions.CosineSigns;
            string sn = AuditConventions.Name(signs);
            BoundComparison? B(string name) => s.PublishedComparison.FirstOrDefault(b => b.Metric == name);
            CrossModelRow Row(string metric, string conv, MetricSummary ms, BoundComparison? b, NullComparison? n) =>
                new(s.Model, metric, conv, s.HeadInputs, ms.Mean, ms.Max, b?.PublishedMean, b?.FractionOfHeadsAbove,
                    n?.NullMean, n?.MeanExcess, n?.PValue);
            rows.Add(Row("mean_cosine", sn, met.MeanCosine, null, s.Null?.MeanCosine));
            var rawOpt = B("optimal_cosine (raw)");
            if (signs == CosineSigns.Raw)
                rows.Add(Row("optimal_cosine", sn, met.OptimalCosine, rawOpt, s.Null?.OptimalCosine));
            else
            {
                rows.Add(Row("optimal_cosine", sn, met.OptimalCosine, null, s.Null?.OptimalCosine));
                rows.Add(Row("optimal_cosine", "raw", met.RawOptimalCosine, rawOpt, null));
            }
            rows.Add(Row("linear_cka", "-", met.LinearCka, B("linear_cka"), s.Null?.LinearCka));
            rows.Add(Row("rbf_cka", "-", met.RbfCka, B("rbf_cka"), s.Null?.RbfCka));
        }
        return rows;
    }
}
