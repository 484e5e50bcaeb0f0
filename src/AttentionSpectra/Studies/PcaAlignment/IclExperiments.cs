using AttentionSpectra.Sharding;
using System.Text.Json.Serialization;
using AttentionSpectra.Attention;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>In-context PCA (docs/theory.md, Study A): each prompt has its own covariance Sigma ~ Wishart_n(V),
/// V = xi^2 I + theta v v'; the head must align with the shared spike v. v is a seeded random unit vector.</summary>
/// <param name="Head">Softmax or linear SGD, or Infinite (GD on R_ICL_inf).</param>
/// <param name="D">Token dimension.</param>
/// <param name="N">Wishart degrees of freedom.</param>
/// <param name="Xi">Noise level xi.</param>
/// <param name="Theta">Spike strength theta.</param>
/// <param name="L">Prompt length.</param>
/// <param name="Lam">Inverse temperature.</param>
/// <param name="Lr">Learning rate.</param>
/// <param name="Steps">Training steps.</param>
/// <param name="Batch">Prompts per step, each with its own Sigma (when <paramref name="SigmasPerStep"/> is null).</param>
/// <param name="Seeds">Independent runs.</param>
/// <param name="InitScale">s of the default init N(0, s^2/d); ignored when <paramref name="Init"/> is set.</param>
/// <param name="Records">Number of recorded points when <paramref name="RecordEvery"/> is not set.</param>
/// <param name="Init">Initial law; null means <see cref="InitLaw.ScaledGaussian"/>(InitScale).</param>
/// <param name="SpikePolicy">One spike v per seed or per figure (the latter is the paper's).</param>
/// <param name="SigmasPerStep">When set: covariances drawn per step (the paper: 100), each shared by
/// <paramref name="PromptsPerSigma"/> prompts; the batch is their product.</param>
/// <param name="PromptsPerSigma">Prompts per covariance (the paper: 100).</param>
/// <param name="Band">Band around the mean curve.</param>
/// <param name="RecordEvery">Record every K steps (overrides <paramref name="Records"/>).</param>
public sealed record IclOptions(
    TrainHead Head = TrainHead.Softmax, int D = 5, int N = 10, double Xi = 1, double Theta = 2, int L = 100, double Lam = 1e-3,
    double Lr = 5e-3, int Steps = 1000, int Batch = 256, int Seeds = 10, double InitScale = 0.01, int Records = 100,
    InitLaw? Init = null, SigmaPolicy SpikePolicy = SigmaPolicy.PerSeed, int? SigmasPerStep = null,
    int? PromptsPerSigma = null, BandKind Band = BandKind.Sd, int? RecordEvery = null)
{
    /// <summary>The initial law in effect.</summary>
    [JsonIgnore]
    public InitLaw EffectiveInit => Init ?? InitLaw.ScaledGaussian(InitScale);

    /// <summary>Steps between recorded points.</summary>
    [JsonIgnore]
    public int EffectiveRecordEvery => RecordEvery ?? Math.Max(1, Steps / Records);

    /// <summary>Prompts per step.</summary>
    [JsonIgnore]
    public int EffectiveBatch => SigmasPerStep is { } s && PromptsPerSigma is { } p ? s * p : Batch;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the offending parameter.</summary>
    public void Validate()
    {
        if (D < 1) throw new ArgumentException($"D must be >= 1 (got {D}).");
        if (N < 1) throw new ArgumentException($"N must be >= 1 (got {N}).");
        if (!(Xi > 0) || !double.IsFinite(Xi)) throw new ArgumentException($"Xi must be positive (got {Xi}).");
        if (!(Theta >= 0) || !double.IsFinite(Theta)) throw new ArgumentException($"Theta must be >= 0 (got {Theta}).");
        TrainingChecks.Common(L, Lam, Lr, Steps, Batch, Seeds, InitScale);
        if (Head == TrainHead.LinearExact) throw new ArgumentException("ICL has no LinearExact head (use Softmax, Linear or Infinite).");
        if ((SigmasPerStep is null) != (PromptsPerSigma is null))
            throw new ArgumentException("Give both SigmasPerStep and PromptsPerSigma, or neither.");
        if (SigmasPerStep is < 1) throw new ArgumentException($"SigmasPerStep must be >= 1 (got {SigmasPerStep}).");
        if (PromptsPerSigma is < 1) throw new ArgumentException($"PromptsPerSigma must be >= 1 (got {PromptsPerSigma}).");
        if (RecordEvery is < 1) throw new ArgumentException($"RecordEvery must be >= 1 (got {RecordEvery}).");
        Init?.Validate();
    }
}

