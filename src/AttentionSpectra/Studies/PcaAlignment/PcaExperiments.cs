using AttentionSpectra.Sharding;
using System.Numerics.Tensors;
using AttentionSpectra.Attention;
using System.Text.Json.Serialization;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>Options of a Gaussian "attention as PCA" run (docs/theory.md, Study A). By default Sigma = A A' + 0.1 I
/// per seed (A d x d standard normal) and mu_0 ~ N(0, InitScale^2 / d I) independently per parameter vector.</summary>
/// <param name="Head">Which risk is optimised (SGD on a finite-prompt head, or GD on a closed-form risk).</param>
/// <param name="D">Token dimension d.</param>
/// <param name="L">Prompt length (tokens including the query).</param>
/// <param name="Lam">Inverse temperature lam.</param>
/// <param name="Lr">Learning rate.</param>
/// <param name="Steps">Training steps.</param>
/// <param name="Batch">Prompts per SGD step.</param>
/// <param name="Seeds">Independent runs.</param>
/// <param name="Rank">Number k of parameter vectors.</param>
/// <param name="InitScale">s of the default init N(0, s^2/d); ignored when <paramref name="Init"/> is set.</param>
/// <param name="Eigenbasis">Sample tokens in Sigma's eigenbasis (an exact equivalence, O(L d) sampling).</param>
/// <param name="Records">Number of recorded points when <paramref name="RecordEvery"/> is not set.</param>
/// <param name="Init">Initial law; null means <see cref="InitLaw.ScaledGaussian"/>(InitScale).</param>
/// <param name="Sigma">A fixed token covariance (d x d, symmetric positive definite) used by every run.</param>
/// <param name="SigmaPolicy">When <paramref name="Sigma"/> is null: one random Sigma per seed or per figure.</param>
/// <param name="Band">Band around the mean curve.</param>
/// <param name="RecordEvery">Record every K steps (overrides <paramref name="Records"/>).</param>
/// <param name="LinearCrossTermFactor">For <see cref="TrainHead.LinearExact"/>: the factor c of the
/// lam^2 (L+2)(L+3) (b Sigma mu + a Sigma^2 mu) gradient term, 2 (exact) or 4 (the authors' code).</param>
/// <param name="RankOneForm">For <see cref="TrainHead.Infinite"/> with Rank = 1: evaluate R_inf and its gradient
/// with the O(d^2) rank-one formulas instead of the rank-k trace form (O(d^3)); equal up to rounding. Off by default
/// so that earlier runs keep their bits; the paper presets turn it on (the d sweep reaches d = 98).</param>
public sealed record PcaTrainOptions(
    TrainHead Head = TrainHead.Softmax, int D = 5, int L = 100, double Lam = 0.1, double Lr = 1e-4, int Steps = 3000,
    int Batch = 256, int Seeds = 10, int Rank = 1, double InitScale = 0.01, bool Eigenbasis = false, int Records = 100,
    InitLaw? Init = null, [property: JsonIgnore] Matrix? Sigma = null, SigmaPolicy SigmaPolicy = SigmaPolicy.PerSeed,
    BandKind Band = BandKind.Sd, int? RecordEvery = null, double LinearCrossTermFactor = 2, bool RankOneForm = false)
{
    /// <summary>Reference configuration of docs/theory.md, Study A, for a head.</summary>
    /// <param name="head">The head.</param>
    public static PcaTrainOptions Reference(TrainHead head) => head switch
    {
        TrainHead.Softmax => new(TrainHead.Softmax, 5, 100, 0.1, 1e-4, 3000, 256, 10),
        TrainHead.Linear => new(TrainHead.Linear, 5, 6, 0.01, 1e-4, 5000, 256, 10),
        TrainHead.LinearExact => new(TrainHead.LinearExact, 5, 6, 0.01, 1e-4, 5000, 256, 10),
        _ => new(TrainHead.Infinite, 5, 100, 0.01, 1e-3, 3000, 256, 10),
    };

    /// <summary>The initial law in effect.</summary>
    [JsonIgnore]
    public InitLaw EffectiveInit => Init ?? InitLaw.ScaledGaussian(InitScale);

    /// <summary>Steps between recorded points.</summary>
    [JsonIgnore]
    public int EffectiveRecordEvery => RecordEvery ?? Math.Max(1, Steps / Records);

    /// <summary>True when the run optimises a closed-form risk by deterministic gradient descent.</summary>
    [JsonIgnore]
    public bool IsGradientDescent => Head is TrainHead.Infinite or TrainHead.LinearExact;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the offending parameter.</summary>
    public void Validate()
    {
        if (D < 1) throw new ArgumentException($"D must be >= 1 (got {D}).");
        TrainingChecks.Common(L, Lam, Lr, Steps, Batch, Seeds, InitScale);
        if (Rank < 1 || Rank > D) throw new ArgumentException($"Rank must be in [1, D] = [1, {D}] (got {Rank}).");
        if (Records < 1) throw new ArgumentException("Records must be >= 1.");
        if (RecordEvery is < 1) throw new ArgumentException($"RecordEvery must be >= 1 (got {RecordEvery}).");
        Init?.Validate();
        if (Head == TrainHead.LinearExact && Rank != 1)
            throw new ArgumentException("Head LinearExact (gradient descent on R_lin,L) is defined for Rank = 1 only.");
        if (!double.IsFinite(LinearCrossTermFactor))
            throw new ArgumentException("LinearCrossTermFactor must be finite.");
        if (Sigma is not null)
        {
            CovarianceChecks.RequireSymmetricPositiveDefinite(Sigma, nameof(Sigma));
            if (Sigma.Rows != D) throw new ArgumentException($"Sigma is {Sigma.Rows} x {Sigma.Rows} but D = {D}.");
        }
    }
}

