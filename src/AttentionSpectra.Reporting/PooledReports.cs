using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Reporting;

/// <summary>The three study outputs (spectrum, phase diagram, pooling comparison): tables, summary JSON and PNG
/// figures written to an <see cref="OutputSink"/>. Used by <c>attnspec rmt ...</c> and <c>attnspec
/// reproduce</c>.</summary>
public static class PooledReports
{
    private static object ModelInfo(ModelSummary m) => new
    {
        d = m.D, V = m.V, N = m.N, T = m.T, weights = m.Weights, corr = m.Corr, signal_profile = m.Profile,
        alpha = m.Alpha, kappa = m.Kappa, alpha_over_kappa = m.Alpha / m.Kappa, delta = m.Delta, gamma = m.Gamma,
    };

    private static string Subtitle(ModelSummary m) =>
        $"d={m.D}, V={m.V}, N={m.N}, T={m.T}, {m.Weights}, {m.Corr}"
            + (m.Profile == "flat" ? "" : $", profile {m.Profile}");

    /// <summary>Writes a spectrum draw: <c>spectrum-histogram</c>, <c>spectrum-eigenvalues</c>,
    /// <c>spectrum-summary.json</c> and <c>spectrum.png</c>.</summary>
    /// <param name="r">The result.</param>
    /// <param name="sink">Destination.</param>
    public static void Write(SpectrumResult r, OutputSink sink)
    {
        var bulk = r.Theory.Bulk;
        var h = r.Histogram;
        var ev = r.Eigenvalues;
        var pred = r.Prediction;
        int bins = h.Centers.Length;
        var table = new ResultTable("spectrum-histogram", "bin_center", "empirical_density", "theory_density");
        for (int b = 0; b < bins; b++) table.Add(h.Centers[b], h.Empirical[b], h.Theory[b]);
        sink.WriteTable(table);
        var evTable = new ResultTable("spectrum-eigenvalues", "index", "eigenvalue");
        for (int i = 0; i < ev.Length; i++) evTable.Add(i, ev[i]);
        sink.WriteTable(evTable);

        var m = r.Model;
        var fig = new Figure($"Pooled-model spectrum: {Subtitle(m)}, |μ|²={r.Snr:G3}", "eigenvalue of S", "density");
        // the figure shows the nonzero eigenvalues as a density of their own: rescale the table's bins (normalised by
        // all eigenvalues) and, for a like-for-like comparison, the theory curve by the same factor
        int nz = ev.Count(e => e > 1e-9 * h.Upper);
        double scale = ev.Length / (double)Math.Max(1, nz);
        fig.Bars(h.Centers, h.Empirical.Select(y => y * scale).ToArray(), h.BinWidth, "sample eigenvalues (nonzero)");
        int ng = 600;
        var xs = new double[ng]; var ys = new double[ng];
        for (int i = 0; i < ng; i++) { xs[i] = h.Upper * (i + 0.5) / ng; ys[i] = bulk.Density(xs[i]); }
        fig.Line(xs, ys.Select(y => y * scale).ToArray(), "theory κ(MP_δ ⊠ MP_γ)");
        fig.VerticalLine(bulk.UpperEdge, $"bulk edge λ+ = {bulk.UpperEdge:G4}");
        if (bulk.LowerEdge > 0) fig.VerticalLine(bulk.LowerEdge, $"lower edge λ- = {bulk.LowerEdge:G4}");
        if (pred.SampleOutlier) fig.VerticalLine(pred.SampleTop, $"predicted outlier {pred.SampleTop:G4}");
        fig.LegendOutside(ScottPlot.Edge.Bottom);
        fig.Save(sink, "spectrum");

        var th = r.Theory;
        sink.WriteJson("spectrum-summary", new
        {
            study = "B", command = "spectrum", model = ModelInfo(m), snr = r.Snr, rho = r.Rho,
            theory = new
            {
                lower_edge = bulk.LowerEdge, upper_edge = bulk.UpperEdge, atom_at_zero = bulk.AtomAtZero,
                population_threshold_rho = th.PopulationThreshold, sample_threshold_rho = th.SampleThreshold,
                sample_threshold_snr = r.Theory.SampleThreshold * m.Kappa / m.Alpha, prediction = pred,
            },
            empirical = new
            {
                min_eigenvalue = ev[0], top_eigenvalue = ev[^1],
                    second_eigenvalue = ev.Length > 1 ? ev[^2] : double.NaN,
                top_overlap = r.TopOverlap, fraction_zero = r.FractionZero,
                // exact Kolmogorov distance between the empirical CDF and the theory CDF (over all eigenvalues)
                kolmogorov = r.Kolmogorov,
            },
        });
    }

