using AttentionSpectra.Studies.KernelPcaAudit;

namespace AttentionSpectra.Reporting;

/// <summary>Tables, summary JSON and figures of a Study C audit. Every table names the conventions it uses.</summary>
public static class AuditReports
{
    /// <summary>Per-head table.</summary>
    public static ResultTable Table(string name, IEnumerable<HeadAuditResult> m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var t = new ResultTable(name, "input", "layer", "head", "tokens", "head_dim", "value_dim", "kpca_cols",
            "cosine_signs", "mean_cos", "optimal_cos", "raw_mean_cos", "raw_optimal_cos", "linear_cka", "rbf_cka",
            "jproj_log10_phi", "jproj_log10_h", "jproj_log10_ratio", "jproj", "jproj_mean_abs_diff",
            "gamma_res_true", "gamma_res_learned", "gamma_res_control", "gamma_spread_learned", "gamma_spread_control",
            "gamma_pairwise_true", "gamma_pairwise_control", "gram_key_std", "gram_top_eig", "attn_check_err",
            "null_mean_cos", "null_optimal_cos", "null_linear_cka", "null_rbf_cka");
        foreach (var x in m)
            t.Add(x.Input, x.Layer, x.Head, x.Tokens, x.HeadDim, x.ValueDim, x.KpcaColumns,
                AuditConventions.Name(x.CosineSigns), x.MeanCosine, x.OptimalCosine, x.RawMeanCosine,
                x.RawOptimalCosine, x.LinearCka, x.RbfCka, x.JProj.Log10PhiTerm, x.JProj.Log10HTerm,
                x.JProj.Log10Ratio, x.JProj.JProj, x.JProj.MeanAbsDifference, x.GammaTrue.Residual,
                x.GammaLearned.Residual, x.GammaControl.Residual, x.GammaLearned.Spread, x.GammaControl.Spread,
                x.GammaPairwise?.True, x.GammaPairwise?.Control, AuditConventions.Name(x.KeyStandardisation),
                x.GramTopEigenvalues.Length > 0 ? x.GramTopEigenvalues[0] : 0.0, x.ModelAttentionError,
                x.Null?.MeanCosine, x.Null?.OptimalCosine, x.Null?.LinearCka, x.Null?.RbfCka);
        return t;
    }

    /// <summary>Narrow per-head table for the console.</summary>
    public static ResultTable CompactTable(string name, IEnumerable<HeadAuditResult> m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var t = new ResultTable(name, "input", "L", "H", "N", "D", "signs", "mean cos", "opt cos", "lin CKA",
            "RBF CKA", "null lin/RBF", "log10 phi/h", "gamma res L/C");
        foreach (var x in m)
            t.Add(x.Input, x.Layer, x.Head, x.Tokens, x.HeadDim, AuditConventions.Name(x.CosineSigns),
                R(x.MeanCosine), R(x.OptimalCosine), R(x.LinearCka), R(x.RbfCka),
                x.Null is { } nb ? $"{R(nb.LinearCka)}/{R(nb.RbfCka)}" : "-",
                $"{x.JProj.Log10PhiTerm:F2}/{x.JProj.Log10HTerm:F2}",
                $"{R(x.GammaLearned.Residual)}/{R(x.GammaControl.Residual)}");
        return t;
    }

    private static string R(double v) => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Every metric's max/mean/median (the cosine rows are named with their sign convention).</summary>
    public static ResultTable SummaryTable(string name, AuditSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var t = new ResultTable(name, "metric", "max", "min", "mean", "median");
        foreach (var (metric, m) in s.Metrics.Rows(s.Conventions.CosineSigns)) t.Add(metric, m.Max, m.Min, m.Mean, m.Median);
        return t;
    }

    /// <summary>The published model means against this model's mean (and, separately, its max).</summary>
    public static ResultTable BoundsTable(string name, AuditSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var t = new ResultTable(name, "metric", "published_mean", "observed_mean", "observed_max",
            "fraction_heads_above", "mean_within_published");
        foreach (var b in s.PublishedComparison)
            t.Add(b.Metric, b.PublishedMean, b.ObservedMean, b.ObservedMax, b.FractionOfHeadsAbove, b.MeanWithinPublished);
        return t;
    }