/// <summary>One seed of a run: the covariance spectrum, the trace and final closed-form diagnostics. FinalRisk /
/// OptimalRisk / TargetNormSquared refer to R_inf (softmax, infinite; optimum sum_{i>k} lambda_i, ||M||^2 =
/// sum_{i &lt;= k} 1/(lam lambda_i)) or, for the rank-one linear head, to the exact finite-L risk R_lin,L and its minimum
/// along u_1.</summary>
/// <param name="Seed">Run index.</param>
/// <param name="Eigenvalues">Eigenvalues of Sigma, descending.</param>
/// <param name="Trace">Recorded trajectory.</param>
/// <param name="FinalRisk">Closed-form risk at the final parameters.</param>
/// <param name="OptimalRisk">Its minimum.</param>
/// <param name="FinalNormSquared">||M||_F^2 at the end.</param>
/// <param name="TargetNormSquared">||M||_F^2 at the optimum.</param>
/// <param name="Sigma">The covariance of this run (in the sampled basis).</param>
/// <param name="Eigenvectors">Unit eigenvectors of <paramref name="Sigma"/>, descending eigenvalue order.</param>
/// <param name="InitialParameters">mu_0 (k x d).</param>
public sealed record SeedRun(int Seed, double[] Eigenvalues, TrainTrace Trace, double FinalRisk, double OptimalRisk,
    double FinalNormSquared, double TargetNormSquared, [property: JsonIgnore] Matrix? Sigma = null,
    double[][]? Eigenvectors = null, double[]? InitialParameters = null);

/// <summary>Mean and band (mean +- one standard deviation across seeds, clipped to [0, 1]) of a recorded metric.</summary>
public sealed record BandSeries(int[] Steps, double[] Mean, double[] Lo, double[] Hi, double[] Min)
{
    /// <summary>Band of <paramref name="metric"/> over the traces, of the given kind.</summary>
    /// <param name="traces">One trace per seed (same recorded steps).</param>
    /// <param name="metric">The recorded series.</param>
    /// <param name="band">Band kind.</param>
    /// <param name="rng">Generator of the bootstrap resamples.</param>
    public static BandSeries From(IReadOnlyList<TrainTrace> traces, Func<TrainTrace, double[]> metric, BandKind band,
        Rng rng)
    {
        var sd = From(traces, metric);
        if (band == BandKind.Sd) return sd;
        ArgumentNullException.ThrowIfNull(rng);
        var lo = new double[sd.Steps.Length]; var hi = new double[sd.Steps.Length];
        for (int i = 0; i < lo.Length; i++)
            (lo[i], hi[i]) = SeedStatistics.Band(traces.Select(t => metric(t)[i]).ToArray(), band, rng.Split((ulong)i));
        return sd with { Lo = lo, Hi = hi };
    }