    /// <summary>Writes a phase diagram: the <c>phase</c> table, <c>phase-outlier.png</c>, <c>phase-overlap.png</c>
    /// and <c>phase-summary.json</c>.</summary>
    /// <param name="r">The result.</param>
    /// <param name="sink">Destination.</param>
    public static void Write(PhaseResult r, OutputSink sink)
    {
        var pts = r.Points;
        var table = new ResultTable("phase", "snr", "rho", "trials", "top_mean", "top_se", "second_mean", "second_se",
            "overlap_mean", "overlap_se",
            "theory_top", "theory_overlap", "theory_population_top", "theory_population_overlap", "sample_outlier");
        foreach (var p in pts)
            table.Add(p.Snr, p.Rho, p.Trials, p.TopMean, p.TopSe, p.SecondMean, p.SecondSe, p.OverlapMean, p.OverlapSe,
                p.Theory.SampleTop, p.Theory.SampleOverlap, p.Theory.PopulationTop, p.Theory.PopulationOverlap,
                    p.Theory.SampleOutlier);
        sink.WriteTable(table);

        var th = r.Theory;
        var m = r.Model;
        double snrMin = r.SnrMin, snrMax = r.SnrMax;
        int ng = 300;
        var gx = Enumerable.Range(0, ng).Select(i => snrMin + (snrMax - snrMin) * i / (ng - 1)).ToArray();
        var gp = gx.Select(s => th.Predict(m.Alpha * s / m.Kappa)).ToArray();
        double popSnr = r.PopulationThresholdSnr, sampSnr = r.SampleThresholdSnr;
        var snrs = pts.Select(p => p.Snr).ToArray();
        string sub = Subtitle(m);

        var f1 = new Figure($"Top eigenvalue vs signal strength ({sub})", "|μ|²", "top eigenvalue of S");
        f1.Line(gx, gp.Select(p => p.SampleTop).ToArray(), "theory: outlier / bulk edge");
        f1.Points(snrs, pts.Select(p => p.TopMean).ToArray(), pts.Select(p => p.TopSe).ToArray(),
            $"simulation (mean ± se, {r.Trials} trials)");
        f1.Line(gx, gx.Select(_ => th.BulkEdge).ToArray(), "bulk edge λ+");
        f1.VerticalLine(popSnr, $"population threshold |μ|² = {popSnr:G4}");
        f1.VerticalLine(sampSnr, $"sample threshold |μ|² = {sampSnr:G4}");
        f1.LegendOutside(ScottPlot.Edge.Bottom);
        f1.Save(sink, "phase-outlier");

        var f2 = new Figure($"Squared overlap with μ vs signal strength ({sub})", "|μ|²", "(v₁·μ/|μ|)²");
        f2.Line(gx, gp.Select(p => p.SampleOverlap).ToArray(), "theory η (sample)");
        f2.Line(gx, gp.Select(p => p.PopulationOverlap).ToArray(), "theory η₁ (population)");
        f2.Points(snrs, pts.Select(p => p.OverlapMean).ToArray(), pts.Select(p => p.OverlapSe).ToArray(),
            $"simulation (mean ± se, {r.Trials} trials)");
        f2.VerticalLine(popSnr, "population threshold");
        f2.VerticalLine(sampSnr, "sample threshold");
        f2.LegendOutside(ScottPlot.Edge.Bottom);
        f2.Save(sink, "phase-overlap");

        var a = r.Agreement;
        sink.WriteJson("phase-summary", new
        {
            study = "B", command = "phase", model = ModelInfo(m), snr_min = snrMin, snr_max = snrMax,
                points = pts.Length,
            trials = r.Trials,
            population_threshold_rho = th.PopulationThreshold, sample_threshold_rho = th.SampleThreshold,
            population_threshold_snr = popSnr, sample_threshold_snr = sampSnr, x_star = th.XStar,
                bulk_edge = th.BulkEdge,
            points_above_threshold = a.PointsAboveThreshold,
            max_abs_z_top = a.MaxAbsZTop, max_abs_z_overlap = a.MaxAbsZOverlap,
            max_rel_dev_top = a.MaxRelDevTop, max_abs_dev_overlap = a.MaxAbsDevOverlap,
        });
    }

