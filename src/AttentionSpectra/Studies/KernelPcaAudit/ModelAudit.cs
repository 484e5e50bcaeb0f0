using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.KernelPcaAudit;

/// <summary>Summary statistics of one metric over all audited heads.</summary>
public sealed record MetricSummary(double Max, double Min, double Mean, double Median);

/// <summary>Published bound and whether this model stays under it (max over heads).</summary>
public sealed record BoundComparison(string Metric, double PublishedMax, double ObservedMax, bool WithinPublished);

/// <summary>Summary of an audit (the JSON written next to the per-head table).</summary>
public sealed record AuditSummary(
    string Model, string Kind, int HeadInputs, int Layers, int Inputs,
    Dictionary<string, MetricSummary> Metrics,
    List<BoundComparison> PublishedComparison,
    double[] GramEigenMeanPerRank, MetricSummary GramEigenAll,
    Dictionary<string, double>? MeanExcessOverNull,
    List<string> Notes);

/// <summary>Audit of many heads (all layers/heads/inputs of a model) plus the summary, tables and figures.</summary>
public static class ModelAudit
{
    /// <summary>Published finding (10 ViT/DeiT models): upper bounds of the per-head metrics.</summary>
    public static readonly (string Metric, double Bound)[] PublishedBounds = [("optimal_cosine", 0.32), ("linear_cka", 0.11), ("rbf_cka", 0.32)];

    /// <summary>Audit every head; parallel over heads, deterministic (head i uses rng.Split(i)).</summary>
    public static List<HeadMetrics> AuditHeads(IReadOnlyList<CapturedHead> heads, Rng rng, AuditOptions? options = null, IProgress<ProgressUpdate>? progress = null)
    {
        var res = new HeadMetrics[heads.Count];
        int done = 0;
        try
        {
            Parallel.For(0, heads.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            {
                res[i] = HeadAudit.Audit(heads[i], rng.Split((ulong)i), options);
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

    public static MetricSummary Summarise(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToList();
        if (v.Count == 0) throw new ArgumentException("No finite values to summarise.");
        return new MetricSummary(v.Max(), v.Min(), v.Average(), HeadAudit.Median(v));
    }

    public static AuditSummary Summarise(string model, string kind, IReadOnlyList<HeadMetrics> m, IEnumerable<string> notes)
    {
        if (m.Count == 0) throw new ArgumentException("No heads were audited.");
        var metrics = new Dictionary<string, MetricSummary>
        {
            ["mean_cosine"] = Summarise(m.Select(x => x.MeanCosine)),
            ["optimal_cosine"] = Summarise(m.Select(x => x.OptimalCosine)),
            ["linear_cka"] = Summarise(m.Select(x => x.LinearCka)),
            ["rbf_cka"] = Summarise(m.Select(x => x.RbfCka)),
            ["jproj_log10_phi_term"] = Summarise(m.Select(x => x.JProj.Log10PhiTerm)),
            ["jproj_log10_h_term"] = Summarise(m.Select(x => x.JProj.Log10HTerm)),
            ["jproj_log10_ratio"] = Summarise(m.Select(x => x.JProj.Log10Ratio)),
            ["gamma_residual_true"] = Summarise(m.Select(x => x.GammaTrue.Residual)),
            ["gamma_residual_learned"] = Summarise(m.Select(x => x.GammaLearned.Residual)),
            ["gamma_residual_control"] = Summarise(m.Select(x => x.GammaControl.Residual)),
            ["gamma_spread_true"] = Summarise(m.Select(x => x.GammaTrue.Spread)),
            ["gamma_spread_learned"] = Summarise(m.Select(x => x.GammaLearned.Spread)),
            ["gamma_spread_control"] = Summarise(m.Select(x => x.GammaControl.Spread)),
        };
        if (m.All(x => x.Null != null))
        {
            metrics["null_mean_cosine"] = Summarise(m.Select(x => x.Null!.MeanCosine));
            metrics["null_optimal_cosine"] = Summarise(m.Select(x => x.Null!.OptimalCosine));
            metrics["null_linear_cka"] = Summarise(m.Select(x => x.Null!.LinearCka));
            metrics["null_rbf_cka"] = Summarise(m.Select(x => x.Null!.RbfCka));
        }
        var errs = m.Where(x => x.ModelAttentionError.HasValue).Select(x => x.ModelAttentionError!.Value).ToList();
        if (errs.Count > 0) metrics["model_attention_max_abs_error"] = Summarise(errs);
        var cmp = PublishedBounds.Select(b => new BoundComparison(b.Metric, b.Bound, metrics[b.Metric].Max, metrics[b.Metric].Max <= b.Bound)).ToList();
        int ranks = m.Max(x => x.GramTopEigenvalues.Length);
        var perRank = new double[ranks];
        for (int r = 0; r < ranks; r++)
        {
            var vals = m.Where(x => x.GramTopEigenvalues.Length > r).Select(x => x.GramTopEigenvalues[r]).ToList();
            perRank[r] = vals.Average();
        }
        var all = Summarise(m.SelectMany(x => x.GramTopEigenvalues));
        Dictionary<string, double>? excess = null;
        if (m.All(x => x.Null != null))
            excess = new Dictionary<string, double>
            {
                ["mean_cosine"] = m.Average(x => x.MeanCosine - x.Null!.MeanCosine),
                ["optimal_cosine"] = m.Average(x => x.OptimalCosine - x.Null!.OptimalCosine),
                ["linear_cka"] = m.Average(x => x.LinearCka - x.Null!.LinearCka),
                ["rbf_cka"] = m.Average(x => x.RbfCka - x.Null!.RbfCka),
            };
        return new AuditSummary(model, kind, m.Count, m.Select(x => x.Layer).Distinct().Count(), m.Select(x => x.Input).Distinct().Count(),
            metrics, cmp, perRank, all, excess, [.. notes]);
    }
}