/// <summary>One ICL run.</summary>
/// <param name="Seed">Run index.</param>
/// <param name="Spike">The spike v.</param>
/// <param name="Trace">Recorded trajectory.</param>
/// <param name="FinalAlphaSquared">(mu . v)^2 at the end.</param>
/// <param name="OptimalAlphaSquared">al*^2 of R_ICL_inf.</param>
/// <param name="FinalRisk">R_ICL_inf at the end.</param>
/// <param name="OptimalRisk">R_ICL_inf at al* v.</param>
/// <param name="InitialParameters">The parameters training started from (kept when asked for, else null).</param>
public sealed record IclSeedRun(int Seed, double[] Spike, TrainTrace Trace, double FinalAlphaSquared, double OptimalAlphaSquared,
    double FinalRisk, double OptimalRisk, double[]? InitialParameters = null);

/// <summary>Result of in-context training over several seeds.</summary>
/// <param name="Options">The options it ran with.</param>
/// <param name="Runs">One run per seed.</param>
/// <param name="Alignment">Alignment with the target against steps: mean, band and minimum over seeds.</param>
public sealed record IclResult(IclOptions Options, IReadOnlyList<IclSeedRun> Runs, BandSeries Alignment)
{
    /// <summary>Mean alignment over seeds at the last step.</summary>
    public double FinalMean => Alignment.Mean[^1];
    /// <summary>Smallest alignment over seeds at the last step.</summary>
    public double FinalMin => Alignment.Min[^1];
}

/// <summary>Study A in context (docs/theory.md §A): a head trained on prompts with their own spiked-Wishart
/// covariance learns the shared spike v.</summary>
public static class IclExperiments
{
    /// <summary>Trains <see cref="IclOptions.Seeds"/> runs; run s uses <c>new Rng(seed).Split(s)</c> (stream 0: the
    /// spike, stream 1: the init, stream 2: the prompts); a per-figure spike is the one of run 0.</summary>
    /// <param name="o">Options.</param>
    /// <param name="seed">Master seed.</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="task">Task name reported to <paramref name="progress"/>.</param>
    /// <param name="cancellationToken">Checked between recorded points.</param>
    public static IclResult Train(IclOptions o, ulong seed, IProgress<ProgressUpdate>? progress = null, string task = "icl train",
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        var root = new Rng(seed);
        var sharedSpike = o.SpikePolicy == SigmaPolicy.PerFigure ? root.Split(0).Split(0).UnitVector(o.D) : null;
        long total = (long)o.Seeds * o.Steps;
        double alStar2 = ClosedForms.IclOptimalAlphaSquared(o.D, o.N, o.Xi, o.Theta, o.Lam);
        var runs = new IclSeedRun[o.Seeds];
        for (int s = 0; s < o.Seeds; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            runs[s] = RunSeed(o, root, s, sharedSpike, alStar2, progress, task, total, cancellationToken);
        }
        return new IclResult(o, runs, BandSeries.From(runs.Select(r => r.Trace).ToList(), t => t.Alignment, o.Band,
            root.Split(SeedStatistics.BootstrapStream)));
    }

