using AttentionSpectra.Studies.KernelPcaAudit;

namespace AttentionSpectra.Reporting;

/// <summary>Figures of the kernel-PCA audit.</summary>
public static class AuditPlots
{
    /// <summary>Below this spread (max - min over heads of the difference of two series) two series are drawn as
    /// one line, and the legend says so.</summary>
    private const double Coincide = 1e-3;

    /// <summary>Metric per audited head (x = flattened layer/head index, averaged over inputs), with the permutation
    /// nulls and, for real models, the published model means.</summary>
    /// <param name="sink">Output.</param>
    /// <param name="name">File name without extension.</param>
    /// <param name="model">Model name (title).</param>
    /// <param name="m">Per head-input results.</param>
    /// <param name="publishedMeans">Draw the published model means (off for synthetic controls, which the
    /// published figures do not describe).</param>
    public static string MetricsPerHead(OutputSink sink, string name, string model, IReadOnlyList<HeadAuditResult> m,
        bool publishedMeans = true)
    {
        var groups = Groups(m);
        var xs = Enumerable.Range(0, groups.Count).Select(i => (double)i).ToArray();
        double[] Avg(Func<HeadAuditResult, double> f) => groups.Select(g => g.Average(f)).ToArray();
        var fig = new Figure($"Kernel-PCA audit: {model}", "head (layer-major index)", "similarity of V to V_KPCA");
        string signs = m.Count > 0 ? AuditConventions.Name(m[0].CosineSigns) : "raw";
        // distinct line patterns and open marker shapes, each drawn smaller and thinner than the one before, so
        // lines that coincide (e.g. every metric at 1 for V = V_KPCA) stay distinguishable
        var series = new (string Label, double[] Ys, ScottPlot.LinePattern Pattern, ScottPlot.MarkerShape Marker)[]
        {
            ($"mean cosine ({signs} signs)", Avg(x => x.MeanCosine), ScottPlot.LinePattern.Solid,
                ScottPlot.MarkerShape.OpenTriangleUp),
            ($"optimal cosine ({signs} signs)", Avg(x => x.OptimalCosine), ScottPlot.LinePattern.Dashed,
                ScottPlot.MarkerShape.OpenSquare),
            ("linear CKA", Avg(x => x.LinearCka), ScottPlot.LinePattern.DenselyDashed,
                ScottPlot.MarkerShape.OpenCircle),
            ("RBF CKA", Avg(x => x.RbfCka), ScottPlot.LinePattern.Dotted, ScottPlot.MarkerShape.FilledCircle),
        };
        for (int i = 0; i < series.Length; i++)
        {
            var (label, ys, pattern, marker) = series[i];
            var sc = fig.Plot.Add.Scatter(xs, ys, Figure.PaletteColor(i));
            sc.LineWidth = 3.5f - 0.6f * i; sc.LinePattern = pattern; sc.MarkerShape = marker;
            sc.MarkerSize = 17 - 4 * i; sc.MarkerLineWidth = 1.5f; sc.LegendText = label;
        }
        var lines = series.Select(x => (x.Label, x.Ys)).ToList();
        if (groups.All(g => g.All(x => x.Null != null)))
        {
            foreach (var (label, f, i) in new (string, Func<HeadAuditResult, double>, int)[]
                     { ("permutation null: optimal cosine", x => x.Null!.OptimalCosine, 1),
                       ("permutation null: linear CKA", x => x.Null!.LinearCka, 2),
                       ("permutation null: RBF CKA", x => x.Null!.RbfCka, 3) })
            {
                var sc = fig.Plot.Add.Scatter(xs, Avg(f), Figure.PaletteColor(i).WithAlpha(0.6));
                sc.LinePattern = ScottPlot.LinePattern.Dotted; sc.MarkerSize = 0; sc.LineWidth = 1.5f;
                sc.LegendText = label;
                lines.Add((label, sc.Data.GetScatterPoints().Select(c => c.Y).ToArray()));
            }
        }
        CoincidenceNote(fig, xs.Length, lines);
        if (publishedMeans)
        {
            fig.HorizontalLine(0.32, "published model mean (opt. cos raw, RBF CKA) 0.32", ScottPlot.Colors.C4);
            fig.HorizontalLine(0.11, "published model mean (linear CKA) 0.11", ScottPlot.Colors.C5);
        }
        LayerBoundaries(fig, groups);
        // every metric is at most 1; the floor follows the lowest mean cosine (which can be negative)
        double lo = xs.Length == 0 ? 0 : series.Min(s => s.Ys.Min());
        fig.Plot.Axes.SetLimitsY(Math.Min(-0.05, lo - 0.05), 1.08);
        IntegerTicks(fig);
        fig.LegendOutside(ScottPlot.Edge.Right);
        return fig.Save(sink, name, 1150, 650);
    }

