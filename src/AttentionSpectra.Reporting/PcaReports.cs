using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Reporting;

/// <summary>Writes tables, summary JSON and PNG figures of study A runs into an <see cref="OutputSink"/> and returns
/// a short summary table for display.</summary>
public static class PcaReports
{
    private static double[] X(int[] steps) => steps.Select(s => (double)s).ToArray();

    private static void CurveTable(OutputSink sink, string name, BandSeries b)
    {
        var t = new ResultTable(name, "step", "mean", "band_lo", "band_hi", "min");
        for (int i = 0; i < b.Steps.Length; i++) t.Add(b.Steps[i], b.Mean[i], b.Lo[i], b.Hi[i], b.Min[i]);
        sink.WriteTable(t);
    }

    private static void CurveFigure(OutputSink sink, string name, string title, string ylabel, BandSeries b, IEnumerable<double[]> perSeed, string label,
        BandKind band = BandKind.Sd)
    {
        var f = new Figure(title, "step", ylabel);
        var xs = X(b.Steps);
        f.LineWithBand(xs, b.Mean, b.Lo, b.Hi, $"{label} ({PcaFigureReports.BandLabel(band)})");
        foreach (var ys in perSeed)
        {
            var s = f.Plot.Add.Scatter(xs, ys, ScottPlot.Colors.Gray.WithAlpha(0.45));
            s.MarkerSize = 0; s.LineWidth = 1;
        }
        f.HorizontalLine(0.99, "0.99");
        f.Plot.Axes.SetLimitsY(0, 1.02);
        f.Plot.Legend.Alignment = ScottPlot.Alignment.LowerRight;
        f.Save(sink, name);
    }

    /// <summary>Writes a training run (alignment curve, per-seed table, summary, figure) under
    /// <paramref name="prefix"/>; returns the table to display.</summary>
    public static ResultTable WriteTrain(PcaTrainResult r, OutputSink sink, string prefix = "train")
    {
        var o = r.Options;
        CurveTable(sink, $"{prefix}_alignment", r.Alignment);
        var seeds = new ResultTable($"{prefix}_seeds", "seed", "lambda1", "lambda2", "final_alignment", "norm_sq", "target_norm_sq",
            "final_risk", "optimal_risk", "final_loss");
        foreach (var s in r.Runs)
            seeds.Add(s.Seed, s.Eigenvalues[0], s.Eigenvalues.Length > 1 ? s.Eigenvalues[1] : double.NaN, s.Trace.Alignment[^1],
                s.FinalNormSquared, s.TargetNormSquared, s.FinalRisk, s.OptimalRisk, s.Trace.Loss[^1]);
        sink.WriteTable(seeds);
        string metric = o.Rank == 1 ? "|cos(mu_t, u_1)|" : $"subspace alignment (rank {o.Rank})";
        CurveFigure(sink, $"{prefix}_alignment", $"{o.Head} head{(o.Rank > 1 ? $" (rank {o.Rank})" : "")}, d={o.D}, L={o.L}, lam={o.Lam:G3}, lr={o.Lr:G3}, {o.Seeds} seeds",
            metric, r.Alignment, r.Runs.Select(x => x.Trace.Alignment), o.Head.ToString().ToLowerInvariant(), o.Band);
        var summary = new
        {
            study = "A: attention as PCA",
            options = o,
            init = o.EffectiveInit.Describe(),
            final_alignment_mean = r.FinalMean,
            final_alignment_sd = r.FinalStd,
            final_alignment_min = r.FinalMin,
            risk = o.Head is TrainHead.Linear or TrainHead.LinearExact && o.Rank == 1 ? "R_lin,L (exact finite-L linear risk); optimum and target norm along u_1"
                : "R_inf (infinite-prompt risk); optimum sum_{i>k} lambda_i, target ||M||^2 = sum_{i<=k} 1/(lam lambda_i)",
            mean_norm_sq_over_target = r.Runs.Average(x => x.FinalNormSquared / x.TargetNormSquared),
            mean_excess_risk = r.Runs.Average(x => x.FinalRisk - x.OptimalRisk),
        };
        sink.WriteJson($"{prefix}_summary", summary);
        var t = new ResultTable($"{o.Head} head: final alignment", "seeds", "steps", "mean", "sd", "min", "|M|^2 / target", o.Head is TrainHead.Linear or TrainHead.LinearExact && o.Rank == 1 ? "R_lin,L - min" : "R_inf - min");
        t.Add(o.Seeds, o.Steps, r.FinalMean, r.FinalStd, r.FinalMin, summary.mean_norm_sq_over_target, summary.mean_excess_risk);
        return t;
    }