    /// <summary>Run s of <see cref="Train"/>: its spike (the shared one, or its own from stream 0), init (stream 1)
    /// and prompts (stream 2) all come from <c>root.Split(s)</c>, so a run is the same wherever it is
    /// computed.</summary>
    private static IclSeedRun RunSeed(IclOptions o, Rng root, int s, double[]? sharedSpike, double alStar2,
        IProgress<ProgressUpdate>? progress, string task, long total, CancellationToken cancellationToken)
    {
        var srng = root.Split((ulong)s);
        var v = sharedSpike ?? srng.Split(0).UnitVector(o.D);
        var init = o.EffectiveInit.Draw(srng.Split(1), 1, o.D);
        Trainer.LossGradient lg;
        if (o.Head == TrainHead.Infinite)
        {
            lg = (m, _, g) =>
            {
                ClosedForms.RIclGradient(m, v, o.N, o.Xi, o.Theta, o.Lam).CopyTo(g);
                return ClosedForms.RIcl(m, v, o.N, o.Xi, o.Theta, o.Lam);
            };
        }
        else if (o.SigmasPerStep is { } sigmas && o.PromptsPerSigma is { } per)
        {
            var gg = new GroupedWishartGradient(v, o.N, o.Xi, o.Theta,
                o.Head == TrainHead.Softmax ? HeadKind.Softmax : HeadKind.Linear, o.L, o.Lam, sigmas, per);
            lg = (m, rng, g) => gg.Compute(m, g, rng);
        }
        else
        {
            var bg = new BatchGradient(new SpikedWishartPromptSource(v, o.N, o.Xi, o.Theta),
                o.Head == TrainHead.Softmax ? HeadKind.Softmax : HeadKind.Linear, o.L, 1, o.Lam, o.Batch);
            lg = (m, rng, g) => bg.Compute(m, g, rng);
        }
        var trace = Trainer.Run(lg, init, 1, o.D, o.Lr, o.Steps, o.EffectiveRecordEvery, [v], srng.Split(2),
            step => progress.Report(task, (double)s * o.Steps + step, total), cancellationToken);
        var mu = trace.FinalParameters;
        double al = System.Numerics.Tensors.TensorPrimitives.Dot(mu, v);
        var opt = v.Select(x => x * Math.Sqrt(alStar2)).ToArray();
        return new IclSeedRun(s, v, trace, al * al, alStar2, ClosedForms.RIcl(mu, v, o.N, o.Xi, o.Theta, o.Lam),
            ClosedForms.RIcl(opt, v, o.N, o.Xi, o.Theta, o.Lam), init);
    }

    /// <summary>One point of an ICL sweep.</summary>
    /// <param name="Value">Value of the swept variable.</param>
    /// <param name="MeanAlignment">Mean final |cos(mu, v)|.</param>
    /// <param name="StdAlignment">Its standard deviation over seeds.</param>
    /// <param name="MinAlignment">Smallest final alignment.</param>
    /// <param name="MaxAlignment">Largest final alignment.</param>
    /// <param name="MeanAlphaSquared">Mean (mu . v)^2.</param>
    /// <param name="OptimalAlphaSquared">al*^2.</param>
    /// <param name="BandLo">Lower end of the band.</param>
    /// <param name="BandHi">Upper end of the band.</param>
    /// <param name="Finals">Final alignment of every seed.</param>
    /// <param name="Options">Options of this point (after couplings).</param>
    public sealed record IclSweepPoint(double Value, double MeanAlignment, double StdAlignment, double MinAlignment, double MaxAlignment,
        double MeanAlphaSquared, double OptimalAlphaSquared, double BandLo = double.NaN, double BandHi = double.NaN,
        double[]? Finals = null, IclOptions? Options = null);

    /// <summary>Final alignment |cos(mu, v)| vs one of L, n, theta, d.</summary>
    /// <param name="baseOptions">Options at every point except the swept variable.</param>
    /// <param name="over">"L", "n", "d" or "theta".</param>
    /// <param name="values">Grid.</param>
    /// <param name="seed">Master seed.</param>
    /// <param name="progress">Progress sink.</param>
    public static IReadOnlyList<IclSweepPoint> Sweep(IclOptions baseOptions, string over, IReadOnlyList<double> values, ulong seed,
        IProgress<ProgressUpdate>? progress = null)
    {
        var variable = over switch
        {
            "L" => SweepVariable.L,
            "n" => SweepVariable.N,
            "d" => SweepVariable.D,
            "theta" => SweepVariable.Theta,
            _ => throw new ArgumentException($"Unknown ICL sweep variable '{over}' (use L, n, d or theta)."),
        };
        return Sweep(baseOptions, new IclSweepSpec(variable, values, SweepCoupling.None), seed, progress);
    }

    /// <summary>Final alignment over a grid, with couplings (n = d, lam = C/d, lr = C/d^2, L = d) applied for a D
    /// sweep.</summary>
    /// <param name="baseOptions">Options at every point except the swept and coupled variables.</param>
    /// <param name="spec">Variable, grid and couplings.</param>
    /// <param name="seed">Master seed (the same at every point).</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Checked between points and runs.</param>
    public static IReadOnlyList<IclSweepPoint> Sweep(IclOptions baseOptions, IclSweepSpec spec, ulong seed,
        IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default) =>
        Sweep(baseOptions, spec, seed, ShardMode.InProcess, null, progress, cancellationToken)!;