    /// <summary>The pooling comparison as a table (one row per scheme).</summary>
    /// <param name="r">The result.</param>
    public static ResultTable PoolingTable(PoolingResult r)
    {
        var table = new ResultTable("pooling", "scheme", "T", "alpha", "kappa", "alpha_over_kappa", "rho",
            "threshold_snr",
            "theory_top", "theory_overlap", "sim_top_mean", "sim_top_se", "sim_overlap_mean", "sim_overlap_se");
        foreach (var s in r.Schemes)
        {
            var m = s.Model; var p = s.Simulation;
            table.Add(s.Label, m.T, m.Alpha, m.Kappa, m.Alpha / m.Kappa, s.Rho, s.ThresholdSnr,
                p.Theory.SampleTop, p.Theory.SampleOverlap, p.TopMean, p.TopSe, p.OverlapMean, p.OverlapSe);
        }
        return table;
    }

    /// <summary>Writes a pooling comparison: the <c>pooling</c> table, <c>pooling-overlap.png</c> (theory overlap
    /// curve per scheme, simulated point in the same colour) and <c>pooling-summary.json</c>.</summary>
    /// <param name="r">The result.</param>
    /// <param name="sink">Destination.</param>
    public static void Write(PoolingResult r, OutputSink sink)
    {
        var table = PoolingTable(r);
        sink.WriteTable(table);
        var spec = r.Spec;
        double snr = r.Snr;
        var schemes = r.Schemes;
        // figure: theory overlap curves vs |μ|² for each scheme, simulated points at the chosen |μ|²
        double snrMax = Math.Max(2 * snr, 1.5 * schemes.Max(s => s.ThresholdSnr));
        string profile = spec.ProfileLabel == "flat" ? "" : $", profile {spec.ProfileLabel}";
        var fig = new Figure(
            $"Pooling schemes: overlap vs |μ|² (d={spec.D}, V={spec.V}, N={spec.N}, {spec.Corr.Label}{profile})",
            "|μ|²", "(v₁·μ/|μ|)²");
        fig.LegendOutside(ScottPlot.Edge.Right);
        int ng = 300;
        var gx = Enumerable.Range(0, ng).Select(i => snrMax * i / (ng - 1)).ToArray();
        ScottPlot.Color[] palette = [ScottPlot.Colors.C0, ScottPlot.Colors.C1, ScottPlot.Colors.C2,
            ScottPlot.Colors.C3, ScottPlot.Colors.C4, ScottPlot.Colors.C5];
        for (int i = 0; i < schemes.Length; i++)
        {
            var model = schemes[i].Model;
            var th = model.Theory();
            var color = palette[i % palette.Length];
            var line = fig.Plot.Add.Scatter(gx, gx.Select(s => th.Predict(model.Rho(s)).SampleOverlap).ToArray(),
                color);
            line.LineWidth = 2; line.MarkerSize = 0;
            fig.Entry(new ScottPlot.LegendItem
            {
                LabelText = $"{schemes[i].Label} (α/κ = {schemes[i].AlphaOverKappa:G3})", LineColor = color,
                LineWidth = 2, MarkerShape = ScottPlot.MarkerShape.FilledCircle, MarkerFillColor = color,
                MarkerLineColor = color, MarkerSize = 8,
            });
            // simulated point in the same colour, slightly offset in x so overlapping error bars stay readable
            double x = snr * (1 + 0.01 * (i - (schemes.Length - 1) / 2.0));
            var sim = schemes[i].Simulation;
            var eb = fig.Plot.Add.ErrorBar(new[] { x }, new[] { sim.OverlapMean }, new[] { sim.OverlapSe });
            eb.Color = color;
            var pt = fig.Plot.Add.Scatter(new[] { x }, new[] { sim.OverlapMean }, color);
            pt.LineWidth = 0; pt.MarkerSize = 8; pt.MarkerShape = ScottPlot.MarkerShape.FilledCircle;
        }
        fig.VerticalLine(snr, $"simulated at |μ|² = {snr:G4}", ScottPlot.Colors.Black.WithAlpha(0.6));
        // schemes with the same α/κ have the same theory curve: say so, as only the last one drawn shows
        foreach (var same in schemes.GroupBy(s => Math.Round(s.AlphaOverKappa, 9)).Where(g => g.Count() > 1))
            fig.Note($"one theory line (same α/κ) for:\n  {string.Join(",\n  ", same.Select(s => s.Label))}");
        fig.Note($"lines: theory overlap η;\n●: simulation, mean ± se of {r.Trials} trials\n(x offset by ≤ 2% to " +
            "keep the bars apart)");
        fig.Save(sink, "pooling-overlap", 1000, 650);
        sink.WriteJson("pooling-summary", new
        {
            study = "B", command = "pooling", d = spec.D, V = spec.V, N = spec.N, T = spec.Length,
                corr = spec.Corr.Label,
            signal_profile = spec.ProfileLabel, snr, trials = r.Trials, best_scheme = r.Best.Label,
            schemes = table.ToRecords(),
        });
    }

