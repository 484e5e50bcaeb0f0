using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;

namespace AttentionSpectra.Reporting;

/// <summary>Tables, summary JSON and figures of a Study C audit.</summary>
public static class AuditReports
{
    /// <summary>Per-head table.</summary>
    public static ResultTable Table(string name, IEnumerable<HeadMetrics> m)
    {
        var t = new ResultTable(name, "input", "layer", "head", "tokens", "head_dim", "mean_cos", "optimal_cos", "linear_cka", "rbf_cka",
            "jproj_log10_phi", "jproj_log10_h", "jproj_log10_ratio", "jproj", "gamma_res_true", "gamma_res_learned", "gamma_res_control",
            "gamma_spread_learned", "gamma_spread_control", "gram_top_eig", "attn_check_err",
            "null_mean_cos", "null_optimal_cos", "null_linear_cka", "null_rbf_cka");
        foreach (var x in m)
            t.Add(x.Input, x.Layer, x.Head, x.Tokens, x.HeadDim, x.MeanCosine, x.OptimalCosine, x.LinearCka, x.RbfCka,
                x.JProj.Log10PhiTerm, x.JProj.Log10HTerm, x.JProj.Log10Ratio, x.JProj.JProj, x.GammaTrue.Residual, x.GammaLearned.Residual,
                x.GammaControl.Residual, x.GammaLearned.Spread, x.GammaControl.Spread, x.GramTopEigenvalues.Length > 0 ? x.GramTopEigenvalues[0] : 0.0,
                x.ModelAttentionError, x.Null?.MeanCosine, x.Null?.OptimalCosine, x.Null?.LinearCka, x.Null?.RbfCka);
        return t;
    }

    /// <summary>Narrow per-head table for the console.</summary>
    public static ResultTable CompactTable(string name, IEnumerable<HeadMetrics> m)
    {
        var t = new ResultTable(name, "input", "L", "H", "N", "D", "mean cos", "opt cos", "lin CKA", "RBF CKA", "null lin/RBF", "log10 phi/h", "gamma res L/C");
        foreach (var x in m)
            t.Add(x.Input, x.Layer, x.Head, x.Tokens, x.HeadDim, R(x.MeanCosine), R(x.OptimalCosine), R(x.LinearCka), R(x.RbfCka),
                x.Null is { } nb ? $"{R(nb.LinearCka)}/{R(nb.RbfCka)}" : "-", $"{x.JProj.Log10PhiTerm:F2}/{x.JProj.Log10HTerm:F2}",
                $"{R(x.GammaLearned.Residual)}/{R(x.GammaControl.Residual)}");
        return t;
    }

    private static string R(double v) => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Write table, summary JSON and figures into <paramref name="sink"/>; returns the summary.</summary>
    public static AuditSummary Write(OutputSink sink, string prefix, string model, string kind, IReadOnlyList<HeadMetrics> m, IEnumerable<string> notes)
    {
        var summary = ModelAudit.Summarise(model, kind, m, notes);
        sink.WriteTable(Table(prefix + "-heads", m));
        sink.WriteJson(prefix + "-summary", summary);
        var eig = new ResultTable(prefix + "-gram-eigen", "rank", "mean_abs_eigenvalue");
        for (int r = 0; r < summary.GramEigenMeanPerRank.Length; r++) eig.Add(r + 1, summary.GramEigenMeanPerRank[r]);
        sink.WriteTable(eig);
        AuditPlots.MetricsPerHead(sink, prefix + "-metrics", model, m);
        AuditPlots.GramSpectrum(sink, prefix + "-gram-spectrum", model, summary.GramEigenMeanPerRank);
        AuditPlots.JProj(sink, prefix + "-jproj", model, m);
        return summary;
    }
}
