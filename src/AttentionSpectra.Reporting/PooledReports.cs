using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Reporting;

/// <summary>Weight family selection for the reports/CLI.</summary>
public enum WeightFamily { Mean, Optimal, Harmonic, Custom }

/// <summary>Model specification as given on the command line (validated when the model is built).</summary>
public sealed record PooledSpec(int D, int V, int N, int T, WeightFamily Weights, double Tau, string? CustomWeights, string Corr)
{
    public Matrix CorrelationMatrix()
    {
        int t = Weights == WeightFamily.Custom ? CustomWeightVector().Length : T;
        return Correlations.Parse(Corr, t);
    }

    public double[] CustomWeightVector() => PoolingWeights.Custom(CustomWeights ?? throw new ArgumentException("--weights custom needs --custom-weights LIST|FILE."));

    public double[] WeightVector(Matrix r) => Weights switch
    {
        WeightFamily.Mean => PoolingWeights.Mean(T),
        WeightFamily.Optimal => PoolingWeights.Optimal(r),
        WeightFamily.Harmonic => PoolingWeights.Harmonic(T, Tau),
        WeightFamily.Custom => CustomWeightVector(),
        _ => throw new ArgumentException($"Unknown weight family {Weights}."),
    };

    public PooledModel Build()
    {
        var r = CorrelationMatrix();
        return new PooledModel(D, V, N, WeightVector(r), r);
    }

    public string WeightLabel => Weights switch
    {
        WeightFamily.Harmonic => $"harmonic(tau={Tau:G3})",
        _ => Weights.ToString().ToLowerInvariant(),
    };
}

/// <summary>The three study outputs (spectrum, phase diagram, pooling comparison): tables, summary JSON and PNG
/// figures written to an <see cref="OutputSink"/>. Used by <c>attnspec rmt ...</c> and <c>attnspec reproduce</c>.</summary>
public static class PooledReports
{
    private static object ModelInfo(PooledSpec spec, PooledModel m) => new
    {
        d = m.D, V = m.V, N = m.N, T = m.T, weights = spec.WeightLabel, corr = spec.Corr,
        alpha = m.Alpha, kappa = m.Kappa, alpha_over_kappa = m.Alpha / m.Kappa, delta = m.Delta, gamma = m.Gamma,
    };

    /// <summary>One draw: histogram of the sample eigenvalues vs the density κ(MP_δ ⊠ MP_γ), edges and outlier.</summary>
    public static object Spectrum(PooledSpec spec, double snr, int bins, Rng rng, OutputSink sink, IProgress<ProgressUpdate>? progress = null)
    {
        if (bins < 5 || bins > 1000) throw new ArgumentException($"--bins must lie in [5, 1000], got {bins}.");
        var m = spec.Build();
        var th = m.Theory();
        var bulk = th.Bulk;
        progress.Report("rmt spectrum", 0, 2);
        var (ev, ov) = PooledSimulator.Spectrum(m, snr, rng);
        progress.Report("rmt spectrum", 1, 2);
        double rho = m.Rho(snr);
        var pred = th.Predict(rho);
        double hi = Math.Max(bulk.UpperEdge, ev[^1]) * 1.05;
        double lo = 0;
        // histogram vs theory (bins over [lo, hi]); the atom at 0 (rank deficiency) is reported separately
        var table = new ResultTable("spectrum-histogram", "bin_center", "empirical_density", "theory_density");
        double bw = (hi - lo) / bins;
        var counts = new double[bins];
        // numerical zeros (rank deficiency, the atom) are excluded from the histogram: both columns then integrate to
        // the continuous mass
        foreach (var e in ev) { if (e <= 1e-9 * hi) continue; int b = (int)Math.Floor((e - lo) / bw); if (b >= 0 && b < bins) counts[b]++; }
        for (int b = 0; b < bins; b++)
        {
            double c = lo + (b + 0.5) * bw;
            // average theory density over the bin (fine sub-grid) so it is comparable to the histogram
            double dens = 0; int sub = 20;
            for (int s = 0; s < sub; s++) dens += bulk.Density(lo + (b + (s + 0.5) / sub) * bw);
            table.Add(c, counts[b] / (ev.Length * bw), dens / sub);
        }
        sink.WriteTable(table);
        var evTable = new ResultTable("spectrum-eigenvalues", "index", "eigenvalue");
        for (int i = 0; i < ev.Length; i++) evTable.Add(i, ev[i]);
        sink.WriteTable(evTable);