    /// <summary>Mean +- one sd band of <paramref name="metric"/> over the traces.</summary>
    /// <param name="traces">One trace per seed (same recorded steps).</param>
    /// <param name="metric">The recorded series.</param>
    public static BandSeries From(IReadOnlyList<TrainTrace> traces, Func<TrainTrace, double[]> metric)
    {
        var steps = traces[0].Steps;
        int n = steps.Length, s = traces.Count;
        var mean = new double[n]; var lo = new double[n]; var hi = new double[n]; var min = new double[n];
        for (int i = 0; i < n; i++)
        {
            double m = 0, q = 0, mn = double.PositiveInfinity;
            foreach (var t in traces) { double v = metric(t)[i]; m += v; q += v * v; mn = Math.Min(mn, v); }
            m /= s;
            double sd = s > 1 ? Math.Sqrt(Math.Max(0, (q - s * m * m) / (s - 1))) : 0;
            mean[i] = m; lo[i] = Math.Max(0, m - sd); hi[i] = Math.Min(1, m + sd); min[i] = mn;
        }
        return new BandSeries(steps, mean, lo, hi, min);
    }
}

/// <summary>Result of training a head on Gaussian prompts over several seeds.</summary>
/// <param name="Options">The options it ran with.</param>
/// <param name="Runs">One run per seed.</param>
/// <param name="Alignment">Alignment with the target against steps: mean, band and minimum over seeds.</param>
public sealed record PcaTrainResult(PcaTrainOptions Options, IReadOnlyList<SeedRun> Runs, BandSeries Alignment)
{
    /// <summary>Mean alignment over seeds at the last step.</summary>
    public double FinalMean => Alignment.Mean[^1];
    /// <summary>Smallest alignment over seeds at the last step.</summary>
    public double FinalMin => Alignment.Min[^1];
    /// <summary>Standard deviation of the final alignment over seeds.</summary>
    public double FinalStd => Std(Runs.Select(r => r.Trace.Alignment[^1]).ToArray());
    internal static double Std(double[] x) => SeedStatistics.Std(x);
}

/// <summary>Gaussian experiments of docs/theory.md §A: training runs over seeds, sweeps over L or d, the landscape.</summary>
public static class PcaExperiments
{
    /// <summary>Sigma = A A' + 0.1 I with A d x d standard normal.</summary>
    public static Matrix RandomCovariance(Rng rng, int d)
    {
        var a = Samplers.Gaussian(rng, d, d);
        var s = Blas.Multiply(a, a, transB: true);
        for (int i = 0; i < d; i++) s[i, i] += 0.1;
        return s;
    }

    /// <summary>Eigen-decomposition sorted descending: (values, unit eigenvectors).</summary>
    public static (double[] Values, double[][] Vectors) SortedEigen(Matrix sigma)
    {
        var e = SymmetricEigen.Decompose(sigma);
        int d = sigma.Rows;
        var vals = new double[d]; var vecs = new double[d][];
        for (int i = 0; i < d; i++) { vals[i] = e.Values[d - 1 - i]; vecs[i] = e.Vector(d - 1 - i); }
        return (vals, vecs);
    }

    /// <summary>Initial parameters: k x d entries iid N(0, initScale^2 / d).</summary>
    public static double[] Init(Rng rng, int k, int d, double initScale)
    {
        var m = new double[k * d];
        rng.FillGaussian(m, 0, initScale / Math.Sqrt(d));
        return m;
    }

