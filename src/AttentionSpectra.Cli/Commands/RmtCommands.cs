using System.CommandLine;
using AttentionSpectra.Numerics;
using AttentionSpectra.Reporting;
using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Cli.Commands;

/// <summary>Study B (RMT of attention pooling): command group 'rmt' with 'spectrum', 'phase' and 'pooling'.</summary>
public static class RmtCommands
{
    private sealed class ModelOptions
    {
        public readonly Option<int> D = new("--d") { Description = "Embedding dimension d.", DefaultValueFactory = _ => 400 };
        public readonly Option<int> V = new("--V") { Description = "Vocabulary size V (delta = d/V).", DefaultValueFactory = _ => 800 };
        public readonly Option<int> N = new("--N") { Description = "Number of pooled sequences N (gamma = d/N).", DefaultValueFactory = _ => 1000 };
        public readonly Option<int> T = new("--T") { Description = "Sequence length T (ignored for --weights custom: T = number of weights).", DefaultValueFactory = _ => 16 };
        public readonly Option<string> Weights = new("--weights") { Description = "Pooling weights: mean | optimal (top eigenvector of R) | harmonic (causal attention, see --tau) | custom.", DefaultValueFactory = _ => "mean" };
        public readonly Option<double> Tau = new("--tau") { Description = "Inverse temperature tau of the causal-attention (harmonic) weights; tau = 0 gives (H_T - H_{s-1})/T.", DefaultValueFactory = _ => 0.0 };
        public readonly Option<string?> Custom = new("--custom-weights") { Description = "Custom weights: comma-separated list or a file with one weight per line (used by --weights custom; also added to 'rmt pooling')." };
        public readonly Option<string> Corr = new("--corr") { Description = "Positional correlation R of the signal: iid | exp:RHO (R_ts = RHO^|t-s|) | uniform:R ((1-R) I + R 11').", DefaultValueFactory = _ => "iid" };

        public void AddTo(Command c)
        {
            foreach (var o in new Option[] { D, V, N, T, Weights, Tau, Custom, Corr }) c.Options.Add(o);
        }

        public PooledSpec Read(ParseResult pr)
        {
            int d = pr.GetValue(D), v = pr.GetValue(V), n = pr.GetValue(N), t = pr.GetValue(T);
            if (d < 2) throw new ArgumentException($"--d must be >= 2, got {d}.");
            if (v < 2) throw new ArgumentException($"--V must be >= 2, got {v}.");
            if (n < 2) throw new ArgumentException($"--N must be >= 2, got {n}.");
            if (t < 1 || t > 1024) throw new ArgumentException($"--T must lie in [1, 1024], got {t}.");
            if (d > 4000) throw new ArgumentException($"--d must be <= 4000 (dense eigensolver / memory), got {d}.");
            string wname = (pr.GetValue(Weights) ?? "mean").Trim().ToLowerInvariant();
            var fam = wname switch
            {
                "mean" => WeightFamily.Mean,
                "optimal" => WeightFamily.Optimal,
                "harmonic" or "causal" => WeightFamily.Harmonic,
                "custom" => WeightFamily.Custom,
                _ => throw new ArgumentException($"--weights must be mean, optimal, harmonic or custom, got '{wname}'."),
            };
            double tau = pr.GetValue(Tau);
            if (!double.IsFinite(tau)) throw new ArgumentException("--tau must be finite.");
            string? custom = pr.GetValue(Custom);
            if (fam == WeightFamily.Custom && string.IsNullOrWhiteSpace(custom)) throw new ArgumentException("--weights custom needs --custom-weights LIST|FILE.");
            Guards.CustomWeights(custom);
            if (custom != null) t = PoolingWeights.Custom(custom).Length;
            if (t > 1024) throw new ArgumentException($"--custom-weights gives T = {t} weights; at most 1024 are supported.");
            return new PooledSpec(d, v, n, t, fam, tau, custom, pr.GetValue(Corr) ?? "iid");
        }
    }

    /// <summary>Top-level commands contributed by this study.</summary>
    public static IEnumerable<Command> Create()
    {
        var group = new Command("rmt", "Study B: random-matrix theory of attention pooling (pooled-sequence model, " +
                                       "free-product Marchenko–Pastur bulk, BBP outlier and overlap).");
        group.Subcommands.Add(SpectrumCommand());
        group.Subcommands.Add(PhaseCommand());
        group.Subcommands.Add(PoolingCommand());
        yield return group;
    }