        var fig = new Figure($"Pooled-model spectrum: d={m.D}, V={m.V}, N={m.N}, T={m.T}, {spec.WeightLabel}, {spec.Corr}, |μ|²={snr:G3}", "eigenvalue of S", "density");
        // the figure shows the nonzero eigenvalues as a density of their own: rescale the table's bins (normalised by
        // all eigenvalues) and, for a like-for-like comparison, the theory curve by the same factor
        int nz = ev.Count(e => e > 1e-9 * hi);
        double scale = ev.Length / (double)Math.Max(1, nz);
        var centers = new double[bins]; var heights = new double[bins];
        for (int b = 0; b < bins; b++) { centers[b] = lo + (b + 0.5) * bw; heights[b] = counts[b] / (ev.Length * bw) * scale; }
        fig.Bars(centers, heights, bw, "sample eigenvalues (nonzero)");
        int ng = 600;
        var xs = new double[ng]; var ys = new double[ng];
        for (int i = 0; i < ng; i++) { xs[i] = lo + (hi - lo) * (i + 0.5) / ng; ys[i] = bulk.Density(xs[i]); }
        fig.Line(xs, ys.Select(y => y * scale).ToArray(), "theory κ(MP_δ ⊠ MP_γ)");
        fig.VerticalLine(bulk.UpperEdge, $"bulk edge λ+ = {bulk.UpperEdge:G4}");
        if (bulk.LowerEdge > 0) fig.VerticalLine(bulk.LowerEdge, $"lower edge λ- = {bulk.LowerEdge:G4}");
        if (pred.SampleOutlier) fig.VerticalLine(pred.SampleTop, $"predicted outlier {pred.SampleTop:G4}");
        fig.Save(sink, "spectrum");
        progress.Report("rmt spectrum", 2, 2);

        var summary = new
        {
            study = "B", command = "spectrum", model = ModelInfo(spec, m), snr, rho,
            theory = new
            {
                lower_edge = bulk.LowerEdge, upper_edge = bulk.UpperEdge, atom_at_zero = bulk.AtomAtZero,
                population_threshold_rho = th.PopulationThreshold, sample_threshold_rho = th.SampleThreshold,
                sample_threshold_snr = m.SnrForRho(th.SampleThreshold), prediction = pred,
            },
            empirical = new
            {
                min_eigenvalue = ev[0], top_eigenvalue = ev[^1], second_eigenvalue = ev.Length > 1 ? ev[^2] : double.NaN,
                top_overlap = ov, fraction_zero = ev.Count(e => e <= 1e-9 * hi) / (double)ev.Length,
                // Kolmogorov distance between the empirical CDF and the theory CDF (at the histogram bin edges)
                kolmogorov = Kolmogorov(ev, bulk, lo, hi, bins),
            },
        };
        sink.WriteJson("spectrum-summary", summary);
        return summary;
    }

    private static double Kolmogorov(double[] ev, FreeProductMP bulk, double lo, double hi, int bins)
    {
        double worst = 0;
        for (int b = 1; b < bins; b++)
        {
            double x = lo + (hi - lo) * b / bins;
            double cdf = bulk.AtomAtZero + bulk.IntegrateDensity(y => y <= x ? 1 : 0, 4000);
            double emp = ev.Count(e => e <= x) / (double)ev.Length;
            worst = Math.Max(worst, Math.Abs(cdf - emp));
        }
        return worst;
    }