    /// <summary>Names the groups of lines that coincide (equal within <see cref="Coincide"/> at every head), which
    /// would otherwise hide each other.</summary>
    private static void CoincidenceNote(Figure fig, int n, List<(string Label, double[] Ys)> lines)
    {
        var done = new bool[lines.Count];
        var groups = new List<string>();
        for (int i = 0; i < lines.Count; i++)
        {
            if (done[i] || n == 0) continue;
            var group = new List<string> { lines[i].Label };
            for (int j = i + 1; j < lines.Count; j++)
                if (!done[j] && Enumerable.Range(0, n).All(k => Math.Abs(lines[i].Ys[k] - lines[j].Ys[k]) < Coincide))
                {
                    done[j] = true;
                    group.Add(lines[j].Label);
                }
            if (group.Count > 1) groups.Add(string.Join(" =\n    ", group));
        }
        if (groups.Count > 0)
            fig.Note($"equal within {Coincide:G1} at every head (lines on top\nof each other, told apart by pattern " +
                $"and marker):\n  {string.Join(";\n  ", groups)}");
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

    /// <summary>Heads whose log10 phi-term lies more than this above the median head are named in the J_proj
    /// figure.</summary>
    private const double OutlierDecades = 2;

    /// <summary>The two J_proj terms per head (mean over tokens; line: geometric mean over inputs, band: min to
    /// max over inputs); heads whose phi-term stands far above the rest are named, with the reason.</summary>
    public static string JProj(OutputSink sink, string name, string model, IReadOnlyList<HeadAuditResult> m)
    {
        var groups = Groups(m);
        var xs = Enumerable.Range(0, groups.Count).Select(i => (double)i).ToArray();
        var fig = new Figure($"J_proj terms: {model}", "head (layer-major index)", "mean term over tokens");
        int inputs = groups.Count == 0 ? 0 : groups.Max(g => g.Count());
        string over = inputs > 1 ? $" (line: geometric mean over {inputs} inputs, band: min to max)" : "";
        double[] Of(Func<HeadAuditResult, double> f, Func<IEnumerable<double>, double> agg) =>
            groups.Select(g => agg(g.Select(f))).ToArray();
        foreach (var (label, f) in new (string, Func<HeadAuditResult, double>)[]
                 { ("mean |phi(q)|^2", x => x.JProj.Log10PhiTerm), ("mean |h|^2", x => x.JProj.Log10HTerm) })
            if (inputs > 1) fig.LineWithBand(xs, Of(f, v => v.Average()), Of(f, v => v.Min()), Of(f, v => v.Max()),
                label + over);
            else fig.Line(xs, Of(f, v => v.Average()), label, markers: true);
        var phi = Of(x => x.JProj.Log10PhiTerm, v => v.Average());
        double median = phi.Length == 0 ? 0 : phi.Order().ElementAt(phi.Length / 2);
        var outliers = Enumerable.Range(0, phi.Length).Where(i => phi[i] > median + OutlierDecades).ToArray();
        if (outliers.Length > 0)
            fig.Note(string.Join("; ", outliers.Select(i =>
                    $"layer {groups[i].Key.Layer} head {groups[i].Key.Head} (x = {i}): phi-term 10^{phi[i]:F1}")) +
                $",\nmore than {OutlierDecades:G} decades above the median head: |phi(q)|² = exp(|q|²/√D) / " +
                "(Σ_j exp(q·k_j/√D))²\ngrows exponentially with |q|², so a few queries of large norm carry the mean");
        LayerBoundaries(fig, groups);
        fig.Log10YAxis();
        IntegerTicks(fig);
        fig.LegendOutside(ScottPlot.Edge.Bottom);
        return fig.Save(sink, name, 900, 650);
    }

    private static List<IGrouping<(int Layer, int Head), HeadAuditResult>> Groups(IReadOnlyList<HeadAuditResult> m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return [.. m.GroupBy(x => (x.Layer, x.Head)).OrderBy(g => g.Key.Layer).ThenBy(g => g.Key.Head)];
    }

    /// <summary>Grey vertical lines between layers; the first one carries the legend entry.</summary>
    private static void LayerBoundaries(Figure fig, List<IGrouping<(int Layer, int Head), HeadAuditResult>> groups)
    {
        bool labelled = false;
        for (int i = 1; i < groups.Count; i++)
            if (groups[i].Key.Layer != groups[i - 1].Key.Layer)
            {
                var v = fig.Plot.Add.VerticalLine(i - 0.5);
                v.Color = ScottPlot.Colors.Gray; v.LineWidth = 1;
                if (!labelled) v.LegendText = "boundary between layers";
                labelled = true;
            }
    }

    private static void IntegerTicks(Figure fig) =>
        fig.Plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
}
