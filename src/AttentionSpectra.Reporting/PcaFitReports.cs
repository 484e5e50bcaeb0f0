using System.Globalization;
using System.Text;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Reporting;

/// <summary>Writes a <c>pca fit</c> comparison with classical PCA: tables, figures, a docs table and the
/// exports.</summary>
public static class PcaFitReports
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes everything under the prefix "fit" (and "fit_gauss" for the surrogate) and returns the display
    /// table.</summary>
    /// <param name="r">Result on the data rows.</param>
    /// <param name="surrogate">Result on Gaussian tokens with the same covariance, or null.</param>
    /// <param name="dataName">Name of the data file (for titles).</param>
    /// <param name="sink">Output.</param>
    /// <param name="command">Command line (for the docs table).</param>
    public static ResultTable Write(DataFitResult r, DataFitResult? surrogate, string dataName, OutputSink sink,
        string command)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(sink);
        var o = r.Options;
        int k = o.Rank, d = r.Eigenvalues.Length;
        var shown = new ResultTable($"{dataName}: rank-{k} {o.Head} head vs PCA (n = {r.Rows}, d = {d}, " +
            $"top-{k} explained variance {r.ExplainedVariancePca:F3}, eigengap {r.RelativeEigengap:F3})",
            "tokens", "alignment (mean)", "sd", "min cos (worst seed)", "expl. var head", "expl. var PCA",
                "recon err head", "recon err PCA");
        foreach (var (res, prefix, label) in new[] { (r, "fit", "data rows"), (surrogate, "fit_gauss",
            "Gaussian, same Sigma") })
        {
            if (res is null) continue;
            var c = new ResultTable($"{prefix}_alignment", "step", "mean", "band_lo", "band_hi", "min");
            for (int i = 0; i < res.Alignment.Steps.Length; i++)
                c.Add(res.Alignment.Steps[i], res.Alignment.Mean[i], res.Alignment.Lo[i], res.Alignment.Hi[i],
                    res.Alignment.Min[i]);
            sink.WriteTable(c);
            var seeds = new ResultTable($"{prefix}_seeds", "seed", "subspace_alignment", "min_principal_cosine",
                "projector_distance",
                "explained_variance_head", "explained_variance_pca", "reconstruction_error_head",
                    "reconstruction_error_pca");
            foreach (var s in res.Runs)
                seeds.Add(s.Seed, s.Trace.Alignment[^1], s.PrincipalCosines.Min(), s.ProjectorDistance,
                    s.ExplainedVarianceHead,
                    res.ExplainedVariancePca, s.ReconstructionErrorHead, res.ReconstructionErrorPca);
            sink.WriteTable(seeds);
            var comp = new ResultTable($"{prefix}_components", "seed", "component", "lambda", "alignment",
                "principal_cosine");
            foreach (var s in res.Runs)
                for (int i = 0; i < k; i++) comp.Add(s.Seed, i + 1, r.Eigenvalues[i], s.ComponentAlignment[i],
                    s.PrincipalCosines[i]);
            sink.WriteTable(comp);
            var finals = res.Runs.Select(s => s.Trace.Alignment[^1]).ToArray();
            shown.Add(label, finals.Average(), SeedStatistics.Std(finals), res.Runs.Min(s => s.PrincipalCosines.Min()),
                res.Runs.Average(s => s.ExplainedVarianceHead), res.ExplainedVariancePca, res.Runs.Average(s
                    => s.ReconstructionErrorHead),
                res.ReconstructionErrorPca);
            WriteExports(res, sink, prefix);
        }
        var f = new Figure($"{dataName}: rank-{k} {o.Head} head, L={o.L}, lam={o.Lam:G3}, lr={o.Lr:G3}", "step",
            $"subspace alignment with the top-{k} PCs");
        var xs = r.Alignment.Steps.Select(s => (double)s).ToArray();
        f.LineWithBand(xs, r.Alignment.Mean, r.Alignment.Lo, r.Alignment.Hi, "data rows (mean +- 1 sd)");
        if (surrogate != null)
            f.LineWithBand(xs, surrogate.Alignment.Mean, surrogate.Alignment.Lo, surrogate.Alignment.Hi,
                "Gaussian, same covariance");
        f.Plot.Axes.SetLimitsY(0, 1.02);
        f.Save(sink, "fit_alignment");
        var fc = new Figure($"{dataName}: alignment per principal component (||P_M u_i||) and spectrum", "component i",
            "value");
        var idx = Enumerable.Range(1, k).Select(i => (double)i).ToArray();
        fc.Line(idx, Enumerable.Range(0, k).Select(i => r.Runs.Average(s => s.ComponentAlignment[i])).ToArray(),
            "alignment, data rows (mean over seeds)", markers: true);
        if (surrogate != null)
            fc.Line(idx, Enumerable.Range(0, k).Select(i => surrogate.Runs.Average(s
                => s.ComponentAlignment[i])).ToArray(),
                "alignment, Gaussian surrogate", markers: true);
        fc.Line(idx, r.Eigenvalues.Take(k).Select(v => v / r.Eigenvalues[0]).ToArray(), "lambda_i / lambda_1",
            markers: true);
        fc.Plot.Axes.SetLimitsY(0, 1.05);
        fc.Save(sink, "fit_components");
        sink.WriteJson("fit_summary", new
        {
            data = dataName,
            rows = r.Rows,
            dimension = d,
            options = o,
            eigenvalues = r.Eigenvalues.Take(Math.Min(20, d)),
            relative_eigengap_at_rank = r.RelativeEigengap,
            total_variance = r.TotalVariance,
            explained_variance_pca = r.ExplainedVariancePca,
            reconstruction_error_pca = r.ReconstructionErrorPca,
            runs = r.Runs.Select(s => new
            {
                s.Seed, alignment = s.Trace.Alignment[^1], s.PrincipalCosines, s.ComponentAlignment,
                    s.ProjectorDistance,
                s.ExplainedVarianceHead, s.ReconstructionErrorHead,
            }),
        });
        File.WriteAllText(sink.PathFor("fit_table.md"), Markdown(r, surrogate, dataName, command));
        sink.Record(sink.PathFor("fit_table.md"));
        return shown;
    }

    /// <summary>The docs table of a fit.</summary>
    /// <param name="r">Result on the data rows.</param>
    /// <param name="surrogate">Surrogate result or null.</param>
    /// <param name="dataName">Data name.</param>
    /// <param name="command">Command line.</param>
    public static string Markdown(DataFitResult r, DataFitResult? surrogate, string dataName, string command)
    {
        ArgumentNullException.ThrowIfNull(r);
        var o = r.Options;
        var sb = new StringBuilder();
        sb.Append(Inv,
            $"**pca fit** on {dataName} (n = {r.Rows}, d = {r.Eigenvalues.Length}, {o.Scaling}); rank {o.Rank}, " +
            $"{o.Head} head; top eigenvalues {TopEigenvalues(r)}; " +
            $"relative eigengap at k: {r.RelativeEigengap:F3}; `{command}`\n\n");
        sb.Append("| tokens | subspace alignment mean | sd | min principal cosine | " +
                  "explained variance (head / PCA) | " +
                  "alignment per component (mean over seeds) |\n|---|---|---|---|---|---|\n");
        foreach (var (res, label) in new[] { (r, "data rows"), (surrogate, "Gaussian, same covariance") })
        {
            if (res is null) continue;
            var finals = res.Runs.Select(s => s.Trace.Alignment[^1]).ToArray();
            var comp = Enumerable.Range(0, o.Rank).Select(i => res.Runs.Average(s
                => s.ComponentAlignment[i]).ToString("F4", Inv));
            sb.Append(Inv, $"| {label} | {finals.Average():F5} | {SeedStatistics.Std(finals):F5} | " +
                $"{res.Runs.Min(s => s.PrincipalCosines.Min()):F5} | {res.Runs.Average(s => s.ExplainedVarianceHead):F4} / " +
                $"{res.ExplainedVariancePca:F4} | {string.Join(", ", comp)} |\n");
        }
        return sb.ToString();
    }

    private static string TopEigenvalues(DataFitResult r) =>
        string.Join(", ", r.Eigenvalues.Take(Math.Min(5, r.Eigenvalues.Length)).Select(v => v.ToString("G4", Inv)));

    /// <summary>Exports a fit: the covariance and its eigenpairs once, each run's final and initial parameters, and a
    /// JSON index <c>{prefix}_exports.json</c> with each run's R_inf and its minimum.</summary>
    /// <param name="r">Result.</param>
    /// <param name="sink">Output.</param>
    /// <param name="prefix">File prefix.</param>
    public static string WriteExports(DataFitResult r, OutputSink sink, string prefix)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(sink);
        int d = r.Eigenvalues.Length, k = r.Options.Rank;
        string Save(string name, ReadOnlySpan<double> data, int[] shape) =>
            PcaFigureReports.SaveNpy(sink, $"{prefix}_{name}.npy", data, shape);
        string sigma = Save("sigma", r.Sigma.Data, [d, d]);
        string vals = Save("eigenvalues", r.Eigenvalues, [d]);
        string vecs = Save("eigenvectors", r.Eigenvectors.SelectMany(v => v).ToArray(), [d, d]);
        var runs = r.Runs.Select(s => new HeadExport(s.Seed, Save($"seed{s.Seed}_params", s.Trace.FinalParameters, [k,
            d]),
            Save($"seed{s.Seed}_init", s.InitialParameters, [k, d]), sigma, vals, vecs,
            ClosedForms.RInfRankK(r.Sigma, s.Trace.FinalParameters, k, r.Options.Lam), r.ReconstructionErrorPca,
            s.Trace.Alignment[^1])).ToList();
        return sink.WriteJson($"{prefix}_exports", new HeadExportIndex(prefix, r.Options.Head.ToString(), d, k,
            r.Options.L,
            r.Options.Lam, "R_inf = tr Sigma - 2 lam tr(Sigma G Sigma) + lam^2 tr(Sigma G Sigma G Sigma), G = M'M",
            "parameters are k x d (row j = mu_j); eigenvectors are rows in descending eigenvalue order; for the Gaussian " +
            "surrogate Sigma is the diagonal of eigenvalues (the eigenbasis the head was trained in)", runs));
    }
}
