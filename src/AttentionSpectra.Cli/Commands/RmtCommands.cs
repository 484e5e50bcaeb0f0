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
        public readonly Option<int> D = new("--d") { Description = "Embedding dimension d.",
            DefaultValueFactory = _ => 400 };
        public readonly Option<int> V = new("--V") { Description = "Vocabulary size V (delta = d/V).",
            DefaultValueFactory = _ => 800 };
        public readonly Option<int> N = new("--N") { Description = "Number of pooled sequences N (gamma = d/N).",
            DefaultValueFactory = _ => 1000 };
        public readonly Option<int> T = new("--T") { Description = "Sequence length T (ignored for --weights custom: T = number of weights).", DefaultValueFactory = _ => 16 };
        public readonly Option<string> Weights = new("--weights") { Description = "Pooling weights: mean | optimal (top eigenvector of R) | harmonic (causal attention, see --tau) | custom.", DefaultValueFactory = _ => "mean" };
        public readonly Option<double> Tau = new("--tau") { Description = "Inverse temperature tau of the causal-attention (harmonic) weights; tau = 0 gives (H_T - H_{s-1})/T.", DefaultValueFactory = _ => 0.0 };
        public readonly Option<string?> Custom = new("--custom-weights") { Description = "Custom weights: comma-separated list or a file with one weight per line (used by --weights custom; also added to 'rmt pooling')." };
        public readonly Option<string> Corr = new("--corr") { Description = "Positional correlation R of the signal: iid | exp:RHO (R_ts = RHO^|t-s|) | uniform:R ((1-R) I + R 11') | FILE (.npy/CSV T x T, symmetric PSD, unit diagonal).", DefaultValueFactory = _ => "iid" };
        public readonly Option<string> Profile = new("--signal-profile")
        {
            Description = "Positional signal profile a_t (signal a_t xi_t): flat | decay:TAU (exp(-(t-1)/TAU)) | " +
                          "front:K (1 for t <= K, else 0) | FILE (T values, text or .npy).",
            DefaultValueFactory = _ => "flat",
        };

        public void AddTo(Command c)
        {
            foreach (var o in new Option[] { D, V, N, T, Weights, Tau, Custom, Corr, Profile }) c.Options.Add(o);
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
            if (fam == WeightFamily.Custom && string.IsNullOrWhiteSpace(custom))
                throw new ArgumentException("--weights custom needs --custom-weights LIST|FILE.");
            Guards.CustomWeights(custom);
            double[]? weights = custom == null ? null : Flag("--custom-weights", () => PoolingWeights.Custom(custom));
            if (weights != null) t = weights.Length;
            if (t > 1024) throw new ArgumentException($"--custom-weights gives T = {t} weights; at most 1024 are supported.");
            var corr = Flag("--corr", () => CorrelationSpec.Parse(pr.GetValue(Corr) ?? "iid"));
            var profile = Flag("--signal-profile", () => SignalProfile.Parse(pr.GetValue(Profile) ?? "flat"));
            if (corr.FixedLength is int tc && tc != t)
                throw new ArgumentException($"--corr: the matrix is {tc}x{tc} but T = {t} (set --T {tc}).");
            if (profile.FixedLength is int tp && tp != t)
                throw new ArgumentException($"--signal-profile: the file has {tp} values but T = {t} (set --T {tp}).");
            return new PooledSpec(d, v, n, t, fam, tau, weights, corr, profile.IsFlat ? null : profile);
        }
    }

    /// <summary>Runs a library parser, prefixing its bad-input messages with the flag that carried the value.</summary>
    private static TValue Flag<TValue>(string flag, Func<TValue> parse)
    {
        try { return parse(); }
        catch (ArgumentException ex) { throw new ArgumentException($"{flag}: {ex.Message}", ex); }
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
        var snr = new Option<double>("--snr") { Description = "Signal strength |mu|^2 (0: pure bulk).",
            DefaultValueFactory = _ => 0.0 };
        var bins = new Option<int>("--bins") { Description = "Histogram bins.", DefaultValueFactory = _ => 60 };
        var table = new Option<string?>("--table")
        {
            Description = "Pool tokens from a real embedding table: FILE (.npy V x d) or 'minilm' (30,522 x 384). " +
                          "d and V are then taken from the table; compares with the exact-table and fitted theory.",
        };
        var rank = new Option<int>("--table-rank")
        {
            Description = "Spikes r of the table fit (top-r + isotropic); -1: automatic (eigenvalues above the MP edge " +
                          "of the isotropic remainder).",
            DefaultValueFactory = _ => -1,
        };
        var cmd = new Command("spectrum",
            "Histogram of the sample eigenvalues of one draw vs the theory density kappa (MP_delta ⊠ MP_gamma), with edges and the predicted outlier.");
        mo.AddTo(cmd); cmd.Options.Add(snr); cmd.Options.Add(bins); cmd.Options.Add(table); cmd.Options.Add(rank);
        cmd.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var spec = mo.Read(pr);
            Guards.Check(ctx, Guards.Pooled(spec));
            Guards.CustomNeedsCustomFamily(spec.CustomWeights != null, spec.Weights == WeightFamily.Custom);
            double s = pr.GetValue(snr);
            if (!(s >= 0) || !double.IsFinite(s))
                throw new ArgumentException($"--snr must be finite and >= 0, got {s}.");
            int b = pr.GetValue(bins);
            if (b < 5 || b > 1000) throw new ArgumentException($"--bins must lie in [5, 1000], got {b}.");
            var sink = ctx.Sink("rmt");
            string? tableArg = pr.GetValue(table);
            int r = pr.GetValue(rank);
            if (tableArg != null)
            {
                if (r < -1) throw new ArgumentException($"--table-rank must be -1 (automatic) or >= 0, got {r}.");
                var (matrix, name) = LoadTable(tableArg);
                if (r >= matrix.Cols)
                    throw new ArgumentException($"--table-rank must be below d = {matrix.Cols}, got {r}.");
                var tr = Ui.WithProgress(ctx, p => PooledExperiments.TableSpectrum(matrix, name, spec, s,
                    r < 0 ? null : r, b,
                    new Rng(ctx.Seed), p));
                PooledReports.Write(tr, sink);
                sink.Claims.AddRange(ReproduceReport.TableSpectrumClaims(tr));
                Ui.Info(ctx, $"table {name}: r = {tr.Fit.Rank}, KS exact-table {tr.KolmogorovExact:F4}, " +
                             $"KS fitted {tr.KolmogorovFitted:F4}, {tr.Outliers.Length} outliers above λ+ = {tr.BulkEdge:G4}");
                Ui.Files(ctx, sink);
                return 0;
            }
            var result = Ui.WithProgress(ctx, p => PooledExperiments.Spectrum(spec, s, b, new Rng(ctx.Seed), p));
            PooledReports.Write(result, sink);
            sink.Claims.AddRange(ReproduceReport.SpectrumClaims(result));
            Ui.Files(ctx, sink);
            return 0;
        });
        return cmd;
    }

    /// <summary>Cost model of one simulated draw (see docs/scaling.md): building the N pooled rows (N·T·d), a fresh
    /// V×d table, and about 100 Lanczos steps of two N×d products, at 10⁹ effective operations per second on
    /// 2 cores (calibrated in docs/scaling.md); memory for two worker threads' tables and pooled rows.</summary>
    private static ShardEstimate TrialCost(PooledSpec spec, int units, string what)
    {
        double ops = 2.0 * spec.N * spec.T * spec.D + (double)spec.V * spec.D + 200.0 * spec.N * spec.D;
        long bytes = 2L * 8 * ((long)spec.V * spec.D + (long)spec.N * spec.D) + (64L << 20);
        return new ShardEstimate(units, what, ops / 1e9, bytes);
    }

    private static Command PhaseCommand()
    {
        var mo = new ModelOptions();
        var snrMin = new Option<double>("--snr-min") { Description = "Smallest |mu|^2.",
            DefaultValueFactory = _ => 0.0 };
        var snrMax = new Option<double>("--snr-max") { Description = "Largest |mu|^2 (0: three times the sample threshold).", DefaultValueFactory = _ => 0.0 };
        var points = new Option<int>("--points") { Description = "Number of |mu|^2 values.",
            DefaultValueFactory = _ => 20 };
        var trials = new Option<int>("--trials") { Description = "Independent draws per value.",
            DefaultValueFactory = _ => 10 };
        var cmd = new Command("phase",
            "Outlier location and squared overlap vs |mu|^2: theory curves, simulation means with standard-error bars, population and sample thresholds.");
        mo.AddTo(cmd); cmd.Options.Add(snrMin); cmd.Options.Add(snrMax); cmd.Options.Add(points); cmd.Options.Add(trials);
        var shard = new ShardOptions();
        shard.AddTo(cmd, "rmt phase", pr => TrialCost(mo.Read(pr), pr.GetValue(points) * pr.GetValue(trials),
            "SNR point × trial"));
        cmd.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var spec = mo.Read(pr);
            Guards.Check(ctx, Guards.Pooled(spec));
            Guards.CustomNeedsCustomFamily(spec.CustomWeights != null, spec.Weights == WeightFamily.Custom);
            int np = pr.GetValue(points), nt = pr.GetValue(trials);
            double lo = pr.GetValue(snrMin), hi = pr.GetValue(snrMax);
            if (np < 2 || np > 500) throw new ArgumentException($"--points must lie in [2, 500], got {np}.");
            CheckTrials(nt);
            if (!(lo >= 0) || !double.IsFinite(lo))
                throw new ArgumentException($"--snr-min must be finite and >= 0, got {lo}.");
            if (hi > 0 && !(hi > lo && double.IsFinite(hi)))
                throw new ArgumentException($"--snr-max ({hi}) must be finite and larger than --snr-min ({lo}).");
            var mode = shard.Resolve(pr, ctx, "rmt-phase");
            var plan = ShardOptions.Plan(pr, np * nt, "SNR point × trial");
            var maybe = Ui.WithProgress(ctx, p => PooledExperiments.Phase(spec, lo, hi, np, nt, new Rng(ctx.Seed), mode, plan, p));
            if (maybe is not { } result)
            {
                ShardOptions.ReportStored(ctx, mode, plan);
                return 0;
            }
            var sink = ctx.Sink("rmt");
            PooledReports.Write(result, sink);
            sink.Claims.AddRange(ReproduceReport.PhaseClaims(result));
            var pts = result.Points;
            var t = new ResultTable("phase (theory vs simulation)", "|mu|^2", "rho", "top sim", "top theory",
                "overlap sim", "overlap theory");
            foreach (var q in pts) t.Add(q.Snr, q.Rho, q.TopMean, q.Theory.SampleTop, q.OverlapMean,
                q.Theory.SampleOverlap);
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
        var trials = new Option<int>("--trials") { Description = "Independent draws per scheme.",
            DefaultValueFactory = _ => 10 };
        var cmd = new Command("pooling",
            "Compare pooling schemes (mean, optimal, harmonic tau=0, harmonic --tau, custom): alpha/kappa, effective SNR, predicted threshold, predicted and simulated overlap.");
        mo.AddTo(cmd); cmd.Options.Add(snr); cmd.Options.Add(trials);
        var shard = new ShardOptions();
        shard.AddTo(cmd, "rmt pooling", pr =>
        {
            var spec = mo.Read(pr);
            return TrialCost(spec, PooledExperiments.Schemes(spec, spec.Tau).Count * pr.GetValue(trials), "scheme × trial");
        });
        cmd.SetAction(pr =>
        {
            var ctx = RunContext.From(pr);
            var spec = mo.Read(pr);
            Guards.Check(ctx, Guards.Pooled(spec));
            if (spec.Corr.IsIid && spec.Profile == null)
                Ui.Info(ctx,
                    "note: with --corr iid and a flat profile every scheme has alpha = kappa (no gain from weighting); " +
                             "try --corr exp:0.9 or --signal-profile decay:4.");
            double s = pr.GetValue(snr);
            if (!(s >= 0) || !double.IsFinite(s))
                throw new ArgumentException($"--snr must be finite and >= 0, got {s}.");
            int nt = pr.GetValue(trials);
            CheckTrials(nt);
            if (s == 0) s = PooledExperiments.DefaultPoolingSnr(spec);
            var mode = shard.Resolve(pr, ctx, "rmt-pooling");
            var plan = ShardOptions.Plan(pr, PooledExperiments.Schemes(spec, spec.Tau).Count * nt, "scheme × trial");
            var maybe = Ui.WithProgress(ctx, p => PooledExperiments.Pooling(spec, s, spec.Tau, nt, new Rng(ctx.Seed),
                mode, plan, p));
            if (maybe is not { } result)
            {
                ShardOptions.ReportStored(ctx, mode, plan);
                return 0;
            }
            var sink = ctx.Sink("rmt");
            PooledReports.Write(result, sink);
            sink.Claims.AddRange(ReproduceReport.PoolingClaims(result));
            var table = PooledReports.PoolingTable(result);
            var brief = new ResultTable($"pooling schemes at |mu|^2 = {s:G4}", "scheme", "alpha/kappa", "rho",
                "threshold |mu|^2", "overlap theory", "overlap sim", "se");
            foreach (var r in table.Rows) brief.Add(r[0], r[4], r[5], r[6], r[8], r[11], r[12]);
            Ui.Table(ctx, brief);
            Ui.Files(ctx, sink);
            return 0;
        });
        return cmd;
    }

    private static (Matrix Table, string Name) LoadTable(string arg)
    {
        if (AttentionSpectra.Models.BuiltinModels.IsBuiltin(arg))
            return (AttentionSpectra.Models.EmbeddingTables.MiniLm(), AttentionSpectra.Models.BuiltinModels.MiniLm);
        if (!arg.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--table must be 'minilm' or a .npy file (V x d), got '{arg}'.");
        var m = MatrixFile.Read(arg);
        if (m.Cols > 4000)
            throw new ArgumentException($"--table: d = {m.Cols} exceeds 4000 (dense eigensolver / memory).");
        if (m.Rows < 2 || m.Cols < 2)
            throw new ArgumentException($"--table: {arg} is {m.Rows}x{m.Cols}; need a V x d matrix.");
        return (m, Path.GetFileName(arg));
    }

    private static void CheckTrials(int trials)
    {
        if (trials < 2 || trials > 10000)
            throw new ArgumentException($"--trials must lie in [2, 10000], got {trials}.");
    }
}
