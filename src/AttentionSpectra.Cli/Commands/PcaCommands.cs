using AttentionSpectra.Reporting;
using System.CommandLine;
using System.Globalization;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Cli.Commands;

/// <summary>Study A (attention as PCA): commands 'pca' and 'icl'.</summary>
public static class PcaCommands
{
    private static Option<string> HeadOption(string description) => new Option<string>("--head")
    {
        Description = description,
        DefaultValueFactory = _ => "softmax",
    }.AcceptOnlyFromAmong("softmax", "linear", "infinite", "linear-exact");

    private static TrainHead ParseHead(string s) => StudyAParse.Head(s);

    private static Option<int?> IntOpt(string name, string desc) => new(name) { Description = desc };
    private static Option<double?> DblOpt(string name, string desc) => new(name) { Description = desc };

    /// <summary>Parses "3,5,10" or a range "3..50" / "3..50:5" (start..end:step) into integers.</summary>
    public static List<double> ParseValues(string text, string optionName) => Parsing.Values(text, optionName);

    /// <summary>Top-level commands contributed by this study.</summary>
    public static IEnumerable<Command> Create()
    {
        yield return CreatePca();
        yield return CreateIcl();
    }

    private sealed record CommonOpts(Option<string> Head, Option<int?> D, Option<int?> L, Option<double?> Lam, Option<double?> Lr,
        Option<int?> Steps, Option<int?> Batch, Option<int?> Seeds, Option<int> Rank, Option<double> Init, Option<bool> Eigen)
    {
        public RunOptions Run { get; } = new();

        public void AddTo(Command c)
        {
            foreach (Option o in new Option[] { Head, D, L, Lam, Lr, Steps, Batch, Seeds, Rank, Init, Eigen }) c.Options.Add(o);
            Run.AddTo(c);
        }

        public PcaTrainOptions Build(ParseResult pr)
        {
            var r = PcaTrainOptions.Reference(ParseHead(pr.GetValue(Head)!));
            var o = r with
            {
                D = pr.GetValue(D) ?? r.D, L = pr.GetValue(L) ?? r.L, Lam = pr.GetValue(Lam) ?? r.Lam, Lr = pr.GetValue(Lr) ?? r.Lr,
                Steps = pr.GetValue(Steps) ?? r.Steps, Batch = pr.GetValue(Batch) ?? r.Batch, Seeds = pr.GetValue(Seeds) ?? r.Seeds,
                Rank = pr.GetValue(Rank), InitScale = pr.GetValue(Init), Eigenbasis = pr.GetValue(Eigen),
            };
            return Run.Apply(o, pr, pr.GetValue(D) is not null);
        }
    }

    private static CommonOpts MakeCommon() => new(
        HeadOption("softmax | linear (finite-L SGD on fresh Gaussian prompts) | infinite (GD on the closed-form R_inf) | " +
                   "linear-exact (GD on the exact finite-L linear risk R_lin,L)"),
        IntOpt("--d", "Token dimension (default 5)"),
        IntOpt("--L", "Prompt length incl. the query (default: 100 softmax, 6 linear)"),
        DblOpt("--lam", "Inverse temperature lam > 0 (default: 0.1 softmax, 0.01 linear/infinite)"),
        DblOpt("--lr", "Learning rate (default: 1e-4 softmax/linear, 1e-3 infinite)"),
        IntOpt("--steps", "Training steps (default: 3000 softmax/infinite, 5000 linear)"),
        IntOpt("--batch", "Prompts per SGD step (default 256)"),
        IntOpt("--seeds", "Independent seeds (new Sigma and init each; default 10)"),
        new Option<int>("--rank") { Description = "Rank k of the head (k parameter vectors; scores lam x_1' M M' x_l)", DefaultValueFactory = _ => 1 },
        new Option<double>("--init-scale") { Description = "mu_0 entries iid N(0, s^2/d)", DefaultValueFactory = _ => 0.01 },
        new Option<bool>("--eigenbasis") { Description = "Sample tokens in Sigma's eigenbasis (exactly equivalent by rotation equivariance, O(L d) sampling)" });