    /// <summary>Writes a sweep over <paramref name="over"/> (table, summary, figure of 1 - alignment); returns the
    /// table to display.</summary>
    public static ResultTable WriteSweep(IReadOnlyList<PcaExperiments.SweepPoint> pts, string over, OutputSink sink, string prefix = "sweep")
    {
        var t = new ResultTable($"{prefix}_{over}", over, "mean_alignment", "sd", "min", "max", "mean_excess_risk", "lam", "lr", "steps", "seeds");
        foreach (var p in pts)
            t.Add(p.Value, p.MeanAlignment, p.StdAlignment, p.MinAlignment, p.MaxAlignment, p.MeanExcessRisk, p.Options.Lam, p.Options.Lr, p.Options.Steps, p.Options.Seeds);
        sink.WriteTable(t);
        var o = pts[0].Options;
        GapFigure(sink, $"{prefix}_{over}", $"Final alignment vs {over} ({o.Head} head, {o.Steps} steps, {o.Seeds} seeds)",
            over, "|cos(mu, u_1)|", [.. pts.Select(p => new GapPoint(p.Value, p.MeanAlignment, p.MinAlignment,
                p.MaxAlignment, p.Finals))], o.Seeds);
        sink.WriteJson($"{prefix}_{over}_summary", new { over, points = pts.Select(p => new { value = p.Value, mean = p.MeanAlignment, sd = p.StdAlignment, min = p.MinAlignment, p.Options }) });
        return t;
    }

    /// <summary>One sweep point: the swept value, the mean, min and max final alignment over seeds and (when kept)
    /// every seed's final alignment.</summary>
    private sealed record GapPoint(double X, double Mean, double Min, double Max, double[]? Finals);

    /// <summary>Smallest 1 - alignment shown: a gap at rounding level is drawn at this floor.</summary>
    private const double GapFloor = 1e-16;

    private static double LogGap(double alignment) => Math.Log10(Math.Max(1 - alignment, GapFloor));

    /// <summary>A sweep's final alignments as 1 - alignment on a log axis (near 1 the alignments differ only in
    /// their gap to 1): mean with min-max bars over seeds and every seed as a small grey point.</summary>
    private static void GapFigure(OutputSink sink, string name, string title, string over, string metric,
        IReadOnlyList<GapPoint> pts, int seeds)
    {
        var f = new Figure(title, over, $"1 - final {metric} (log scale)");
        var xs = pts.Select(p => p.X).ToArray();
        var mean = pts.Select(p => LogGap(p.Mean)).ToArray();
        f.Line(xs, mean, $"1 - mean over {seeds} seeds (bars: min to max over seeds)", markers: true);
        var bars = f.Plot.Add.ErrorBar(xs, mean, pts.Select((p, i) => mean[i] - LogGap(p.Max)).ToArray());
        bars.YErrorPositive = [.. pts.Select((p, i) => LogGap(p.Min) - mean[i])];
        bars.Color = ScottPlot.Colors.C0;
        bars.LineWidth = 1.5f;
        var single = pts.Where(p => p.Finals != null).SelectMany(p => p.Finals!.Select(a => (p.X, Y: LogGap(a))))
            .ToArray();
        if (single.Length > 0)
        {
            var sc = f.Plot.Add.Scatter(single.Select(q => q.X).ToArray(), single.Select(q => q.Y).ToArray(),
                ScottPlot.Colors.Black.WithAlpha(0.55));
            sc.LineWidth = 0; sc.MarkerSize = 5; sc.LegendText = "single seeds"; sc.MarkerShape = ScottPlot.MarkerShape.OpenDiamond;
        }
        if (pts.Any(p => 1 - p.Max < GapFloor)) f.Note($"gaps below {GapFloor:G1} drawn at {GapFloor:G1}");
        f.Log10YAxis();
        f.LegendOutside(ScottPlot.Edge.Bottom);
        f.Save(sink, name);
    }