    /// <summary>One unit of a sharded ICL sweep: run s at grid point i.</summary>
    /// <param name="Final">Final alignment |cos(mu, v)|.</param>
    /// <param name="FinalAlphaSquared">(mu . v)^2 at the end.</param>
    public sealed record IclSweepUnit(double Final, double FinalAlphaSquared);

    /// <summary>The sweep under a <see cref="ShardMode"/>: unit i·seeds + s is run s at grid point i (the same run as
    /// <see cref="Train"/> at that point: <c>new Rng(seed).Split(s)</c>). A shard that only stores its units returns
    /// null; a single-process run and a merge return the same points, bit for bit.</summary>
    /// <param name="baseOptions">Options at every point except the swept and coupled variables.</param>
    /// <param name="spec">Variable, grid and couplings.</param>
    /// <param name="seed">Master seed (the same at every point).</param>
    /// <param name="mode">In process, one shard, or merge.</param>
    /// <param name="plan">The job's plan (grid points × seeds units); null for an unnamed in-process job.</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Checked between recorded points.</param>
    public static IReadOnlyList<IclSweepPoint>? Sweep(IclOptions baseOptions, IclSweepSpec spec, ulong seed,
        ShardMode mode, ShardPlan? plan, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(baseOptions);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(mode);
        var values = spec.Values;
        if (values.Count == 0) throw new ArgumentException("Sweep needs at least one value.");
        var options = new IclOptions[values.Count];
        for (int i = 0; i < options.Length; i++)
        {
            double v = values[i];
            static int AsInt(double x, string what) => x >= 1 && x == Math.Floor(x) && x < int.MaxValue
                ? (int)x : throw new ArgumentException($"Sweep values for {what} must be positive integers (got {x}).");
            options[i] = spec.Over switch
            {
                SweepVariable.L => baseOptions with { L = AsInt(v, "L") },
                SweepVariable.N => baseOptions with { N = AsInt(v, "n") },
                SweepVariable.D => Couple(baseOptions with { D = AsInt(v, "d") }, spec.Coupling, AsInt(v, "d")),
                _ => baseOptions with { Theta = v },
            };
            options[i].Validate();
        }
        int seeds = baseOptions.Seeds;
        var root = new Rng(seed);
        var units = SweepUnits.Run("icl sweep", options.Length, seeds, mode, plan, (i, s) =>
        {
            var o = options[i];
            var shared = o.SpikePolicy == SigmaPolicy.PerFigure ? root.Split(0).Split(0).UnitVector(o.D) : null;
            double alStar2 = ClosedForms.IclOptimalAlphaSquared(o.D, o.N, o.Xi, o.Theta, o.Lam);
            var run = RunSeed(o, root, s, shared, alStar2, null, "", 0, cancellationToken);
            return new IclSweepUnit(run.Trace.Alignment[^1], run.FinalAlphaSquared);
        }, progress, cancellationToken);
        if (units == null) return null;
        var bandRng = new Rng(seed).Split(SeedStatistics.BootstrapStream);
        var pts = new List<IclSweepPoint>();
        for (int i = 0; i < options.Length; i++)
        {
            var o = options[i];
            var seg = new ArraySegment<IclSweepUnit>(units, i * seeds, seeds);
            var finals = seg.Select(x => x.Final).ToArray();
            var (lo, hi) = SeedStatistics.Band(finals, o.Band, bandRng.Split((ulong)i));
            pts.Add(new IclSweepPoint(values[i], finals.Average(), PcaTrainResult.Std(finals), finals.Min(),
                finals.Max(), seg.Average(x => x.FinalAlphaSquared),
                ClosedForms.IclOptimalAlphaSquared(o.D, o.N, o.Xi, o.Theta, o.Lam), lo, hi, finals, o));
        }
        return pts;
    }

    private static IclOptions Couple(IclOptions o, SweepCoupling c, int d)
    {
        if (c.LEqualsD) o = o with { L = d };
        if (c.NEqualsD) o = o with { N = d };
        if (c.LamTimesD is { } cl) o = o with { Lam = cl / d };
        if (c.LrTimesD2 is { } cr) o = o with { Lr = cr / ((double)d * d) };
        return o;
    }
}