    /// <summary>Writes a real-table spectrum: <c>table-spectrum-histogram</c> (bin centre, empirical density,
    /// exact-table and fitted-model theory), <c>table-spectrum-outliers</c>, <c>table-spectrum-eigenvalues</c>,
    /// <c>table-spectrum-summary.json</c> and <c>table-spectrum.png</c>.</summary>
    /// <param name="r">The result.</param>
    /// <param name="sink">Destination.</param>
    public static void Write(TableSpectrumResult r, OutputSink sink)
    {
        var h = r.Histogram;
        var table = new ResultTable("table-spectrum-histogram", "bin_center", "empirical_density",
            "exact_table_density",
            "fitted_model_density");
        for (int b = 0; b < h.Centers.Length; b++) table.Add(h.Centers[b], h.Empirical[b], h.Theory[b],
            r.FittedDensity[b]);
        sink.WriteTable(table);
        var outl = new ResultTable("table-spectrum-outliers", "rank", "eigenvalue", "predicted_from_fit");
        foreach (var o in r.Outliers) outl.Add(o.Rank, o.Eigenvalue, o.Predicted);
        sink.WriteTable(outl);
        var evTable = new ResultTable("table-spectrum-eigenvalues", "index", "eigenvalue");
        for (int i = 0; i < r.Eigenvalues.Length; i++) evTable.Add(i, r.Eigenvalues[i]);
        sink.WriteTable(evTable);

        var m = r.Model;
        var fig = new Figure($"Pooled spectrum, {r.TableName} table: d={m.D}, V={m.V}, N={m.N}, T={m.T}, {m.Weights}",
            "eigenvalue of S", "density");
        fig.Bars(h.Centers, h.Empirical, h.BinWidth, "sample eigenvalues");
        int ng = 800;
        var xs = Enumerable.Range(0, ng).Select(i => h.Upper * (i + 0.5) / ng).ToArray();
        fig.Line(xs, xs.Select(r.ExactLaw.Density).ToArray(),
            $"exact-table theory κ(MP_γ ⊠ ν), KS {r.KolmogorovExact:F3}");
        fig.Line(xs, xs.Select(r.FittedLaw.Density).ToArray(),
            $"fitted model (r = {r.Fit.Rank} spikes + σ²), KS {r.KolmogorovFitted:F3}");
        fig.VerticalLine(r.BulkEdge, $"fitted bulk edge λ+ = {r.BulkEdge:G4} ({r.Outliers.Length} eigenvalues above, " +
                                     $"largest {r.Eigenvalues[^1]:G3})");
        fig.LegendOutside(ScottPlot.Edge.Bottom);
        fig.Save(sink, "table-spectrum", 1000, 650);

        sink.WriteJson("table-spectrum-summary", new
        {
            study = "B", command = "spectrum", table = r.TableName, model = ModelInfo(m), snr = r.Snr, rho = r.Rho,
            fit = new
            {
                rank = r.Fit.Rank,
                    rank_rule = r.Fit.Automatic
                        ? "automatic: eigenvalues above sigma^2 (1 + sqrt(delta))^2, iterated" : "given",
                noise_level = r.Fit.NoiseLevel, spikes = r.Fit.Spikes,
                    table_top_eigenvalues = r.Fit.TableEigenvalues.Take(20).ToArray(),
            },
            theory = new
            {
                fitted_bulk_edge = r.BulkEdge, exact_upper_edge = r.ExactLaw.UpperEdge,
                    fitted_upper_edge = r.FittedLaw.UpperEdge,
                signal = r.Signal,
            },
            empirical = new
            {
                top_eigenvalue = r.Eigenvalues[^1], top_overlap = r.TopOverlap, outliers_above_edge = r.Outliers.Length,
                kolmogorov_exact_table = r.KolmogorovExact, kolmogorov_fitted_model = r.KolmogorovFitted,
            },
        });
    }

    /// <summary>Writes the Study B part of <c>reproduce</c> (spectrum, phase, pooling) to one sink.</summary>
    /// <param name="r">The results.</param>
    /// <param name="sink">Destination.</param>
    public static void Write(PooledReproduction r, OutputSink sink)
    {
        Write(r.Spectrum, sink);
        Write(r.Phase, sink);
        Write(r.Pooling, sink);
    }
}