    /// <summary>Writes the critical points and the angle and radial risk profiles of a landscape at score scale
    /// <paramref name="lam"/>; returns the critical-point table.</summary>
    public static ResultTable WriteLandscape(PcaExperiments.Landscape l, double lam, OutputSink sink)
    {
        var t = new ResultTable("landscape_critical_points", "point", "eigen_index", "norm_sq", "R_inf", "grad_norm", "hessian_min", "hessian_max",
            "negative_directions", "classification");
        foreach (var c in l.Points)
            t.Add(c.Name, c.EigenIndex, c.Mu.Sum(x => x * x), c.Risk, c.GradientNorm, c.HessianEigenvalues.Min(), c.HessianEigenvalues.Max(),
                c.NegativeDirections, c.Kind.ToString());
        sink.WriteTable(t);
        var path = new ResultTable("landscape_angle", "angle_deg", "R_star");
        for (int i = 0; i < l.Angles.Length; i++) path.Add(l.Angles[i], l.AngleRisk[i]);
        sink.WriteTable(path);
        var rad = new ResultTable("landscape_radial", "s", "R_inf_along_u1", "R_inf_along_u2");
        for (int i = 0; i < l.Radii.Length; i++) rad.Add(l.Radii[i], l.RadialRisk[i], l.RadialRiskU2[i]);
        sink.WriteTable(rad);
        double tr = l.Eigenvalues.Sum();
        var f1 = new Figure("R_inf at the optimal norm along the great circle u_1 -> u_2",
            "angle θ of w = cos θ u_1 + sin θ u_2 from u_1 (degrees)", "min_s R_inf(s w)");
        f1.Line(l.Angles, l.AngleRisk, "min_s R_inf(s w) = t - w'Σ²w / w'Σw");
        f1.HorizontalLine(tr - l.Eigenvalues[0], "t - λ_1 (global minimum, at u_1)");
        f1.HorizontalLine(tr - l.Eigenvalues[1], "t - λ_2 (saddle, at u_2)");
        f1.Note($"t = tr Σ = {tr:G4}; λ_1 = {l.Eigenvalues[0]:G4}, λ_2 = {l.Eigenvalues[1]:G4}");
        f1.LegendOutside(ScottPlot.Edge.Bottom);
        f1.Save(sink, "landscape_angle");
        RadialFigure(l, lam, tr, sink);
        sink.WriteJson("landscape_summary", new
        {
            eigenvalues = l.Eigenvalues,
            trace = tr,
            lam,
            points = l.Points.Select(c => new { c.Name, c.EigenIndex, c.Risk, c.GradientNorm, c.HessianEigenvalues, kind = c.Kind.ToString() }),
        });
        var s = new ResultTable("critical points of R_inf", "point", "R_inf", "#neg Hessian eig", "class");
        foreach (var c in l.Points) s.Add(c.Name, c.Risk, c.NegativeDirections, c.Kind.ToString());
        return s;
    }

    /// <summary>R_inf along s u_1 and s u_2, with the y range zoomed to the minima (along u_1 the risk grows like
    /// s^4 and would flatten them); how far the u_1 branch climbs is stated in the legend.</summary>
    private static void RadialFigure(PcaExperiments.Landscape l, double lam, double tr, OutputSink sink)
    {
        var f2 = new Figure($"Radial profile of R_inf (lam = {lam:G3})", "s", "R_inf(s u_i)");
        f2.Line(l.Radii, l.RadialRisk, "along u_1");
        f2.Line(l.Radii, l.RadialRiskU2, "along u_2");
        double s1 = 1 / Math.Sqrt(lam * l.Eigenvalues[0]), s2 = 1 / Math.Sqrt(lam * l.Eigenvalues[1]);
        f2.VerticalLine(s1, $"s = 1/sqrt(lam λ_1) = {s1:G3} (minimum along u_1, R = t - λ_1)", ScottPlot.Colors.C0);
        if (s2 <= l.Radii[^1])
            f2.VerticalLine(s2, $"s = 1/sqrt(lam λ_2) = {s2:G3} (minimum along u_2, R = t - λ_2)",
                ScottPlot.Colors.C1);
        double lo = Math.Min(l.RadialRisk.Min(), l.RadialRiskU2.Min());
        double hi = Math.Max(tr, l.RadialRiskU2.Max()), pad = 0.08 * (hi - lo);
        hi = Math.Min(hi, tr + 0.6 * (tr - lo));
        f2.Plot.Axes.SetLimits(l.Radii[0], l.Radii[^1], lo - pad, hi + pad);
        int top = Array.IndexOf(l.RadialRisk, l.RadialRisk.Max());
        if (l.RadialRisk[top] > hi + pad)
            f2.Note($"y range zoomed to the minima (t = tr Σ = {tr:G4}); along u_1, R_inf rises to " +
                $"{l.RadialRisk[top]:G4} at s = {l.Radii[top]:G3}");
        f2.LegendOutside(ScottPlot.Edge.Bottom);
        f2.Save(sink, "landscape_radial");
    }

