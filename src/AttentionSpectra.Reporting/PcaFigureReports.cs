using System.Globalization;
using System.Text;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Reporting;

/// <summary>Writers of Study A's paper figures, of its reproduce run and of the trained heads' exports.</summary>
public static class PcaFigureReports
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Label of a band kind in figures and tables.</summary>
    /// <param name="band">Band kind.</param>
    public static string BandLabel(BandKind band) => band == BandKind.Sd ? "mean +- 1 sd" : "mean, 95% bootstrap CI";

    /// <summary>Writes a PCA figure (tables, PNG, summary, docs table, exports) and returns the display
    /// table.</summary>
    /// <param name="r">Result.</param>
    /// <param name="sink">Output.</param>
    /// <param name="command">The command line that produced it (written into the docs table).</param>
    public static ResultTable WriteFigure(PcaFigureResult r, OutputSink sink, string command)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(sink);
        var p = r.Preset;
        ResultTable shown;
        if (p.Kind == FigureKind.Sweep)
        {
            var over = p.Sweep!.Over == SweepVariable.L ? "L" : "d";
            shown = PcaReports.WriteSweep(r.Sweep!, over, sink, p.Name);
        }
        else
        {
            shown = PcaReports.WriteTrain(r.Train!, sink, p.Kind == FigureKind.Compare ? $"{p.Name}_gd" : p.Name);
            WriteExports(r.Train!, sink, p.Kind == FigureKind.Compare ? $"{p.Name}_gd" : p.Name);
            if (p.Kind == FigureKind.Compare)
            {
                var sgd = PcaReports.WriteTrain(r.Sgd!, sink, $"{p.Name}_sgd");
                WriteExports(r.Sgd!, sink, $"{p.Name}_sgd");
                foreach (var row in sgd.Rows) shown.Rows.Add(row);
                Overlay(sink, p.Name, $"{p.PaperFigure}: GD on R_inf vs SGD on the finite-prompt head",
                    "|cos(mu_t, u_1)|",
                    (r.Train!.Alignment, "GD, closed-form risk", r.Train.Options.Band),
                    (r.Sgd!.Alignment, "SGD, finite prompts", r.Sgd.Options.Band));
            }
        }
        File.WriteAllText(sink.PathFor($"{p.Name}_table.md"), Markdown(r, command));
        sink.Record(sink.PathFor($"{p.Name}_table.md"));
        return shown;
    }

    /// <summary>Writes an ICL figure and returns the display table.</summary>
    /// <param name="r">Result.</param>
    /// <param name="sink">Output.</param>
    /// <param name="command">The command line that produced it.</param>
    public static ResultTable WriteFigure(IclFigureResult r, OutputSink sink, string command)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(sink);
        var p = r.Preset;
        ResultTable shown;
        if (p.Kind == FigureKind.Sweep)
        {
            string over = p.Sweep!.Over switch
            {
                SweepVariable.L => "L", SweepVariable.D => "d", SweepVariable.N => "n", _ => "theta",
            };
            shown = PcaReports.WriteIclSweep(r.Sweep!, over, p.Options, sink, p.Name);
        }
        else
        {
            shown = PcaReports.WriteIcl(r.Train!, sink, p.Kind == FigureKind.Compare ? $"{p.Name}_gd" : p.Name);
            WriteExports(r.Train!, sink, p.Kind == FigureKind.Compare ? $"{p.Name}_gd" : p.Name);
            if (p.Kind == FigureKind.Compare)
            {
                foreach (var row in PcaReports.WriteIcl(r.Sgd!, sink, $"{p.Name}_sgd").Rows) shown.Rows.Add(row);
                WriteExports(r.Sgd!, sink, $"{p.Name}_sgd");
                Overlay(sink, p.Name, $"{p.PaperFigure}: GD on R_ICL_inf vs SGD on finite prompts", "|cos(mu_t, v)|",
                    (r.Train!.Alignment, "GD, closed-form risk", r.Train.Options.Band),
                    (r.Sgd!.Alignment, "SGD, finite prompts", r.Sgd.Options.Band));
            }
        }
        File.WriteAllText(sink.PathFor($"{p.Name}_table.md"), Markdown(r, command));
        sink.Record(sink.PathFor($"{p.Name}_table.md"));
        return shown;
    }

    private static void Overlay(OutputSink sink, string name, string title, string ylabel,
        params (BandSeries Band, string Label, BandKind Kind)[] curves)
    {
        var f = new Figure(title, "step", ylabel);
        foreach (var (b, label, kind) in curves)
            f.LineWithBand(b.Steps.Select(s => (double)s).ToArray(), b.Mean, b.Lo, b.Hi,
                $"{label} ({BandLabel(kind)})");
        f.Plot.Axes.SetLimitsY(0, 1.02);
        f.Plot.Legend.Alignment = ScottPlot.Alignment.LowerRight;
        f.Save(sink, $"{name}_overlay");
    }

    private static string F(double x) => x.ToString("F5", Inv);

    private static string Header(string name, string paper, string caption, ulong seed, string command) =>
        $"**{name}** ({paper}: {caption}); seed {seed}; `{command}`\n\n";

    /// <summary>The docs table of a PCA figure: one row per run (train, compare) or per grid value (sweep).</summary>
    /// <param name="r">Result.</param>
    /// <param name="command">The command line that produced it.</param>
    public static string Markdown(PcaFigureResult r, string command)
    {
        ArgumentNullException.ThrowIfNull(r);
        var p = r.Preset;
        var sb = new StringBuilder(Header(p.Name, p.PaperFigure, p.Caption, r.Seed, command));
        if (p.Kind == FigureKind.Sweep)
        {
            string over = p.Sweep!.Over == SweepVariable.L ? "L" : "d";
            var band = p.Options.Band;
            sb.Append($"| {over} | mean | sd | min | {BandLabel(band)} | (lambda_1 - lambda_2)/lambda_1 | " +
                "lam | lr |\n");
            sb.Append("|---|---|---|---|---|---|---|---|\n");
            foreach (var q in r.Sweep!)
                sb.Append(Inv, $"| {q.Value} | {F(q.MeanAlignment)} | {F(q.StdAlignment)} | {F(q.MinAlignment)} | " +
                    $"[{F(q.BandLo)}, {F(q.BandHi)}] | {q.MeanRelativeEigengap:F3} | {q.Options.Lam:G4} | " +
                    $"{q.Options.Lr:G4} |\n");
            return sb.ToString();
        }
        sb.Append("| run | head | init | seeds | steps | final alignment mean | sd | min | band at the end | " +
            "(lambda_1 - lambda_2)/lambda_1 | \\|M\\|^2 / target |\n");
        sb.Append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        void Row(string label, PcaTrainResult t)
        {
            var o = t.Options;
            double gap = t.Runs.Average(x
                => x.Eigenvalues.Length > 1 ? (x.Eigenvalues[0] - x.Eigenvalues[1]) / x.Eigenvalues[0] : 1);
            sb.Append(Inv,
                $"| {label} | {o.Head} | {o.EffectiveInit.Describe()} | {o.Seeds} | {o.Steps} | {F(t.FinalMean)} | " +
                $"{F(t.FinalStd)} | {F(t.FinalMin)} | [{F(t.Alignment.Lo[^1])}, {F(t.Alignment.Hi[^1])}] | " +
                $"{gap:F3} | " +
                $"{t.Runs.Average(x => x.FinalNormSquared / x.TargetNormSquared):F4} |\n");
        }
        Row(p.Kind == FigureKind.Compare ? "GD" : p.Name, r.Train!);
        if (r.Sgd is not null) Row("SGD", r.Sgd);
        return sb.ToString();
    }

    /// <summary>The docs table of a training run: one row per seed with its spectrum and eigengap, then the
    /// spread.</summary>
    /// <param name="r">Result.</param>
    /// <param name="command">The command line that produced it.</param>
    public static string Markdown(PcaTrainResult r, string command)
    {
        ArgumentNullException.ThrowIfNull(r);
        var o = r.Options;
        var sb = new StringBuilder();
        sb.Append(Inv,
            $"**pca train** ({o.Head}, d = {o.D}, L = {o.L}, lam = {o.Lam:G4}, lr = {o.Lr:G4}, {o.Steps} steps, " +
            $"batch {o.Batch}, rank {o.Rank}, {o.EffectiveInit.Describe()}, Sigma {o.SigmaPolicy}); `{command}`\n\n");
        sb.Append("| seed | lambda_1 | lambda_2 | (lambda_1 - lambda_2)/lambda_1 | final alignment | " +
            "\\|M\\|^2 / target | excess risk |\n");
        sb.Append("|---|---|---|---|---|---|---|\n");
        foreach (var s in r.Runs)
        {
            double l2 = s.Eigenvalues.Length > 1 ? s.Eigenvalues[1] : double.NaN;
            sb.Append(Inv,
                $"| {s.Seed} | {s.Eigenvalues[0]:F3} | {l2:F3} | {(s.Eigenvalues[0] - l2) / s.Eigenvalues[0]:F3} | " +
                $"{F(s.Trace.Alignment[^1])} | {s.FinalNormSquared / s.TargetNormSquared:F4} | " +
                $"{s.FinalRisk - s.OptimalRisk:G3} |\n");
        }
        sb.Append(Inv, $"| mean / sd / min | | | | {F(r.FinalMean)} / {F(r.FinalStd)} / {F(r.FinalMin)} | | |\n");
        return sb.ToString();
    }

    /// <summary>Writes <see cref="Markdown(PcaTrainResult, string)"/> to <c>{prefix}_table.md</c>.</summary>
    /// <param name="r">Result.</param>
    /// <param name="sink">Output.</param>
    /// <param name="prefix">File prefix.</param>
    /// <param name="command">The command line that produced it.</param>
    public static string WriteTrainTable(PcaTrainResult r, OutputSink sink, string prefix, string command)
    {
        ArgumentNullException.ThrowIfNull(sink);
        string path = sink.PathFor($"{prefix}_table.md");
        File.WriteAllText(path, Markdown(r, command));
        return sink.Record(path);
    }

    /// <summary>The docs table of an ICL figure.</summary>
    /// <param name="r">Result.</param>
    /// <param name="command">The command line that produced it.</param>
    public static string Markdown(IclFigureResult r, string command)
    {
        ArgumentNullException.ThrowIfNull(r);
        var p = r.Preset;
        var sb = new StringBuilder(Header(p.Name, p.PaperFigure, p.Caption, r.Seed, command));
        if (p.Kind == FigureKind.Sweep)
        {
            string over = p.Sweep!.Over switch
            {
                SweepVariable.L => "L", SweepVariable.D => "d", SweepVariable.N => "n", _ => "theta",
            };
            sb.Append($"| {over} | mean | sd | min | {BandLabel(p.Options.Band)} | mean (mu.v)^2 | al*^2 |\n");
            sb.Append("|---|---|---|---|---|---|---|\n");
            foreach (var q in r.Sweep!)
                sb.Append(Inv, $"| {q.Value} | {F(q.MeanAlignment)} | {F(q.StdAlignment)} | {F(q.MinAlignment)} | " +
                    $"[{F(q.BandLo)}, {F(q.BandHi)}] | {q.MeanAlphaSquared:G5} | {q.OptimalAlphaSquared:G5} |\n");
            return sb.ToString();
        }
        sb.Append("| run | head | init | seeds | steps | final alignment mean | sd | min | band at the end | " +
            "mean (mu.v)^2 | al*^2 |\n");
        sb.Append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        void Row(string label, IclResult t)
        {
            var o = t.Options;
            double sd = SeedStatistics.Std(t.Runs.Select(x => x.Trace.Alignment[^1]).ToArray());
            sb.Append(Inv,
                $"| {label} | {o.Head} | {o.EffectiveInit.Describe()} | {o.Seeds} | {o.Steps} | {F(t.FinalMean)} | " +
                $"{F(sd)} | {F(t.FinalMin)} | [{F(t.Alignment.Lo[^1])}, {F(t.Alignment.Hi[^1])}] | " +
                $"{t.Runs.Average(x => x.FinalAlphaSquared):G5} | {t.Runs[0].OptimalAlphaSquared:G5} |\n");
        }
        Row(p.Kind == FigureKind.Compare ? "GD" : p.Name, r.Train!);
        if (r.Sgd is not null) Row("SGD", r.Sgd);
        return sb.ToString();
    }

    /// <summary>Exports every run of a trained head as .npy (parameters k x d, mu_0, Sigma d x d, its eigenvalues
    /// (descending) and eigenvectors (rows, same order)) with a JSON index <c>{prefix}_exports.json</c> that states
    /// the options and each run's final risk, so the risks can be recomputed from the files.</summary>
    /// <param name="r">Result.</param>
    /// <param name="sink">Output.</param>
    /// <param name="prefix">File prefix.</param>
    public static string WriteExports(PcaTrainResult r, OutputSink sink, string prefix)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(sink);
        var o = r.Options;
        var entries = new List<HeadExport>();
        foreach (var s in r.Runs)
        {
            string Save(string what, ReadOnlySpan<double> data, int[] shape) =>
                SaveNpy(sink, $"{prefix}_seed{s.Seed}_{what}.npy", data, shape);
            int d = o.D;
            var vecs = new double[d * d];
            if (s.Eigenvectors is { } ev)
                for (int i = 0; i < ev.Length; i++) ev[i].CopyTo(vecs, i * d);
            entries.Add(new HeadExport(s.Seed,
                Save("params", s.Trace.FinalParameters, [o.Rank, d]),
                s.InitialParameters is null ? null : Save("init", s.InitialParameters, [o.Rank, d]),
                s.Sigma is null ? null : Save("sigma", s.Sigma.Data, [d, d]),
                Save("eigenvalues", s.Eigenvalues, [s.Eigenvalues.Length]),
                s.Eigenvectors is null ? null : Save("eigenvectors", vecs, [d, d]),
                s.FinalRisk, s.OptimalRisk, s.Trace.Alignment[^1]));
        }
        var index = new HeadExportIndex(prefix, o.Head.ToString(), o.D, o.Rank, o.L, o.Lam,
            RiskName(o), "parameters are k x d (row j = mu_j); eigenvectors are rows in descending eigenvalue order; " +
            "with Eigenbasis set, Sigma is diagonal (the eigenbasis the head was trained in)", entries);
        return sink.WriteJson($"{prefix}_exports", index);
    }

    /// <summary>Exports every run of an ICL head: mu (1 x d), mu_0, the spike v, the population matrix
    /// V = xi^2 I + theta v v' of the Wishart draws and its eigenpairs, with an index <c>{prefix}_exports.json</c>
    /// stating R_ICL_inf at the final mu.</summary>
    /// <param name="r">Result.</param>
    /// <param name="sink">Output.</param>
    /// <param name="prefix">File prefix.</param>
    public static string WriteExports(IclResult r, OutputSink sink, string prefix)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(sink);
        var o = r.Options;
        int d = o.D;
        var entries = new List<HeadExport>();
        foreach (var s in r.Runs)
        {
            string Save(string what, ReadOnlySpan<double> data, int[] shape) =>
                SaveNpy(sink, $"{prefix}_seed{s.Seed}_{what}.npy", data, shape);
            var v = new Matrix(d, d);
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++) v[i, j] = (i == j ? o.Xi * o.Xi : 0) + o.Theta * s.Spike[i] * s.Spike[j];
            var (vals, vecs) = PcaExperiments.SortedEigen(v);
            Save("spike", s.Spike, [d]);
            entries.Add(new HeadExport(s.Seed, Save("params", s.Trace.FinalParameters, [1, d]),
                s.InitialParameters is null ? null : Save("init", s.InitialParameters, [1, d]), Save("V", v.Data, [d,
                    d]),
                Save("eigenvalues", vals, [d]), Save("eigenvectors", vecs.SelectMany(x => x).ToArray(), [d, d]),
                s.FinalRisk, s.OptimalRisk, s.Trace.Alignment[^1]));
        }
        var index = new HeadExportIndex(prefix, o.Head.ToString(), d, 1, o.L, o.Lam,
            $"R_ICL_inf(mu; v, n = {o.N}, xi = {o.Xi}, theta = {o.Theta}, lam = {o.Lam}) of docs/study-a.md",
            "parameters are 1 x d; <prefix>_seed<s>_spike.npy is v; V = xi^2 I + theta v v' with eigenvectors as " +
            "rows in " +
            "descending eigenvalue order", entries);
        return sink.WriteJson($"{prefix}_exports", index);
    }

    /// <summary>Writes <paramref name="data"/> to the .npy <paramref name="file"/> in the sink; returns the
    /// name.</summary>
    internal static string SaveNpy(OutputSink sink, string file, ReadOnlySpan<double> data, int[] shape)
    {
        Npy.Write(sink.PathFor(file), data, shape);
        sink.Record(sink.PathFor(file));
        return file;
    }

    private static string RiskName(PcaTrainOptions o) => o.Head is TrainHead.Linear or TrainHead.LinearExact
        && o.Rank == 1
        ? "R_lin,L = t - 2 lam t a - 2 lam (L+1) b + lam^2 (L+2) t a^2 + lam^2 (L+2)(L+3) a b"
        : "R_inf = tr Sigma - 2 lam tr(Sigma G Sigma) + lam^2 tr(Sigma G Sigma G Sigma), G = M'M";

    /// <summary>Writes the reproduce run's tables and figures into <paramref name="sink"/> and returns the display
    /// tables.</summary>
    /// <param name="r">Result.</param>
    /// <param name="sink">Output.</param>
    public static IReadOnlyList<ResultTable> WriteReproduce(PcaReproduceResult r, OutputSink sink)
    {
        ArgumentNullException.ThrowIfNull(r);
        return
        [
            PcaReports.WriteLandscape(r.Landscape, r.LandscapeLam, sink),
            PcaReports.WriteTrain(r.Softmax, sink, "train_softmax"),
            PcaReports.WriteTrain(r.Infinite, sink, "train_infinite"),
            PcaReports.WriteTrain(r.Linear, sink, "train_linear"),
            PcaReports.WriteSweep(r.SoftmaxLSweep, "L", sink, "sweep_softmax"),
            PcaReports.WriteIcl(r.Icl, sink, "icl_train_softmax"),
        ];
    }
}