    /// <summary>Each similarity metric against its permutation null, with the rank-sum p-value.</summary>
    public static ResultTable NullTable(string name, AuditSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var t = new ResultTable(name, "metric", "cosine_signs", "permutations", "observed_mean", "null_mean",
            "mean_excess", "p_value");
        if (s.Null is not { } n) return t;
        string sn = AuditConventions.Name(s.Conventions.CosineSigns);
        foreach (var (metric, signs, c) in new[] { ("mean_cosine", sn, n.MeanCosine), ("optimal_cosine", sn, n.OptimalCosine),
                     ("linear_cka", "-", n.LinearCka), ("rbf_cka", "-", n.RbfCka) })
            t.Add(metric, signs, n.Permutations, c.ObservedMean, c.NullMean, c.MeanExcess, c.PValue);
        return t;
    }

    /// <summary>The cross-model table (one row per model and metric).</summary>
    public static ResultTable CrossModelTable(string name, IEnumerable<CrossModelRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var t = new ResultTable(name, "model", "metric", "cosine_signs", "head_inputs", "mean", "max",
            "published_mean", "fraction_heads_above", "null_mean", "excess_over_null", "p_value");
        foreach (var r in rows)
            t.Add(r.Model, r.Metric, r.CosineSigns, r.HeadInputs, r.Mean, r.Max, r.PublishedMean,
                r.FractionAbovePublished, r.NullMean, r.ExcessOverNull, r.PValue);
        return t;
    }

    /// <summary>Mean metrics of each synthetic control kind.</summary>
    public static ResultTable SyntheticRangeTable(string name, SyntheticExperimentResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var t = new ResultTable(name, "head_kind", "cosine_signs", "mean_cos", "optimal_cos", "linear_cka",
            "rbf_cka", "gamma_res_learned", "gamma_res_control", "jproj_log10_ratio");
        foreach (var k in r.Kinds)
        {
            var m = k.Summary.Metrics;
            t.Add(k.Description, AuditConventions.Name(r.Options.CosineSigns), m.MeanCosine.Mean, m.OptimalCosine.Mean,
                m.LinearCka.Mean, m.RbfCka.Mean, m.GammaResidualLearned.Mean, m.GammaResidualControl.Mean,
                m.JProjLog10Ratio.Mean);
        }
        return t;
    }

    /// <summary>Write per-head table, summary JSON, bounds/null/Gram tables and figures into
    /// <paramref name="sink"/>.</summary>
    /// <param name="sink">Output.</param>
    /// <param name="prefix">File prefix.</param>
    /// <param name="summary">Summary of the audit.</param>
    /// <param name="m">Per head-input results.</param>
    /// <param name="publishedMeans">Draw the published model means in the metrics figure (off for synthetic
    /// controls).</param>
    public static void Write(OutputSink sink, string prefix, AuditSummary summary, IReadOnlyList<HeadAuditResult> m,
        bool publishedMeans = true)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(m);
        sink.WriteTable(Table(prefix + "-heads", m));
        sink.WriteJson(prefix + "-summary", summary);
        sink.WriteTable(BoundsTable(prefix + "-published", summary));
        if (summary.Null != null) sink.WriteTable(NullTable(prefix + "-null", summary));
        var g = summary.GramEigen;
        var eig = new ResultTable(prefix + "-gram-eigen", "rank", "mean_abs_eigenvalue", "key_standardisation");
        for (int r = 0; r < g.MeanPerRank.Length; r++) eig.Add(r + 1, g.MeanPerRank[r], AuditConventions.Name(g.Standardisation));
        sink.WriteTable(eig);
        AuditPlots.MetricsPerHead(sink, prefix + "-metrics", summary.Model, m, publishedMeans);
        AuditPlots.GramSpectrum(sink, prefix + "-gram-spectrum", summary.Model, g);
        AuditPlots.JProj(sink, prefix + "-jproj", summary.Model, m);
    }

    /// <summary>Write the three synthetic kinds (files <c>synthetic-KIND-*</c>) and the range table, and add the
    /// controls' claims to the sink; returns the range table.</summary>
    public static ResultTable WriteSynthetic(OutputSink sink, SyntheticExperimentResult r)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(r);
        foreach (var k in r.Kinds) Write(sink, "synthetic-" + k.Kind, k.Summary, k.Heads, publishedMeans: false);
        var t = SyntheticRangeTable("synthetic-range", r);
        sink.WriteTable(t);
        sink.Claims.AddRange(ReproduceReport.SyntheticClaims(r));
        return t;
    }
}