    /// <summary>Trains <see cref="PcaTrainOptions.Seeds"/> independent runs. Run s uses the generator
    /// <c>new Rng(seed).Split(s)</c>: stream 0 draws its Sigma (per-seed policy), stream 1 the init, stream 2 the
    /// prompts; a per-figure Sigma is the one of run 0.</summary>
    /// <param name="o">Options.</param>
    /// <param name="seed">Master seed.</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="task">Task name reported to <paramref name="progress"/>.</param>
    /// <param name="cancellationToken">Checked between recorded points.</param>
    public static PcaTrainResult Train(PcaTrainOptions o, ulong seed, IProgress<ProgressUpdate>? progress = null,
        string task = "pca train", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        var root = new Rng(seed);
        var runs = new SeedRun[o.Seeds];
        long total = (long)o.Seeds * o.Steps;
        var shared = o.Sigma ?? (o.SigmaPolicy == SigmaPolicy.PerFigure ? RandomCovariance(root.Split(0).Split(0), o.D) : null);
        for (int s = 0; s < o.Seeds; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            runs[s] = RunSeed(o, root, s, shared, progress, task, total, cancellationToken);
        }
        var traces = runs.Select(r => r.Trace).ToList();
        return new PcaTrainResult(o, runs,
            BandSeries.From(traces, t => t.Alignment, o.Band, root.Split(SeedStatistics.BootstrapStream)));
    }

    /// <summary>Run s of <see cref="Train"/>: its Σ (the shared one, or its own from stream 0), init (stream 1) and
    /// prompts (stream 2) all come from <c>root.Split(s)</c>, so a run is the same wherever it is computed.</summary>
    private static SeedRun RunSeed(PcaTrainOptions o, Rng root, int s, Matrix? shared, IProgress<ProgressUpdate>? progress,
        string task, long total, CancellationToken cancellationToken)
    {
        int recordEvery = o.EffectiveRecordEvery;
        var srng = root.Split((ulong)s);
        var sigma = shared ?? RandomCovariance(srng.Split(0), o.D);
        var (vals, vecs) = SortedEigen(sigma);
        if (o.Eigenbasis)
        {
            // Rotation equivariance: training with tokens U'x ~ N(0, Lambda) and reading mu in that basis is
            // the same process as training with Sigma (isotropic init), at O(L d) sampling cost.
            sigma = Matrix.Diagonal(vals);
            vecs = Enumerable.Range(0, o.D).Select(i => { var e = new double[o.D]; e[i] = 1; return e; }).ToArray();
        }
        var reference = vecs.Take(o.Rank).ToArray();
        var init = o.EffectiveInit.Draw(srng.Split(1), o.Rank, o.D);
        var lossGrad = MakeObjective(o, sigma, progress);
        var trace = Trainer.Run(lossGrad, init, o.Rank, o.D, o.Lr, o.Steps, recordEvery, reference, srng.Split(2),
            step => progress.Report(task, (double)s * o.Steps + step, total), cancellationToken);
        double finalRisk, optimal, target;
        if (o.Head is TrainHead.Linear or TrainHead.LinearExact && o.Rank == 1)
        {
            // Linear head at finite L: its own exact risk R_lin,L and the minimum of R_lin,L along u_1
            // (R(q u_1), q = s^2: t - 2 lam q c1 + lam^2 q^2 c2 with c1 = t l1 + (L+1) l1^2,
            // c2 = (L+2)(t l1^2 + (L+3) l1^3)).
            double t = vals.Sum(), l1 = vals[0];
            double c1 = t * l1 + (o.L + 1) * l1 * l1, c2 = (o.L + 2.0) * (t * l1 * l1 + (o.L + 3.0) * l1 * l1 * l1);
            double q = c1 / (o.Lam * c2);
            finalRisk = ClosedForms.RLinear(sigma, trace.FinalParameters, o.Lam, o.L);
            optimal = t - o.Lam * q * c1;
            target = q;
        }
        else
        {
            finalRisk = ClosedForms.RInfRankK(sigma, trace.FinalParameters, o.Rank, o.Lam);
            optimal = vals.Skip(o.Rank).Sum();
            target = vals.Take(o.Rank).Sum(l => 1.0 / (o.Lam * l));
        }
        return new SeedRun(s, vals, trace, finalRisk, optimal,
            TensorPrimitives.Dot(trace.FinalParameters, trace.FinalParameters), target, sigma, vecs, init);
    }