/// <summary>One run's exported files (names relative to the index) and final numbers.</summary>
/// <param name="Seed">Run index.</param>
/// <param name="Parameters">Final parameters file (k x d).</param>
/// <param name="Init">Initial parameters file.</param>
/// <param name="Sigma">Covariance file (d x d).</param>
/// <param name="Eigenvalues">Eigenvalues file (descending).</param>
/// <param name="Eigenvectors">Eigenvectors file (rows).</param>
/// <param name="FinalRisk">Closed-form risk at the final parameters.</param>
/// <param name="OptimalRisk">Its minimum.</param>
/// <param name="FinalAlignment">Final alignment.</param>
public sealed record HeadExport(int Seed, string Parameters, string? Init, string? Sigma, string Eigenvalues,
    string? Eigenvectors, double FinalRisk, double OptimalRisk, double FinalAlignment);

/// <summary>Index of a trained head's exports.</summary>
/// <param name="Name">Prefix of the files.</param>
/// <param name="Head">Head.</param>
/// <param name="D">Dimension.</param>
/// <param name="Rank">Rank k.</param>
/// <param name="L">Prompt length.</param>
/// <param name="Lam">Inverse temperature.</param>
/// <param name="Risk">The closed-form risk the final risks refer to.</param>
/// <param name="Layout">Array layouts.</param>
/// <param name="Runs">One entry per run.</param>
public sealed record HeadExportIndex(string Name, string Head, int D, int Rank, int L, double Lam, string Risk,
    string Layout, IReadOnlyList<HeadExport> Runs);
