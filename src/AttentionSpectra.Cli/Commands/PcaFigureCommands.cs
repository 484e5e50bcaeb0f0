using System.CommandLine;
using AttentionSpectra.Numerics;
using AttentionSpectra.Reporting;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Cli.Commands;

/// <summary>Study A's paper figures (<c>pca figure</c>, <c>icl figure</c>), GD-vs-SGD overlays (<c>pca compare</c>,
/// <c>icl compare</c>) and <c>pca fit</c> on the user's rows.</summary>
public static class PcaFigureCommands
{
    private sealed class Overrides
    {
        public Option<string?> Head { get; } = new Option<string?>("--head") { Description = "Head (overrides the preset)" }
            .AcceptOnlyFromAmong("softmax", "linear", "infinite", "linear-exact");
        public Option<int?> D { get; } = new("--d") { Description = "Token dimension" };
        public Option<int?> L { get; } = new("--L") { Description = "Prompt length (incl. the query)" };
        public Option<double?> Lam { get; } = new("--lam") { Description = "Inverse temperature (compare: of the SGD run)" };
        public Option<double?> Lr { get; } = new("--lr") { Description = "Learning rate (compare: of the SGD run)" };
        public Option<int?> Steps { get; } = new("--steps") { Description = "Training steps" };
        public Option<int?> Batch { get; } = new("--batch") { Description = "Prompts per SGD step" };
        public Option<int?> Seeds { get; } = new("--seeds") { Description = "Runs" };
        public Option<int?> Rank { get; } = new("--rank") { Description = "Rank k" };
        public Option<bool> Eigenbasis { get; } = new("--eigenbasis") { Description = "Sample tokens in Sigma's eigenbasis" };
        public Option<string?> Values { get; } = new("--values") { Description = "Sweep grid: list '3,5,10' or range '3..50:5'" };
        public Option<string?> Couple { get; } = new("--couple")
        {
            Description = "Sweep couplings, comma-separated: L=d, n=d, lam=C/d, lr=C/d^2 (or none)",
        };
        public Option<double?> GdLam { get; } = new("--gd-lam") { Description = "Compare: lam of the gradient-descent run" };
        public Option<double?> GdLr { get; } = new("--gd-lr") { Description = "Compare: lr of the gradient-descent run" };
        public Option<string?> GdInit { get; } = new("--gd-init") { Description = "Compare: init of the gradient-descent run" };
        public Option<int?> N { get; } = new("--n") { Description = "ICL: Wishart degrees of freedom" };
        public Option<double?> Xi { get; } = new("--xi") { Description = "ICL: noise level xi" };
        public Option<double?> Theta { get; } = new("--theta") { Description = "ICL: spike strength theta" };
        public Option<int?> SigmasPerStep { get; } = new("--sigmas-per-step") { Description = "ICL: covariances drawn per step" };
        public Option<int?> PromptsPerSigma { get; } = new("--prompts-per-sigma") { Description = "ICL: prompts per covariance" };
        public RunOptions Run { get; } = new();

        public void AddTo(Command c, bool icl)
        {
            Option[] common = [Head, D, L, Lam, Lr, Steps, Batch, Seeds, Values, Couple, GdLam, GdLr, GdInit];
            foreach (var o in common) c.Options.Add(o);
            if (icl)
            {
                foreach (Option o in new Option[] { N, Xi, Theta, SigmasPerStep, PromptsPerSigma }) c.Options.Add(o);
                foreach (var o in Run.All) if (o != Run.Sigma && o != Run.PaperGradient) c.Options.Add(o);
            }
            else
            {
                c.Options.Add(Rank); c.Options.Add(Eigenbasis);
                Run.AddTo(c);
            }
        }