    internal static Trainer.LossGradient MakeObjective(PcaTrainOptions o, Matrix sigma,
        IProgress<ProgressUpdate>? progress = null)
    {
        if (o.Head == TrainHead.Infinite && o.Rank == 1 && o.RankOneForm)
        {
            return (m, _, g) =>
            {
                ClosedForms.RInfGradient(sigma, m, o.Lam).CopyTo(g);
                return ClosedForms.RInf(sigma, m, o.Lam);
            };
        }
        if (o.Head == TrainHead.Infinite)
        {
            return (m, _, g) =>
            {
                ClosedForms.RInfRankKGradient(sigma, m, o.Rank, o.Lam).CopyTo(g);
                return ClosedForms.RInfRankK(sigma, m, o.Rank, o.Lam);
            };
        }
        if (o.Head == TrainHead.LinearExact)
        {
            return (m, _, g) =>
            {
                ClosedForms.RLinearGradient(sigma, m, o.Lam, o.L, o.LinearCrossTermFactor).CopyTo(g);
                return ClosedForms.RLinear(sigma, m, o.Lam, o.L);
            };
        }
        var bg = new BatchGradient(new GaussianPromptSource(sigma), o.Head == TrainHead.Softmax ? HeadKind.Softmax : HeadKind.Linear,
            o.L, o.Rank, o.Lam, o.Batch) { Progress = progress };
        return (m, rng, g) => bg.Compute(m, g, rng);
    }

    /// <summary>One point of a sweep.</summary>
    /// <param name="Value">Value of the swept variable.</param>
    /// <param name="MeanAlignment">Mean final alignment over seeds.</param>
    /// <param name="StdAlignment">Its standard deviation over seeds.</param>
    /// <param name="MinAlignment">Smallest final alignment.</param>
    /// <param name="MaxAlignment">Largest final alignment.</param>
    /// <param name="MeanExcessRisk">Mean excess closed-form risk.</param>
    /// <param name="Options">Options of this point (after couplings).</param>
    /// <param name="BandLo">Lower end of the band (<see cref="PcaTrainOptions.Band"/>).</param>
    /// <param name="BandHi">Upper end of the band.</param>
    /// <param name="Finals">Final alignment of every seed.</param>
    /// <param name="MeanRelativeEigengap">Mean of (lambda_1 - lambda_2) / lambda_1 over the seeds' covariances.</param>
    public sealed record SweepPoint(double Value, double MeanAlignment, double StdAlignment, double MinAlignment, double MaxAlignment,
        double MeanExcessRisk, PcaTrainOptions Options, double BandLo = double.NaN, double BandHi = double.NaN,
        double[]? Finals = null, double MeanRelativeEigengap = double.NaN);

    /// <summary>Final alignment vs L or vs d. For d, when <paramref name="scaleWithD"/> is set, lam = 0.1/d and
    /// lr = 0.5/d^2 (docs/theory.md, Study A).</summary>
    /// <param name="baseOptions">Options at every point except the swept variable.</param>
    /// <param name="over">"L" or "d".</param>
    /// <param name="values">Grid.</param>
    /// <param name="scaleWithD">Couple lam and lr to d.</param>
    /// <param name="seed">Master seed.</param>
    /// <param name="progress">Progress sink.</param>
    public static IReadOnlyList<SweepPoint> Sweep(PcaTrainOptions baseOptions, string over, IReadOnlyList<int> values, bool scaleWithD,
        ulong seed, IProgress<ProgressUpdate>? progress = null)
    {
        var variable = over switch
        {
            "L" => SweepVariable.L,
            "d" => SweepVariable.D,
            _ => throw new ArgumentException($"Unknown sweep variable '{over}' (use L or d)."),
        };
        var coupling = variable == SweepVariable.D && scaleWithD ? SweepCoupling.Theory : SweepCoupling.None;
        return Sweep(baseOptions, new PcaSweepSpec(variable, values, coupling), seed, progress);
    }