    /// <summary>Outlier location and overlap vs |μ|²: theory curves, simulation means ± standard errors, both
    /// thresholds marked. snrMax &lt;= 0 selects 3x the sample threshold.</summary>
    public static PhasePoint[] Phase(PooledSpec spec, double snrMin, double snrMax, int points, int trials, Rng rng, OutputSink sink,
        IProgress<ProgressUpdate>? progress = null)
    {
        if (points < 2 || points > 500) throw new ArgumentException($"--points must lie in [2, 500], got {points}.");
        if (trials < 2 || trials > 10000) throw new ArgumentException($"--trials must lie in [2, 10000], got {trials}.");
        if (!(snrMin >= 0) || !double.IsFinite(snrMin)) throw new ArgumentException($"--snr-min must be finite and >= 0, got {snrMin}.");
        var m = spec.Build();
        var th = m.Theory();
        if (snrMax <= 0) snrMax = Math.Max(3 * m.SnrForRho(th.SampleThreshold), snrMin * 1.5 + 1e-9);
        if (!(snrMax > snrMin) || !double.IsFinite(snrMax)) throw new ArgumentException($"--snr-max ({snrMax}) must be finite and larger than --snr-min ({snrMin}).");
        var snrs = Enumerable.Range(0, points).Select(i => snrMin + (snrMax - snrMin) * i / (points - 1)).ToArray();
        var pts = PooledSimulator.Phase(m, snrs, trials, rng, progress);

        var table = new ResultTable("phase", "snr", "rho", "trials", "top_mean", "top_se", "second_mean", "second_se", "overlap_mean", "overlap_se",
            "theory_top", "theory_overlap", "theory_population_top", "theory_population_overlap", "sample_outlier");
        foreach (var p in pts)
            table.Add(p.Snr, p.Rho, p.Trials, p.TopMean, p.TopSe, p.SecondMean, p.SecondSe, p.OverlapMean, p.OverlapSe,
                p.Theory.SampleTop, p.Theory.SampleOverlap, p.Theory.PopulationTop, p.Theory.PopulationOverlap, p.Theory.SampleOutlier);
        sink.WriteTable(table);

        int ng = 300;
        var gx = Enumerable.Range(0, ng).Select(i => snrMin + (snrMax - snrMin) * i / (ng - 1)).ToArray();
        var gp = gx.Select(s => th.Predict(m.Rho(s))).ToArray();
        double popSnr = m.SnrForRho(th.PopulationThreshold), sampSnr = m.SnrForRho(th.SampleThreshold);
        string sub = $"d={m.D}, V={m.V}, N={m.N}, T={m.T}, {spec.WeightLabel}, {spec.Corr}";

        var f1 = new Figure($"Top eigenvalue vs signal strength ({sub})", "|μ|²", "top eigenvalue of S");
        f1.Line(gx, gp.Select(p => p.SampleTop).ToArray(), "theory: outlier / bulk edge");
        f1.Points(snrs, pts.Select(p => p.TopMean).ToArray(), pts.Select(p => p.TopSe).ToArray(), $"simulation (mean ± se, {trials} trials)");
        f1.Line(gx, gx.Select(_ => th.BulkEdge).ToArray(), "bulk edge λ+");
        f1.VerticalLine(popSnr, $"population threshold |μ|² = {popSnr:G4}");
        f1.VerticalLine(sampSnr, $"sample threshold |μ|² = {sampSnr:G4}");
        f1.Save(sink, "phase-outlier");

        var f2 = new Figure($"Squared overlap with μ vs signal strength ({sub})", "|μ|²", "(v₁·μ/|μ|)²");
        f2.Line(gx, gp.Select(p => p.SampleOverlap).ToArray(), "theory η (sample)");
        f2.Line(gx, gp.Select(p => p.PopulationOverlap).ToArray(), "theory η₁ (population)");
        f2.Points(snrs, pts.Select(p => p.OverlapMean).ToArray(), pts.Select(p => p.OverlapSe).ToArray(), $"simulation (mean ± se, {trials} trials)");
        f2.VerticalLine(popSnr, "population threshold");
        f2.VerticalLine(sampSnr, "sample threshold");
        f2.Save(sink, "phase-overlap");

        // agreement summary above threshold (points with a clear outlier)
        var above = pts.Where(p => p.Theory.SampleOutlier && p.Rho > 1.2 * th.SampleThreshold).ToArray();
        sink.WriteJson("phase-summary", new
        {
            study = "B", command = "phase", model = ModelInfo(spec, m), snr_min = snrMin, snr_max = snrMax, points, trials,
            population_threshold_rho = th.PopulationThreshold, sample_threshold_rho = th.SampleThreshold,
            population_threshold_snr = popSnr, sample_threshold_snr = sampSnr, x_star = th.XStar, bulk_edge = th.BulkEdge,
            points_above_threshold = above.Length,
            max_abs_z_top = above.Select(p => Math.Abs(p.TopMean - p.Theory.SampleTop) / Math.Max(p.TopSe, 1e-300)).DefaultIfEmpty(0).Max(),
            max_abs_z_overlap = above.Select(p => Math.Abs(p.OverlapMean - p.Theory.SampleOverlap) / Math.Max(p.OverlapSe, 1e-300)).DefaultIfEmpty(0).Max(),
            max_rel_dev_top = above.Select(p => Math.Abs(p.TopMean / p.Theory.SampleTop - 1)).DefaultIfEmpty(0).Max(),
            max_abs_dev_overlap = above.Select(p => Math.Abs(p.OverlapMean - p.Theory.SampleOverlap)).DefaultIfEmpty(0).Max(),
        });
        return pts;
    }