    /// <summary>Writes an in-context training run under <paramref name="prefix"/>; returns the table to display.</summary>
    public static ResultTable WriteIcl(IclResult r, OutputSink sink, string prefix = "icl_train")
    {
        var o = r.Options;
        CurveTable(sink, $"{prefix}_alignment", r.Alignment);
        var seeds = new ResultTable($"{prefix}_seeds", "seed", "final_alignment", "alpha_sq", "optimal_alpha_sq", "R_icl_inf", "optimal_R_icl_inf", "final_loss");
        foreach (var s in r.Runs)
            seeds.Add(s.Seed, s.Trace.Alignment[^1], s.FinalAlphaSquared, s.OptimalAlphaSquared, s.FinalRisk, s.OptimalRisk, s.Trace.Loss[^1]);
        sink.WriteTable(seeds);
        CurveFigure(sink, $"{prefix}_alignment", $"ICL: {o.Head} head, d={o.D}, n={o.N}, xi={o.Xi:G3}, theta={o.Theta:G3}, L={o.L}, lam={o.Lam:G3}",
            "|cos(mu_t, v)|", r.Alignment, r.Runs.Select(x => x.Trace.Alignment), o.Head.ToString().ToLowerInvariant(), o.Band);
        double sd = PcaTrainResult.Std(r.Runs.Select(x => x.Trace.Alignment[^1]).ToArray());
        sink.WriteJson($"{prefix}_summary", new
        {
            study = "A: in-context PCA",
            options = o,
            final_alignment_mean = r.FinalMean,
            final_alignment_sd = sd,
            final_alignment_min = r.FinalMin,
            mean_alpha_sq = r.Runs.Average(x => x.FinalAlphaSquared),
            optimal_alpha_sq = r.Runs[0].OptimalAlphaSquared,
        });
        var t = new ResultTable($"ICL ({o.Head} head): final alignment with v", "seeds", "steps", "mean", "sd", "min", "mean al^2", "al*^2");
        t.Add(o.Seeds, o.Steps, r.FinalMean, sd, r.FinalMin, r.Runs.Average(x => x.FinalAlphaSquared), r.Runs[0].OptimalAlphaSquared);
        return t;
    }

    /// <summary>Writes an in-context sweep over <paramref name="over"/>; returns the table to display.</summary>
    public static ResultTable WriteIclSweep(IReadOnlyList<IclExperiments.IclSweepPoint> pts, string over, IclOptions o, OutputSink sink,
        string prefix = "icl_sweep")
    {
        var t = new ResultTable($"{prefix}_{over}", over, "mean_alignment", "sd", "min", "max", "mean_alpha_sq", "optimal_alpha_sq");
        foreach (var p in pts) t.Add(p.Value, p.MeanAlignment, p.StdAlignment, p.MinAlignment, p.MaxAlignment, p.MeanAlphaSquared, p.OptimalAlphaSquared);
        sink.WriteTable(t);
        GapFigure(sink, $"{prefix}_{over}", $"ICL: final |cos(mu, v)| vs {over} ({o.Head} head, {o.Steps} steps, " +
            $"{o.Seeds} seeds)", over, "|cos(mu, v)|", [.. pts.Select(p => new GapPoint(p.Value, p.MeanAlignment,
                p.MinAlignment, p.MaxAlignment, p.Finals))], o.Seeds);
        sink.WriteJson($"{prefix}_{over}_summary", new { over, options = o, points = pts });
        return t;
    }