    private static Command CreatePca()
    {
        var pca = new Command("pca", "Study A: a rank-one (or rank-k) attention head trained to reconstruct its query learns the top principal component(s).");

        // pca train
        var c = MakeCommon();
        var train = new Command("train", "Train the head over several seeds; plot |cos(mu_t, u_1)| (mean and band) vs step.");
        c.AddTo(train);
        train.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var o = c.Build(pr);
            o.Validate();
            Guards.Check(ctx, Guards.PcaTrain(o));
            var sink = ctx.Sink("pca");
            var r = Ui.WithProgress(ctx, p => PcaExperiments.Train(o, ctx.Seed, p));
            string prefix = $"train_{o.Head.ToString().ToLowerInvariant()}{(o.Rank > 1 ? $"_rank{o.Rank}" : "")}";
            var t = PcaReports.WriteTrain(r, sink, prefix);
            PcaFigureReports.WriteTrainTable(r, sink, prefix, PcaFigureCommands.CommandText(pr, ctx.Seed));
            PcaFigureReports.WriteExports(r, sink, prefix);
            Ui.Table(ctx, t);
            Ui.Files(ctx, sink);
            return 0;
        });
        pca.Subcommands.Add(train);

        // pca landscape
        var ld = new Option<int>("--d") { Description = "Dimension", DefaultValueFactory = _ => 5 };
        var llam = new Option<double>("--lam") { Description = "Inverse temperature lam > 0", DefaultValueFactory = _ => 0.01 };
        var land = new Command("landscape", "Critical points of R_inf (0, +-u_i/sqrt(lam lambda_i)) with Hessian eigenvalues and classification; risk profiles.");
        land.Options.Add(ld); land.Options.Add(llam);
        land.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var sink = ctx.Sink("pca");
            double lam = pr.GetValue(llam);
            Guards.Check(ctx, Guards.PcaLandscape(pr.GetValue(ld)));
            var l = PcaExperiments.ComputeLandscape(pr.GetValue(ld), lam, ctx.Seed);
            Ui.Table(ctx, PcaReports.WriteLandscape(l, lam, sink));
            Ui.Files(ctx, sink);
            return 0;
        });
        pca.Subcommands.Add(land);

        // pca sweep
        var cs = MakeCommon();
        var over = new Option<string>("--over") { Description = "Sweep variable: L or d", DefaultValueFactory = _ => "L" }.AcceptOnlyFromAmong("L", "d");
        var values = new Option<string?>("--values") { Description = "Values: list '3,5,10' or range '3..50:5' (default L: 3,5,10,20,50; d: 3,5,10,20,40)" };
        var couple = new Option<string?>("--couple") { Description = "d sweep couplings, comma-separated: L=d, lam=C/d, lr=C/d^2 (replaces the default lam = 0.1/d, lr = 0.5/d^2)" };
        var sweep = new Command("sweep", "Final alignment vs prompt length L or dimension d (for d: lam = 0.1/d, lr = 0.5/d^2 unless --lam/--lr are given).");
        cs.AddTo(sweep); sweep.Options.Add(over); sweep.Options.Add(values); sweep.Options.Add(couple);
        var shard = new ShardOptions();
        shard.AddTo(sweep, "pca sweep", pr =>
        {
            // one training run per unit: sampling (L d^2 per prompt through the GEMM) dominates; see docs/scaling.md
            var o = cs.Build(pr);
            string ov = pr.GetValue(over)!;
            var vals = ParseValues(pr.GetValue(values) ?? (ov == "L" ? "3,5,10,20,50" : "3,5,10,20,40"), "--values");
            double d = ov == "d" ? vals.Max() : o.D, l = ov == "L" ? vals.Max() : o.L;
            double ops = (double)o.Steps * o.Batch * l * (d * d + 4 * d);
            long bytes = (long)(8 * (2 * o.Batch * l * d + 4 * d * d)) + (64L << 20);
            return new ShardEstimate(vals.Count * o.Seeds, "grid value × seed", ops / 1e9, bytes);
        });
        sweep.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var o = cs.Build(pr);
            string ov = pr.GetValue(over)!;
            var vals = ParseValues(pr.GetValue(values) ?? (ov == "L" ? "3,5,10,20,50" : "3,5,10,20,40"), "--values")
                .Select(v => v >= 1 && v == Math.Floor(v) && v <= 100000 ? (int)v : throw new ArgumentException($"--values: {ov} values must be positive integers (got {v}).")).ToList();
            bool scale = ov == "d" && pr.GetValue(cs.Lam) is null && pr.GetValue(cs.Lr) is null;
            if (ov == "d" && (pr.GetValue(cs.Lam) is null) != (pr.GetValue(cs.Lr) is null))
                throw new ArgumentException("For --over d give both --lam and --lr, or neither (then lam = 0.1/d, lr = 0.5/d^2).");
            (ov == "L" ? o with { L = vals.Min() } : o with { D = vals.Min(), Rank = Math.Min(o.Rank, vals.Min()) }).Validate();
            Guards.Check(ctx, Guards.PcaSweep(o, ov, vals));
            var coupling = pr.GetValue(couple) is { } cpl ? StudyAParse.Couple(cpl)
                : scale ? SweepCoupling.Theory : SweepCoupling.None;
            if (ov == "L" && !coupling.IsNone) throw new ArgumentException("--couple applies to --over d only.");
            var spec = new PcaSweepSpec(ov == "L" ? SweepVariable.L : SweepVariable.D, vals, coupling);
            var mode = shard.Resolve(pr, ctx, "pca-sweep");
            var plan = ShardOptions.Plan(pr, vals.Count * o.Seeds, "grid value × seed");
            var maybe = Ui.WithProgress(ctx, p => PcaExperiments.Sweep(o, spec, ctx.Seed, mode, plan, p, ctx.Cancellation));
            if (maybe is not { } pts)
            {
                ShardOptions.ReportStored(ctx, mode, plan);
                return 0;
            }
            var sink = ctx.Sink("pca");
            Ui.Table(ctx, PcaReports.WriteSweep(pts, ov, sink, $"sweep_{o.Head.ToString().ToLowerInvariant()}{(o.Rank > 1 ? $"_rank{o.Rank}" : "")}"));
            Ui.Files(ctx, sink);
            return 0;
        });
        pca.Subcommands.Add(sweep);

        // pca digits
        var dk = new Option<int>("--rank") { Description = "Rank k (number of principal directions)", DefaultValueFactory = _ => 3 };
        var dl = new Option<int>("--L") { Description = "Prompt length (tokens drawn with replacement from the dataset)", DefaultValueFactory = _ => 100 };
        var dlam = new Option<double>("--lam") { Description = "Inverse temperature", DefaultValueFactory = _ => 0.01 };
        var dlr = new Option<double>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 0.01 };
        var dnog = new Option<bool>("--no-surrogate") { Description = "Skip the Gaussian-surrogate run (tokens ~ N(0, Sigma_digits))" };
        var dsteps = new Option<int>("--steps") { Description = "SGD steps", DefaultValueFactory = _ => 2000 };
        var dbatch = new Option<int>("--batch") { Description = "Prompts per step", DefaultValueFactory = _ => 128 };
        var dseeds = new Option<int>("--seeds") { Description = "Seeds", DefaultValueFactory = _ => 3 };
        var dhead = HeadOption("softmax | linear | infinite (GD on R_inf with the empirical covariance)");
        var digits = new Command("digits", "Rank-k head on the standardised 8x8 digits (real, non-Gaussian) vs classical PCA: principal angles, explained variance, reconstruction error.");
        foreach (Option op in new Option[] { dk, dl, dlam, dlr, dsteps, dbatch, dseeds, dhead, dnog }) digits.Options.Add(op);
        digits.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var o = new DigitsOptions(pr.GetValue(dk), pr.GetValue(dl), pr.GetValue(dlam), pr.GetValue(dlr), pr.GetValue(dsteps), pr.GetValue(dbatch),
                pr.GetValue(dseeds), Head: ParseHead(pr.GetValue(dhead)!));
            o.Validate();
            Guards.Check(ctx, Guards.Digits(o));
            var sink = ctx.Sink("pca");
            bool sur = !pr.GetValue(dnog) && o.Head != TrainHead.Infinite;
            var (r, g) = Ui.WithProgress(ctx, p => (DigitsExperiment.Run(o, ctx.Seed, p),
                sur ? DigitsExperiment.Run(o with { GaussianSurrogate = true }, ctx.Seed, p) : null));
            Ui.Table(ctx, PcaReports.WriteDigits(r, g, sink));
            Ui.Files(ctx, sink);
            return 0;
        });
        pca.Subcommands.Add(digits);
        foreach (var c2 in PcaFigureCommands.CreatePca()) pca.Subcommands.Add(c2);
        return pca;
    }

    private sealed record IclOpts(Option<string> Head, Option<int> D, Option<int> N, Option<double> Xi, Option<double> Theta, Option<int> L,
        Option<double> Lam, Option<double> Lr, Option<int> Steps, Option<int> Batch, Option<int> Seeds, Option<double> Init)
    {
        public RunOptions Run { get; } = new();
        public Option<int?> SigmasPerStep { get; } = new("--sigmas-per-step")
        {
            Description = "Covariances drawn per step, each shared by --prompts-per-sigma prompts (the paper: 100 x 100); replaces --batch",
        };
        public Option<int?> PromptsPerSigma { get; } = new("--prompts-per-sigma") { Description = "Prompts per covariance" };

        public void AddTo(Command c)
        {
            foreach (Option o in new Option[] { Head, D, N, Xi, Theta, L, Lam, Lr, Steps, Batch, Seeds, Init, SigmasPerStep, PromptsPerSigma })
                c.Options.Add(o);
            foreach (var o in Run.All) if (o != Run.Sigma && o != Run.PaperGradient) c.Options.Add(o);
        }
        public IclOptions Build(ParseResult pr) => Run.Apply(new IclOptions(ParseHead(pr.GetValue(Head)!), pr.GetValue(D), pr.GetValue(N),
            pr.GetValue(Xi), pr.GetValue(Theta), pr.GetValue(L), pr.GetValue(Lam), pr.GetValue(Lr), pr.GetValue(Steps), pr.GetValue(Batch),
            pr.GetValue(Seeds), pr.GetValue(Init), SigmasPerStep: pr.GetValue(SigmasPerStep), PromptsPerSigma: pr.GetValue(PromptsPerSigma)), pr);
    }

    private static IclOpts MakeIcl() => new(
        HeadOption("softmax | linear (SGD on prompts with Wishart covariances) | infinite (GD on the closed-form R_ICL_inf)"),
        new Option<int>("--d") { Description = "Token dimension", DefaultValueFactory = _ => 5 },
        new Option<int>("--n") { Description = "Wishart degrees of freedom per prompt (Sigma = sum_{r<=n} y_r y_r')", DefaultValueFactory = _ => 10 },
        new Option<double>("--xi") { Description = "Noise level xi (V = xi^2 I + theta v v')", DefaultValueFactory = _ => 1.0 },
        new Option<double>("--theta") { Description = "Spike strength theta", DefaultValueFactory = _ => 2.0 },
        new Option<int>("--L") { Description = "Prompt length", DefaultValueFactory = _ => 100 },
        new Option<double>("--lam") { Description = "Inverse temperature lam > 0", DefaultValueFactory = _ => 1e-3 },
        new Option<double>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 5e-3 },
        new Option<int>("--steps") { Description = "Training steps", DefaultValueFactory = _ => 1000 },
        new Option<int>("--batch") { Description = "Prompts per step", DefaultValueFactory = _ => 256 },
        new Option<int>("--seeds") { Description = "Seeds (new spike v and init each)", DefaultValueFactory = _ => 10 },
        new Option<double>("--init-scale") { Description = "mu_0 entries iid N(0, s^2/d)", DefaultValueFactory = _ => 0.01 });

    private static Command CreateIcl()
    {
        var icl = new Command("icl", "Study A, in-context: prompts with their own spiked-Wishart covariance; the head learns the shared spike v.");
        var c = MakeIcl();
        var train = new Command("train", "Train over several seeds; plot |cos(mu_t, v)| (mean and band) vs step.");
        c.AddTo(train);
        train.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var o = c.Build(pr);
            o.Validate();
            Guards.Check(ctx, Guards.Icl(o));
            var sink = ctx.Sink("icl");
            var r = Ui.WithProgress(ctx, p => IclExperiments.Train(o, ctx.Seed, p));
            Ui.Table(ctx, PcaReports.WriteIcl(r, sink, $"icl_train_{o.Head.ToString().ToLowerInvariant()}"));
            PcaFigureReports.WriteExports(r, sink, $"icl_train_{o.Head.ToString().ToLowerInvariant()}");
            Ui.Files(ctx, sink);
            return 0;
        });
        icl.Subcommands.Add(train);

        var cs = MakeIcl();
        var over = new Option<string>("--over") { Description = "Sweep variable: L, n, d or theta", DefaultValueFactory = _ => "L" }
            .AcceptOnlyFromAmong("L", "n", "d", "theta");
        var values = new Option<string?>("--values") { Description = "Values: list or range start..end:step (default L: 3,5,10,20,50,100; n: 2,5,10,20; d: 3,5,10,20; theta: 0.5,1,2,4)" };
        var icouple = new Option<string?>("--couple") { Description = "d sweep couplings, comma-separated: n=d, L=d, lam=C/d, lr=C/d^2" };
        var sweep = new Command("sweep", "Final ICL alignment |cos(mu, v)| vs L, n, d or theta.");
        cs.AddTo(sweep); sweep.Options.Add(over); sweep.Options.Add(values); sweep.Options.Add(icouple);
        IReadOnlyList<double> IclValues(ParseResult pr, string ov) => ParseValues(pr.GetValue(values) ?? ov switch
        {
            "L" => "3,5,10,20,50,100", "n" => "2,5,10,20", "d" => "3,5,10,20", _ => "0.5,1,2,4",
        }, "--values");
        var ishard = new ShardOptions();
        ishard.AddTo(sweep, "icl sweep", pr =>
        {
            // one training run per unit: per prompt and step, L tokens (d^2 each through Sigma's factor, plus the
            // softmax), the Wishart covariance (n d^2) and its factor (d^3); see docs/scaling.md
            var o = cs.Build(pr);
            string ov = pr.GetValue(over)!;
            var vals = IclValues(pr, ov);
            double d = ov == "d" ? vals.Max() : o.D, l = ov == "L" ? vals.Max() : o.L, n = ov == "n" ? vals.Max() : o.N;
            double ops = (double)o.Steps * o.EffectiveBatch * (l * (d * d + 4 * d + 200) + n * d * d + d * d * d);
            long bytes = (long)(8 * (2 * o.EffectiveBatch * l * d + 4 * d * d)) + (64L << 20);
            return new ShardEstimate(vals.Count * o.Seeds, "grid value × seed", ops / 1e9, bytes);
        });
        sweep.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var o = cs.Build(pr);
            o.Validate();
            string ov = pr.GetValue(over)!;
            var vals = IclValues(pr, ov);
            Guards.Check(ctx, Guards.IclSweep(o, ov, vals));
            var coupling = pr.GetValue(icouple) is { } cpl ? StudyAParse.Couple(cpl) : SweepCoupling.None;
            if (ov != "d" && !coupling.IsNone) throw new ArgumentException("--couple applies to --over d only.");
            var variable = ov switch { "L" => SweepVariable.L, "n" => SweepVariable.N, "d" => SweepVariable.D, _ => SweepVariable.Theta };
            var mode = ishard.Resolve(pr, ctx, "icl-sweep");
            var plan = ShardOptions.Plan(pr, vals.Count * o.Seeds, "grid value × seed");
            var maybe = Ui.WithProgress(ctx, p => IclExperiments.Sweep(o, new IclSweepSpec(variable, vals, coupling),
                ctx.Seed, mode, plan, p, ctx.Cancellation));
            if (maybe is not { } pts)
            {
                ShardOptions.ReportStored(ctx, mode, plan);
                return 0;
            }
            var sink = ctx.Sink("icl");
            Ui.Table(ctx, PcaReports.WriteIclSweep(pts, ov, o, sink));
            Ui.Files(ctx, sink);
            return 0;
        });
        icl.Subcommands.Add(sweep);
        foreach (var c2 in PcaFigureCommands.CreateIcl()) icl.Subcommands.Add(c2);
        return icl;
    }

    /// <summary>The study's part of 'attnspec reproduce --scale paper': every figure preset of the paper, written under
    /// study-a/figures (hours at the paper's sizes; the ICL SGD figures dominate).</summary>
    public static void ReproducePaper(RunContext ctx)
    {
        var sink = ctx.Sink(Path.Combine("study-a", "figures"));
        foreach (var name in PcaReproduce.FigureNames)
        {
            if (PaperFigures.FindPca(name) is { } p)
            {
                var r = Ui.WithProgress(ctx, pr => PaperFigures.Run(p, ctx.Seed, pr));
                Ui.Table(ctx, PcaFigureReports.WriteFigure(r, sink, $"attnspec pca figure {name} --seed {ctx.Seed}"));
            }
            else
            {
                var icl = PaperFigures.FindIcl(name)!;
                var r = Ui.WithProgress(ctx, pr => PaperFigures.Run(icl, ctx.Seed, pr));
                Ui.Table(ctx, PcaFigureReports.WriteFigure(r, sink, $"attnspec icl figure {name} --seed {ctx.Seed}"));
            }
        }
        Ui.Files(ctx, sink);
    }
}