    private static Command SpectrumCommand()
    {
        var mo = new ModelOptions();
        var snr = new Option<double>("--snr") { Description = "Signal strength |mu|^2 (0: pure bulk).", DefaultValueFactory = _ => 0.0 };
        var bins = new Option<int>("--bins") { Description = "Histogram bins.", DefaultValueFactory = _ => 60 };
        var cmd = new Command("spectrum", "Histogram of the sample eigenvalues of one draw vs the theory density kappa (MP_delta ⊠ MP_gamma), with edges and the predicted outlier.");
        mo.AddTo(cmd); cmd.Options.Add(snr); cmd.Options.Add(bins);
        cmd.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var spec = mo.Read(pr);
            Guards.Check(ctx, Guards.Pooled(spec));
            Guards.CustomNeedsCustomFamily(spec.CustomWeights, spec.Weights == WeightFamily.Custom);
            double s = pr.GetValue(snr);
            if (!(s >= 0) || !double.IsFinite(s)) throw new ArgumentException($"--snr must be finite and >= 0, got {s}.");
            int b = pr.GetValue(bins);
            var sink = ctx.Sink("rmt");
            Ui.WithProgress(ctx, p => PooledReports.Spectrum(spec, s, b, new Rng(ctx.Seed), sink, p));
            Ui.Files(ctx, sink);
            return 0;
        });
        return cmd;
    }

    private static Command PhaseCommand()
    {
        var mo = new ModelOptions();
        var snrMin = new Option<double>("--snr-min") { Description = "Smallest |mu|^2.", DefaultValueFactory = _ => 0.0 };
        var snrMax = new Option<double>("--snr-max") { Description = "Largest |mu|^2 (0: three times the sample threshold).", DefaultValueFactory = _ => 0.0 };
        var points = new Option<int>("--points") { Description = "Number of |mu|^2 values.", DefaultValueFactory = _ => 20 };
        var trials = new Option<int>("--trials") { Description = "Independent draws per value.", DefaultValueFactory = _ => 10 };
        var cmd = new Command("phase", "Outlier location and squared overlap vs |mu|^2: theory curves, simulation means with standard-error bars, population and sample thresholds.");
        mo.AddTo(cmd); cmd.Options.Add(snrMin); cmd.Options.Add(snrMax); cmd.Options.Add(points); cmd.Options.Add(trials);
        cmd.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var spec = mo.Read(pr);
            Guards.Check(ctx, Guards.Pooled(spec));
            Guards.CustomNeedsCustomFamily(spec.CustomWeights, spec.Weights == WeightFamily.Custom);
            var sink = ctx.Sink("rmt");
            var pts = Ui.WithProgress(ctx, p => PooledReports.Phase(spec, pr.GetValue(snrMin), pr.GetValue(snrMax), pr.GetValue(points), pr.GetValue(trials), new Rng(ctx.Seed), sink, p));
            var t = new ResultTable("phase (theory vs simulation)", "|mu|^2", "rho", "top sim", "top theory", "overlap sim", "overlap theory");
            foreach (var q in pts) t.Add(q.Snr, q.Rho, q.TopMean, q.Theory.SampleTop, q.OverlapMean, q.Theory.SampleOverlap);
            Ui.Table(ctx, t);
            Ui.Files(ctx, sink);
            return 0;
        });
        return cmd;
    }

    private static Command PoolingCommand()
    {
        var mo = new ModelOptions();
        var snr = new Option<double>("--snr") { Description = "Signal strength |mu|^2 at which schemes are simulated (0: 1.5x the mean-pooling threshold).", DefaultValueFactory = _ => 0.0 };
        var trials = new Option<int>("--trials") { Description = "Independent draws per scheme.", DefaultValueFactory = _ => 10 };
        var cmd = new Command("pooling", "Compare pooling schemes (mean, optimal, harmonic tau=0, harmonic --tau, custom): alpha/kappa, effective SNR, predicted threshold, predicted and simulated overlap.");
        mo.AddTo(cmd); cmd.Options.Add(snr); cmd.Options.Add(trials);
        cmd.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var spec = mo.Read(pr);
            Guards.Check(ctx, Guards.Pooled(spec));
            if (spec.Corr.Trim().Equals("iid", StringComparison.OrdinalIgnoreCase))
                Ui.Info(ctx, "note: with --corr iid every scheme has alpha = kappa (no gain from weighting); try --corr exp:0.9.");
            double s = pr.GetValue(snr);
            if (!(s >= 0) || !double.IsFinite(s)) throw new ArgumentException($"--snr must be finite and >= 0, got {s}.");
            if (s == 0)
            {
                var mean = (spec with { Weights = WeightFamily.Mean }).Build();
                s = 1.5 * mean.SnrForRho(mean.Theory().SampleThreshold);
            }
            var sink = ctx.Sink("rmt");
            var table = Ui.WithProgress(ctx, p => PooledReports.Pooling(spec, s, spec.Tau, pr.GetValue(trials), new Rng(ctx.Seed), sink, p));
            var brief = new ResultTable($"pooling schemes at |mu|^2 = {s:G4}", "scheme", "alpha/kappa", "rho", "threshold |mu|^2", "overlap theory", "overlap sim", "se");
            foreach (var r in table.Rows) brief.Add(r[0], r[4], r[5], r[6], r[8], r[11], r[12]);
            Ui.Table(ctx, brief);
            Ui.Files(ctx, sink);
            return 0;
        });
        return cmd;
    }

    /// <summary>The study's part of 'attnspec reproduce': a small, fast default run (d = 300) under OutDir/study-b.</summary>
    public static void Reproduce(RunContext ctx)
    {
        var sink = ctx.Sink("study-b");
        var rng = new Rng(ctx.Seed);
        var spec = new PooledSpec(300, 600, 900, 16, WeightFamily.Mean, 0, null, "exp:0.8");
        Ui.WithProgress(ctx, p =>
        {
            PooledReports.Spectrum(spec with { Corr = "iid" }, 0, 50, rng.Split(0), sink, p);
            PooledReports.Phase(spec, 0, 0, 16, 8, rng.Split(1), sink, p);
            PooledReports.Pooling(spec, 0.0 + 1.5 * spec.Build().SnrForRho(spec.Build().Theory().SampleThreshold), 2.0, 8, rng.Split(2), sink, p);
        });
        Ui.Files(ctx, sink);
    }
}