    /// <summary>Final alignment over a grid of L or d, with couplings applied at each point.</summary>
    /// <param name="baseOptions">Options at every point except the swept variable and the coupled ones.</param>
    /// <param name="spec">Variable, grid and couplings.</param>
    /// <param name="seed">Master seed (the same at every point).</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Checked between points and runs.</param>
    public static IReadOnlyList<SweepPoint> Sweep(PcaTrainOptions baseOptions, PcaSweepSpec spec, ulong seed,
        IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default) =>
        Sweep(baseOptions, spec, seed, ShardMode.InProcess, null, progress, cancellationToken)!;

    /// <summary>One unit of a sharded sweep: run s at grid point i.</summary>
    /// <param name="Final">Final alignment.</param>
    /// <param name="FinalRisk">Final risk.</param>
    /// <param name="OptimalRisk">Optimal risk of the run's Σ.</param>
    /// <param name="RelativeEigengap">(λ₁ − λ₂)/λ₁ of the run's Σ.</param>
    public sealed record SweepUnit(double Final, double FinalRisk, double OptimalRisk, double RelativeEigengap);

    /// <summary>The sweep under a <see cref="ShardMode"/>: unit i·seeds + s is run s at grid point i (the same run as
    /// <see cref="Train"/> at that point: <c>new Rng(seed).Split(s)</c>). A shard that only stores its units returns
    /// null; a single-process run and a merge return the same points, bit for bit.</summary>
    /// <param name="baseOptions">Options at every point except the swept variable and the coupled ones.</param>
    /// <param name="spec">Variable, grid and couplings.</param>
    /// <param name="seed">Master seed (the same at every point).</param>
    /// <param name="mode">In process, one shard, or merge.</param>
    /// <param name="plan">The job's plan (grid points × seeds units).</param>
    /// <param name="progress">Progress sink.</param>
    /// <param name="cancellationToken">Checked between recorded points.</param>
    public static IReadOnlyList<SweepPoint>? Sweep(PcaTrainOptions baseOptions, PcaSweepSpec spec, ulong seed,
        ShardMode mode, ShardPlan? plan, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(baseOptions);
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Values.Count == 0) throw new ArgumentException("Sweep needs at least one value.");
        if (spec.Over is not (SweepVariable.L or SweepVariable.D))
            throw new ArgumentException($"A PCA sweep runs over L or D (got {spec.Over}).");
        var options = new PcaTrainOptions[spec.Values.Count];
        for (int i = 0; i < options.Length; i++)
        {
            int v = spec.Values[i];
            if (v < 1) throw new ArgumentException($"Sweep values must be >= 1 (got {v}).");
            options[i] = spec.Over == SweepVariable.L ? baseOptions with { L = v } : Couple(baseOptions with { D = v }, spec.Coupling, v);
            options[i].Validate();
        }
        int seeds = baseOptions.Seeds;
        if (options.Any(o => o.Seeds != seeds)) throw new ArgumentException("Every sweep point must have the same seeds.");
        var root = new Rng(seed);
        var units = SweepUnits.Run("pca sweep", options.Length, seeds, mode, plan, (i, s) =>
        {
            var o = options[i];
            var shared = o.Sigma ?? (o.SigmaPolicy == SigmaPolicy.PerFigure ? RandomCovariance(root.Split(0).Split(0), o.D) : null);
            var run = RunSeed(o, root, s, shared, null, "", 0, cancellationToken);
            double gap = run.Eigenvalues.Length > 1 ? (run.Eigenvalues[0] - run.Eigenvalues[1]) / run.Eigenvalues[0] : 1;
            return new SweepUnit(run.Trace.Alignment[^1], run.FinalRisk, run.OptimalRisk, gap);
        }, progress, cancellationToken);
        if (units == null) return null;
        var pts = new List<SweepPoint>();
        var bandRng = new Rng(seed).Split(SeedStatistics.BootstrapStream);
        for (int i = 0; i < options.Length; i++)
        {
            var o = options[i];
            var seg = new ArraySegment<SweepUnit>(units, i * seeds, seeds);
            var finals = seg.Select(x => x.Final).ToArray();
            var (lo, hi) = SeedStatistics.Band(finals, o.Band, bandRng.Split((ulong)i));
            double gap = seg.Average(x => x.RelativeEigengap);
            pts.Add(new SweepPoint(spec.Values[i], finals.Average(), PcaTrainResult.Std(finals), finals.Min(), finals.Max(),
                seg.Average(x => x.FinalRisk - x.OptimalRisk), o, lo, hi, finals, gap));
        }
        return pts;
    }

    private static PcaTrainOptions Couple(PcaTrainOptions o, SweepCoupling c, int d)
    {
        if (c.LEqualsD) o = o with { L = d };
        if (c.LamTimesD is { } cl) o = o with { Lam = cl / d };
        if (c.LrTimesD2 is { } cr) o = o with { Lr = cr / ((double)d * d) };
        return o;
    }

    /// <summary>Landscape of R_inf for one random Sigma: critical points, the risk along the optimal-norm path from
    /// u_1 to u_2 (angle theta, R*(theta) = t - b_w/a_w for w = cos theta u_1 + sin theta u_2), and the radial profile
    /// R_inf(s u_1) for s in [0, 2 s*], s* = 1/sqrt(lam lambda_1).</summary>
    public sealed record Landscape(Matrix Sigma, double[] Eigenvalues, IReadOnlyList<CriticalPoint> Points,
        double[] Angles, double[] AngleRisk, double[] Radii, double[] RadialRisk, double[] RadialRiskU2);

    /// <summary>The landscape of R_inf for a random d x d covariance drawn from <paramref name="seed"/> and score scale
    /// <paramref name="lam"/>, on <paramref name="points"/> angles and radii.</summary>
    public static Landscape ComputeLandscape(int d, double lam, ulong seed, int points = 181)
    {
        if (d < 2) throw new ArgumentException($"d must be >= 2 for the landscape (got {d}).");
        if (!(lam > 0) || !double.IsFinite(lam)) throw new ArgumentException($"lam must be positive and finite (got {lam}).");
        var sigma = RandomCovariance(new Rng(seed).Split(0), d);
        var (vals, vecs) = SortedEigen(sigma);
        var cps = CriticalPoints.Enumerate(sigma, lam);
        double t = sigma.Trace();
        var ang = new double[points]; var ar = new double[points];
        for (int i = 0; i < points; i++)
        {
            double th = Math.PI * i / (points - 1);
            var w = new double[d];
            for (int j = 0; j < d; j++) w[j] = Math.Cos(th) * vecs[0][j] + Math.Sin(th) * vecs[1][j];
            var (a, b, _, _) = ClosedForms.Moments(sigma, w);
            ang[i] = th * 180 / Math.PI; ar[i] = t - b / a;
        }
        var rad = new double[points]; var rr = new double[points]; var rr2 = new double[points];
        double s1 = 1 / Math.Sqrt(lam * vals[0]), s2 = 1 / Math.Sqrt(lam * vals[1]);
        double smax = 2 * Math.Max(s1, s2);
        for (int i = 0; i < points; i++)
        {
            double s = smax * i / (points - 1);
            rad[i] = s;
            rr[i] = ClosedForms.RInf(sigma, vecs[0].Select(x => s * x).ToArray(), lam);
            rr2[i] = ClosedForms.RInf(sigma, vecs[1].Select(x => s * x).ToArray(), lam);
        }
        return new Landscape(sigma, vals, cps, ang, ar, rad, rr, rr2);
    }
}