        public FigureOverrides Build(ParseResult pr, bool icl)
        {
            var sigma = !icl && pr.GetValue(Run.Sigma) is { } path ? StudyAParse.Sigma(path) : null;
            int? d = pr.GetValue(D);
            if (sigma is not null && d is { } dd && dd != sigma.Rows)
                throw new ArgumentException($"--sigma is {sigma.Rows} x {sigma.Rows} but --d is {dd}.");
            return new FigureOverrides(
                Head: pr.GetValue(Head) is { } h ? StudyAParse.Head(h) : null,
                D: d, L: pr.GetValue(L), Lam: pr.GetValue(Lam), Lr: pr.GetValue(Lr), Steps: pr.GetValue(Steps),
                Batch: pr.GetValue(Batch), Seeds: pr.GetValue(Seeds), Rank: icl ? null : pr.GetValue(Rank),
                Init: pr.GetValue(Run.Init) is { } i ? StudyAParse.Init(i) : null, Sigma: sigma,
                SigmaPolicy: pr.GetValue(Run.SigmaPolicy) is { } p ? StudyAParse.Policy(p) : null,
                Band: pr.GetValue(Run.Band) is { } b ? StudyAParse.Band(b) : null,
                    RecordEvery: pr.GetValue(Run.RecordEvery),
                Eigenbasis: !icl && pr.GetValue(Eigenbasis) ? true : null,
                Values: pr.GetValue(Values) is { } v ? PcaCommands.ParseValues(v, "--values") : null,
                Coupling: pr.GetValue(Couple) is { } c ? StudyAParse.Couple(c) : null,
                GdLam: pr.GetValue(GdLam), GdLr: pr.GetValue(GdLr),
                GdInit: pr.GetValue(GdInit) is { } gi ? StudyAParse.Init(gi, "--gd-init") : null,
                LinearCrossTermFactor: !icl && pr.GetValue(Run.PaperGradient) ? 4 : null,
                N: icl ? pr.GetValue(N) : null, Xi: icl ? pr.GetValue(Xi) : null,
                    Theta: icl ? pr.GetValue(Theta) : null,
                SigmasPerStep: icl ? pr.GetValue(SigmasPerStep) : null,
                    PromptsPerSigma: icl ? pr.GetValue(PromptsPerSigma) : null);
        }
    }