    /// <summary>Writes the digits comparison (and its Gaussian surrogate when run); returns the table to display.</summary>
    public static ResultTable WriteDigits(DigitsResult r, DigitsResult? surrogate, OutputSink sink)
    {
        var o = r.Options;
        var t = new ResultTable($"Digits: rank-{o.Rank} {o.Head} head vs PCA (top-{o.Rank} explained variance {r.ExplainedVariancePca:F3})",
            "tokens", "alignment (mean)", "min cos (worst seed)", "expl. var head", "expl. var PCA", "recon err head", "recon err PCA");
        foreach (var (res, prefix, label) in new[] { (r, "digits", "digits rows"), (surrogate, "digits_gauss", "Gaussian, same Sigma") })
        {
            if (res is null) continue;
            CurveTable(sink, $"{prefix}_alignment", res.Alignment);
            var seeds = new ResultTable($"{prefix}_seeds", "seed", "subspace_alignment", "min_principal_cosine", "projector_distance",
                "explained_variance_head", "explained_variance_pca", "reconstruction_error_head", "reconstruction_error_pca");
            foreach (var s in res.Runs)
                seeds.Add(s.Seed, s.Trace.Alignment[^1], s.PrincipalCosines.Min(), s.ProjectorDistance, s.ExplainedVarianceHead, res.ExplainedVariancePca,
                    s.ReconstructionErrorHead, res.ReconstructionErrorPca);
            sink.WriteTable(seeds);
            var cos = new ResultTable($"{prefix}_principal_cosines", ["seed", .. Enumerable.Range(1, o.Rank).Select(i => $"cos_{i}")]);
            foreach (var s in res.Runs) cos.Add([s.Seed, .. s.PrincipalCosines.Cast<object?>()]);
            sink.WriteTable(cos);
            t.Add(label, res.Alignment.Mean[^1], res.Runs.Min(s => s.PrincipalCosines.Min()), res.Runs.Average(s => s.ExplainedVarianceHead),
                res.ExplainedVariancePca, res.Runs.Average(s => s.ReconstructionErrorHead), res.ReconstructionErrorPca);
        }
        var f = new Figure($"Digits (standardised, d=64): rank-{o.Rank} {o.Head} head, L={o.L}, lam={o.Lam:G3}, lr={o.Lr:G3}",
            "step", $"subspace alignment with top-{o.Rank} PCs");
        f.LineWithBand(X(r.Alignment.Steps), r.Alignment.Mean, r.Alignment.Lo, r.Alignment.Hi, "digits rows (mean +- 1 sd)");
        if (surrogate != null)
            f.LineWithBand(X(surrogate.Alignment.Steps), surrogate.Alignment.Mean, surrogate.Alignment.Lo, surrogate.Alignment.Hi, "Gaussian with the digits covariance");
        f.Plot.Axes.SetLimitsY(0, 1.02);
        f.LegendOutside(ScottPlot.Edge.Bottom);
        f.Save(sink, "digits_alignment");
        var fs = new Figure("Standardised digits: covariance spectrum", "index i", "lambda_i");
        fs.Line(Enumerable.Range(1, r.Eigenvalues.Length).Select(i => (double)i).ToArray(), r.Eigenvalues, "eigenvalues", markers: true);
        fs.VerticalLine(o.Rank + 0.5, $"k = {o.Rank}");
        fs.LegendOutside(ScottPlot.Edge.Right);
        fs.Save(sink, "digits_spectrum");
        object Sum(DigitsResult x) => new
        {
            alignment_mean = x.Alignment.Mean[^1],
            runs = x.Runs.Select(s => new { s.Seed, alignment = s.Trace.Alignment[^1], s.PrincipalCosines, s.ProjectorDistance, s.ExplainedVarianceHead, s.ReconstructionErrorHead }),
        };
        sink.WriteJson("digits_summary", new
        {
            dataset = "8x8 digits (UCI, CC BY 4.0; scikit-learn copy, BSD-3-Clause), 1797 x 64, column-standardised",
            options = o,
            total_variance = r.TotalVariance,
            top_eigenvalues = r.Eigenvalues.Take(Math.Min(10, r.Eigenvalues.Length)),
            explained_variance_pca = r.ExplainedVariancePca,
            reconstruction_error_pca = r.ReconstructionErrorPca,
            digits = Sum(r),
            gaussian_surrogate = surrogate is null ? null : Sum(surrogate),
        });
        return t;
    }
}
