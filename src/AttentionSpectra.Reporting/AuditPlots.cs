using AttentionSpectra.Studies.KernelPcaAudit;

namespace AttentionSpectra.Reporting;

/// <summary>Figures of the kernel-PCA audit.</summary>
public static class AuditPlots
{
    /// <summary>Metric per audited head (x = flattened layer/head index, averaged over inputs) with the published bounds.</summary>
    public static string MetricsPerHead(OutputSink sink, string name, string model, IReadOnlyList<HeadAuditResult> m)
    {
        var groups = m.GroupBy(x => (x.Layer, x.Head)).OrderBy(g => g.Key.Layer).ThenBy(g => g.Key.Head).ToList();
        var xs = Enumerable.Range(0, groups.Count).Select(i => (double)i).ToArray();
        double[] Avg(Func<HeadAuditResult, double> f) => groups.Select(g => g.Average(f)).ToArray();
        var fig = new Figure($"Kernel-PCA audit: {model}", "head (layer-major index)", "similarity of V to V_KPCA");
        string signs = m.Count > 0 ? AuditConventions.Name(m[0].CosineSigns) : "raw";
        fig.Line(xs, Avg(x => x.MeanCosine), $"mean cosine ({signs} signs)", markers: true);
        fig.Line(xs, Avg(x => x.OptimalCosine), $"optimal cosine ({signs} signs)", markers: true);
        fig.Line(xs, Avg(x => x.LinearCka), "linear CKA", markers: true);
        fig.Line(xs, Avg(x => x.RbfCka), "RBF CKA", markers: true);
        if (groups.All(g => g.All(x => x.Null != null)))
        {
            foreach (var (label, f, col) in new (string, Func<HeadAuditResult, double>, ScottPlot.Color)[]
                     { ("permutation null: optimal cosine", x => x.Null!.OptimalCosine, ScottPlot.Colors.C1),
                       ("permutation null: linear CKA", x => x.Null!.LinearCka, ScottPlot.Colors.C2),
                       ("permutation null: RBF CKA", x => x.Null!.RbfCka, ScottPlot.Colors.C3) })
            {
                var sc = fig.Plot.Add.Scatter(xs, groups.Select(g => g.Average(f)).ToArray(), col.WithAlpha(0.6));
                sc.LinePattern = ScottPlot.LinePattern.Dotted; sc.MarkerSize = 0; sc.LineWidth = 1.5f; sc.LegendText = label;
            }
        }
        fig.HorizontalLine(0.32, "published model mean (opt. cos raw, RBF CKA) 0.32");
        fig.HorizontalLine(0.11, "published model mean (linear CKA) 0.11");
        // layer boundaries
        for (int i = 1; i < groups.Count; i++)
            if (groups[i].Key.Layer != groups[i - 1].Key.Layer)
            {
                var v = fig.Plot.Add.VerticalLine(i - 0.5);
                v.Color = ScottPlot.Colors.Gray; v.LineWidth = 1;
            }
        fig.Plot.Axes.SetLimitsY(Math.Min(-0.05, groups.Min(g => g.Average(x => x.MeanCosine)) - 0.05), 1.9);
        fig.Plot.Legend.Alignment = ScottPlot.Alignment.UpperRight;
        IntegerTicks(fig);
        return fig.Save(sink, name, 1000, 650);
    }

    /// <summary>Mean |eigenvalue| of K_c per rank (log scale on y).</summary>
    public static string GramSpectrum(OutputSink sink, string name, string model, GramEigenStatistics g)
    {
        ArgumentNullException.ThrowIfNull(g);
        var perRank = g.MeanPerRank;
        var xs = Enumerable.Range(1, perRank.Length).Select(i => (double)i).ToArray();
        var ys = perRank.Select(v => Math.Log10(Math.Max(v, 1e-300))).ToArray();
        var fig = new Figure($"Gram eigen-spectrum (keys standardised {AuditConventions.Name(g.Standardisation)}): {model}", "rank", "log10 mean |eigenvalue of K_c|");
        fig.Line(xs, ys, "mean over heads/layers", markers: true);
        IntegerTicks(fig);
        return fig.Save(sink, name);
    }

    /// <summary>The two J_proj terms per head (log10).</summary>
    public static string JProj(OutputSink sink, string name, string model, IReadOnlyList<HeadAuditResult> m)
    {
        var groups = m.GroupBy(x => (x.Layer, x.Head)).OrderBy(g => g.Key.Layer).ThenBy(g => g.Key.Head).ToList();
        var xs = Enumerable.Range(0, groups.Count).Select(i => (double)i).ToArray();
        var fig = new Figure($"J_proj terms: {model}", "head (layer-major index)", "log10 of mean term");
        fig.Line(xs, groups.Select(g => g.Average(x => x.JProj.Log10PhiTerm)).ToArray(), "mean |phi(q)|^2", markers: true);
        fig.Line(xs, groups.Select(g => g.Average(x => x.JProj.Log10HTerm)).ToArray(), "mean |h|^2", markers: true);
        IntegerTicks(fig);
        return fig.Save(sink, name);
    }

    private static void IntegerTicks(Figure fig) =>
        fig.Plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
}