    /// <summary>Compare pooling schemes (mean, optimal, harmonic τ = 0, harmonic τ, custom) at one |μ|²:
    /// α/κ, effective SNR, predicted threshold (in |μ|²), predicted and simulated overlap.</summary>
    public static ResultTable Pooling(PooledSpec spec, double snr, double tau, int trials, Rng rng, OutputSink sink, IProgress<ProgressUpdate>? progress = null)
    {
        if (trials < 2 || trials > 10000) throw new ArgumentException($"--trials must lie in [2, 10000], got {trials}.");
        if (!(snr >= 0) || !double.IsFinite(snr)) throw new ArgumentException($"--snr must be finite and >= 0, got {snr}.");
        var schemes = new List<PooledSpec>
        {
            spec with { Weights = WeightFamily.Mean },
            spec with { Weights = WeightFamily.Optimal },
            spec with { Weights = WeightFamily.Harmonic, Tau = 0 },
        };
        if (tau != 0) schemes.Add(spec with { Weights = WeightFamily.Harmonic, Tau = tau });
        if (spec.CustomWeights != null) schemes.Add(spec with { Weights = WeightFamily.Custom });
        var table = new ResultTable("pooling", "scheme", "T", "alpha", "kappa", "alpha_over_kappa", "rho", "threshold_snr",
            "theory_top", "theory_overlap", "sim_top_mean", "sim_top_se", "sim_overlap_mean", "sim_overlap_se");
        var models = schemes.Select(s => s.Build()).ToArray();
        var sims = new List<PhasePoint>();
        for (int i = 0; i < schemes.Count; i++)
        {
            var m = models[i];
            var th = m.Theory();
            var p = PooledSimulator.Phase(m, [snr], trials, rng.Split((ulong)i), progress, $"rmt pooling: {schemes[i].WeightLabel}")[0];
            sims.Add(p);
            table.Add(schemes[i].WeightLabel, m.T, m.Alpha, m.Kappa, m.Alpha / m.Kappa, m.Rho(snr), m.SnrForRho(th.SampleThreshold),
                p.Theory.SampleTop, p.Theory.SampleOverlap, p.TopMean, p.TopSe, p.OverlapMean, p.OverlapSe);
        }
        sink.WriteTable(table);

        // figure: theory overlap curves vs |μ|² for each scheme, simulated points at the chosen |μ|²
        double snrMax = Math.Max(2 * snr, 1.5 * models.Max(m => m.SnrForRho(m.Theory().SampleThreshold)));
        var fig = new Figure($"Pooling schemes: overlap vs |μ|² (d={spec.D}, V={spec.V}, N={spec.N}, {spec.Corr})", "|μ|²", "(v₁·μ/|μ|)²");
        int ng = 300;
        var gx = Enumerable.Range(0, ng).Select(i => snrMax * i / (ng - 1)).ToArray();
        ScottPlot.Color[] palette = [ScottPlot.Colors.C0, ScottPlot.Colors.C1, ScottPlot.Colors.C2, ScottPlot.Colors.C3, ScottPlot.Colors.C4, ScottPlot.Colors.C5];
        for (int i = 0; i < schemes.Count; i++)
        {
            var th = models[i].Theory();
            var color = palette[i % palette.Length];
            var line = fig.Plot.Add.Scatter(gx, gx.Select(s => th.Predict(models[i].Rho(s)).SampleOverlap).ToArray(), color);
            line.LineWidth = 2; line.MarkerSize = 0;
            line.LegendText = $"{schemes[i].WeightLabel}: theory (α/κ = {models[i].Alpha / models[i].Kappa:G3}), simulation ●";
            // simulated point in the same colour, slightly offset in x so overlapping error bars stay readable
            double x = snr * (1 + 0.01 * (i - (schemes.Count - 1) / 2.0));
            var eb = fig.Plot.Add.ErrorBar(new[] { x }, new[] { sims[i].OverlapMean }, new[] { sims[i].OverlapSe });
            eb.Color = color;
            var pt = fig.Plot.Add.Scatter(new[] { x }, new[] { sims[i].OverlapMean }, color);
            pt.LineWidth = 0; pt.MarkerSize = 8;
        }
        fig.VerticalLine(snr, $"|μ|² = {snr:G4}");
        fig.Save(sink, "pooling-overlap", 1000, 650);
        sink.WriteJson("pooling-summary", new
        {
            study = "B", command = "pooling", d = spec.D, V = spec.V, N = spec.N, T = spec.T, corr = spec.Corr, snr, trials,
            best_scheme = schemes[Enumerable.Range(0, schemes.Count).MaxBy(i => models[i].Alpha / models[i].Kappa)].WeightLabel,
            schemes = table.ToRecords(),
        });
        return table;
    }
}