    /// <summary>The command line as a reader would retype it: the study arguments plus <c>--seed</c>, without the
    /// output options.</summary>
    internal static string CommandText(ParseResult pr, ulong seed)
    {
        var words = new List<string> { "attnspec" };
        var tokens = pr.Tokens.Select(t => t.Value).ToList();
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] is "--out" or "--format" or "--seed") { i++; continue; }
            if (tokens[i] is "--quiet") continue;
            words.Add(tokens[i].Contains(' ', StringComparison.Ordinal) ? $"'{tokens[i]}'" : tokens[i]);
        }
        words.Add("--seed");
        words.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return string.Join(' ', words);
    }

    private static string Names(IEnumerable<string> names) => string.Join(", ", names);

    private static Option<bool> ListOption() => new("--list") { Description = "List the presets and exit" };

    private static Argument<string?> NameArgument() => new("name")
    {
        Description = "Preset name (see --list)",
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary><c>pca figure</c>, <c>pca compare</c>, <c>pca fit</c>.</summary>
    public static IEnumerable<Command> CreatePca()
    {
        var ov = new Overrides();
        var list = ListOption();
        var name = NameArgument();
        var figure = new Command("figure",
            "Run a figure of the paper with its settings (init, Sigma policy, lam, lr, steps, " +
                                           "grids, band); any option overrides the preset. --list shows the presets.");
        figure.Arguments.Add(name); figure.Options.Add(list);
        ov.AddTo(figure, icl: false);
        figure.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            if (pr.GetValue(list) || pr.GetValue(name) is null) { ListPresets(ctx); return 0; }
            string n = pr.GetValue(name)!;
            var preset = PaperFigures.FindPca(n) ?? throw new ArgumentException(
                $"Unknown PCA figure '{n}' (known: {Names(PaperFigures.Pca.Select(p => p.Name))}; " +
                "ICL figures: icl figure).");
            return RunPca(ctx, PaperFigures.Apply(preset, ov.Build(pr, icl: false)), CommandText(pr, ctx.Seed));
        });
        yield return figure;

        var cov = new Overrides();
        var compare = new Command("compare",
            "Overlay GD on the closed-form R_inf (--gd-lam, --gd-lr, --gd-init) and SGD on the " +
                                            "finite-prompt head (--head, --L, --lam, --lr, --batch, --init) on one figure; " +
                                            "defaults: the settings of the paper's Figure 1.");
        cov.AddTo(compare, icl: false);
        compare.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var preset = PaperFigures.Apply(PaperFigures.FindPca("fig1")!, cov.Build(pr,
                icl: false)) with { Name = "compare" };
            return RunPca(ctx, preset, CommandText(pr, ctx.Seed));
        });
        yield return compare;
        yield return CreateFit();
    }

    /// <summary><c>icl figure</c>, <c>icl compare</c>.</summary>
    public static IEnumerable<Command> CreateIcl()
    {
        var ov = new Overrides();
        var list = ListOption();
        var name = NameArgument();
        var figure = new Command("figure",
            "Run an in-context figure of the paper with its settings; options override the preset.");
        figure.Arguments.Add(name); figure.Options.Add(list);
        ov.AddTo(figure, icl: true);
        figure.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            if (pr.GetValue(list) || pr.GetValue(name) is null) { ListPresets(ctx); return 0; }
            string n = pr.GetValue(name)!;
            var preset = PaperFigures.FindIcl(n) ?? throw new ArgumentException(
                $"Unknown ICL figure '{n}' (known: {Names(PaperFigures.Icl.Select(p => p.Name))}; " +
                "PCA figures: pca figure).");
            return RunIcl(ctx, PaperFigures.Apply(preset, ov.Build(pr, icl: true)), CommandText(pr, ctx.Seed));
        });
        yield return figure;

        var cov = new Overrides();
        var compare = new Command("compare",
            "Overlay GD on R_ICL_inf and SGD on finite prompts; defaults: the paper's Figure 2.");
        cov.AddTo(compare, icl: true);
        compare.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var preset = PaperFigures.Apply(PaperFigures.FindIcl("fig2")!, cov.Build(pr,
                icl: true)) with { Name = "compare" };
            return RunIcl(ctx, preset, CommandText(pr, ctx.Seed));
        });
        yield return compare;
    }

    private static int RunPca(RunContext ctx, PcaFigurePreset preset, string command)
    {
        preset.Options.Validate();
        preset.Sgd?.Validate();
        var sink = ctx.Sink("pca");
        var r = Ui.WithProgress(ctx, p => PaperFigures.Run(preset, ctx.Seed, p));
        Ui.Table(ctx, PcaFigureReports.WriteFigure(r, sink, command));
        Ui.Files(ctx, sink);
        return 0;
    }

    private static int RunIcl(RunContext ctx, IclFigurePreset preset, string command)
    {
        preset.Options.Validate();
        preset.Sgd?.Validate();
        var sink = ctx.Sink("icl");
        var r = Ui.WithProgress(ctx, p => PaperFigures.Run(preset, ctx.Seed, p));
        Ui.Table(ctx, PcaFigureReports.WriteFigure(r, sink, command));
        Ui.Files(ctx, sink);
        return 0;
    }

    private static void ListPresets(RunContext ctx)
    {
        var t = new ResultTable("paper figure presets", "command", "figure", "kind", "settings", "authors' script");
        foreach (var p in PaperFigures.Pca) t.Add($"pca figure {p.Name}", p.PaperFigure, p.Kind.ToString(), p.Caption,
            p.PaperScript);
        foreach (var p in PaperFigures.Icl) t.Add($"icl figure {p.Name}", p.PaperFigure, p.Kind.ToString(), p.Caption,
            p.PaperScript);
        Ui.Table(ctx with { Quiet = false }, t);
    }

    private static Command CreateFit()
    {
        var data = new Option<string>("--data")
        {
            Description = "Data rows: .npy (n x d) or CSV/TSV/TXT (one row per line), or 'digits' for the embedded 8x8 digits",
            Required = true,
        };
        var rank = new Option<int>("--rank") { Description = "Rank k (principal directions)", DefaultValueFactory = _
            => 1 };
        var l = new Option<int>("--L") { Description = "Prompt length (rows drawn with replacement)",
            DefaultValueFactory = _ => 100 };
        var lam = new Option<double>("--lam") { Description = "Inverse temperature", DefaultValueFactory = _ => 0.01 };
        var lr = new Option<double>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 0.01 };
        var steps = new Option<int>("--steps") { Description = "Training steps", DefaultValueFactory = _ => 2000 };
        var batch = new Option<int>("--batch") { Description = "Prompts per step", DefaultValueFactory = _ => 128 };
        var seeds = new Option<int>("--seeds") { Description = "Runs", DefaultValueFactory = _ => 3 };
        var head = new Option<string>("--head")
        {
            Description = "softmax | linear (SGD on prompts of data rows) | infinite (GD on R_inf with the empirical covariance)",
            DefaultValueFactory = _ => "softmax",
        }.AcceptOnlyFromAmong("softmax", "linear", "infinite");
        var init = new Option<string?>("--init") { Description = "Initial law: unit, gaussian:SD or scaled:S (default scaled:0.01)" };
        var scaling = new Option<string>("--scaling")
        {
            Description = "center (PCA of the covariance), standardize (of the correlation) or none (second moments)",
            DefaultValueFactory = _ => "center",
        }.AcceptOnlyFromAmong("center", "standardize", "none");
        var surrogate = new Option<bool>("--surrogate")
        {
            Description = "Also train on Gaussian tokens with the data's covariance (separates non-Gaussian effects)",
        };
        var fit = new Command("fit",
            "Train the head on your data rows and compare with classical PCA: principal angles, explained " +
                                     "variance, alignment per component; exports parameters, Sigma and its eigenpairs as .npy.");
        foreach (Option o in new Option[] { data, rank, l, lam, lr, steps, batch, seeds, head, init, scaling,
            surrogate }) fit.Options.Add(o);
        fit.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            string path = pr.GetValue(data)!;
            var x = path == "digits" ? Digits.Load().Pixels : MatrixFile.Read(path);
            if (x.Rows < 2) throw new ArgumentException($"--data {path}: needs at least two rows (got {x.Rows}).");
            if (pr.GetValue(rank) is var k && (k < 1 || k > x.Cols))
                throw new ArgumentException($"--rank must be in [1, {x.Cols}] for {path} (got {k}).");
            var o = new DataFitOptions(k, pr.GetValue(l), pr.GetValue(lam), pr.GetValue(lr), pr.GetValue(steps),
                pr.GetValue(batch),
                pr.GetValue(seeds), Head: StudyAParse.Head(pr.GetValue(head)!),
                Scaling: pr.GetValue(scaling) switch { "standardize" => DataScaling.Standardize, "none"
                    => DataScaling.None, _ => DataScaling.Center },
                Init: pr.GetValue(init) is { } i ? StudyAParse.Init(i) : null);
            o.Validate(x.Cols);
            bool sur = pr.GetValue(surrogate) && o.Head != TrainHead.Infinite;
            var sink = ctx.Sink("pca");
            var (r, g) = Ui.WithProgress(ctx, p => (DataFit.Run(x, o, ctx.Seed, p),
                sur ? DataFit.Run(x, o with { GaussianSurrogate = true }, ctx.Seed, p,
                    "pca fit (Gaussian surrogate)") : null));
            Ui.Table(ctx, PcaFitReports.Write(r, g, Path.GetFileName(path), sink, CommandText(pr, ctx.Seed)));
            Ui.Files(ctx, sink);
            return 0;
        });
        return fit;
    }
}
