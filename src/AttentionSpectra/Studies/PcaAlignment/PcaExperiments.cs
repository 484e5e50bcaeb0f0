using System.Numerics.Tensors;
using AttentionSpectra.Attention;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>Options of a Gaussian "attention as PCA" run (THEORY.md A). Sigma = A A' + 0.1 I per seed
/// (A d x d standard normal); mu_0 ~ N(0, InitScale^2 / d I) independently per parameter vector.</summary>
public sealed record PcaTrainOptions(
    TrainHead Head = TrainHead.Softmax, int D = 5, int L = 100, double Lam = 0.1, double Lr = 1e-4, int Steps = 3000,
    int Batch = 256, int Seeds = 10, int Rank = 1, double InitScale = 0.01, bool Eigenbasis = false, int Records = 100)
{
    /// <summary>Reference configuration of THEORY.md A for a head.</summary>
    public static PcaTrainOptions Reference(TrainHead head) => head switch
    {
        TrainHead.Softmax => new(TrainHead.Softmax, 5, 100, 0.1, 1e-4, 3000, 256, 10),
        TrainHead.Linear => new(TrainHead.Linear, 5, 6, 0.01, 1e-4, 5000, 256, 10),
        _ => new(TrainHead.Infinite, 5, 100, 0.01, 1e-3, 3000, 256, 10),
    };

    public void Validate()
    {
        if (D < 1) throw new ArgumentException($"--d must be >= 1 (got {D}).");
        TrainingChecks.Common(L, Lam, Lr, Steps, Batch, Seeds, InitScale);
        if (Rank < 1 || Rank > D) throw new ArgumentException($"--rank must be in [1, d] = [1, {D}] (got {Rank}).");
        if (Records < 1) throw new ArgumentException("Records must be >= 1.");
    }
}

/// <summary>One seed of a run: the covariance spectrum, the trace and final closed-form diagnostics. FinalRisk /
/// OptimalRisk / TargetNormSquared refer to R_inf (softmax, infinite; optimum sum_{i>k} lambda_i, ||M||^2 =
/// sum_{i<=k} 1/(lam lambda_i)) or, for the rank-one linear head, to the exact finite-L risk R_lin,L and its minimum
/// along u_1.</summary>
public sealed record SeedRun(int Seed, double[] Eigenvalues, TrainTrace Trace, double FinalRisk, double OptimalRisk,
    double FinalNormSquared, double TargetNormSquared);

/// <summary>Mean and band (mean +- one standard deviation across seeds, clipped to [0, 1]) of a recorded metric.</summary>
public sealed record BandSeries(int[] Steps, double[] Mean, double[] Lo, double[] Hi, double[] Min)
{
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

public sealed record PcaTrainResult(PcaTrainOptions Options, IReadOnlyList<SeedRun> Runs, BandSeries Alignment)
{
    public double FinalMean => Alignment.Mean[^1];
    public double FinalMin => Alignment.Min[^1];
    public double FinalStd => Std(Runs.Select(r => r.Trace.Alignment[^1]).ToArray());
    internal static double Std(double[] x)
    {
        if (x.Length < 2) return 0;
        double m = x.Average();
        return Math.Sqrt(x.Sum(v => (v - m) * (v - m)) / (x.Length - 1));
    }
}

/// <summary>Gaussian experiments of THEORY.md A: training runs over seeds, sweeps over L or d, the landscape.</summary>
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

    public static PcaTrainResult Train(PcaTrainOptions o, ulong seed, IProgress<ProgressUpdate>? progress = null, string task = "pca train")
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        var root = new Rng(seed);
        var runs = new SeedRun[o.Seeds];
        int recordEvery = Math.Max(1, o.Steps / o.Records);
        long total = (long)o.Seeds * o.Steps;
        for (int s = 0; s < o.Seeds; s++)
        {
            var srng = root.Split((ulong)s);
            var sigma = RandomCovariance(srng.Split(0), o.D);
            var (vals, vecs) = SortedEigen(sigma);
            if (o.Eigenbasis)
            {
                // Rotation equivariance: training with tokens U'x ~ N(0, Lambda) and reading mu in that basis is
                // the same process as training with Sigma (isotropic init), at O(L d) sampling cost.
                sigma = Matrix.Diagonal(vals);
                vecs = Enumerable.Range(0, o.D).Select(i => { var e = new double[o.D]; e[i] = 1; return e; }).ToArray();
            }
            var reference = vecs.Take(o.Rank).ToArray();
            var init = Init(srng.Split(1), o.Rank, o.D, o.InitScale);
            var lossGrad = MakeObjective(o, sigma, progress);
            int si = s;
            var trace = Trainer.Run(lossGrad, init, o.Rank, o.D, o.Lr, o.Steps, recordEvery, reference, srng.Split(2),
                step => progress.Report(task, (double)si * o.Steps + step, total));
            double finalRisk, optimal, target;
            if (o.Head == TrainHead.Linear && o.Rank == 1)
            {
                // Linear head at finite L: its own exact risk R_lin,L and the minimum of R_lin,L along u_1
                // (R(q u_1), q = s^2: t - 2 lam q c1 + lam^2 q^2 c2 with c1 = t l1 + (L+1) l1^2, c2 = (L+2)(t l1^2 + (L+3) l1^3)).
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
            runs[s] = new SeedRun(s, vals, trace, finalRisk, optimal, TensorPrimitives.Dot(trace.FinalParameters, trace.FinalParameters), target);
        }
        return new PcaTrainResult(o, runs, BandSeries.From(runs.Select(r => r.Trace).ToList(), t => t.Alignment));
    }

    internal static Trainer.LossGradient MakeObjective(PcaTrainOptions o, Matrix sigma,
        IProgress<ProgressUpdate>? progress = null)
    {
        if (o.Head == TrainHead.Infinite)
        {
            return (m, _, g) =>
            {
                ClosedForms.RInfRankKGradient(sigma, m, o.Rank, o.Lam).CopyTo(g);
                return ClosedForms.RInfRankK(sigma, m, o.Rank, o.Lam);
            };
        }
        var bg = new BatchGradient(new GaussianPromptSource(sigma), o.Head == TrainHead.Softmax ? HeadKind.Softmax : HeadKind.Linear,
            o.L, o.Rank, o.Lam, o.Batch) { Progress = progress };
        return (m, rng, g) => bg.Compute(m, g, rng);
    }

    /// <summary>One point of a sweep.</summary>
    public sealed record SweepPoint(double Value, double MeanAlignment, double StdAlignment, double MinAlignment, double MaxAlignment,
        double MeanExcessRisk, PcaTrainOptions Options);

    /// <summary>Final alignment vs L or vs d. For d, when <paramref name="scaleWithD"/> is set, lam = 0.1/d and
    /// lr = 0.5/d^2 (THEORY.md A).</summary>
    public static IReadOnlyList<SweepPoint> Sweep(PcaTrainOptions baseOptions, string over, IReadOnlyList<int> values, bool scaleWithD,
        ulong seed, IProgress<ProgressUpdate>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(baseOptions);
        if (values.Count == 0) throw new ArgumentException("Sweep needs at least one value.");
        var pts = new List<SweepPoint>();
        for (int i = 0; i < values.Count; i++)
        {
            int v = values[i];
            if (v < 1) throw new ArgumentException($"Sweep values must be >= 1 (got {v}).");
            var o = over switch
            {
                "L" => baseOptions with { L = v },
                "d" => scaleWithD ? baseOptions with { D = v, Lam = 0.1 / v, Lr = 0.5 / ((double)v * v) } : baseOptions with { D = v },
                _ => throw new ArgumentException($"Unknown sweep variable '{over}' (use L or d)."),
            };
            var r = Train(o, seed, progress, $"{over} = {v} ({i + 1}/{values.Count})");
            var finals = r.Runs.Select(x => x.Trace.Alignment[^1]).ToArray();
            pts.Add(new SweepPoint(v, finals.Average(), PcaTrainResult.Std(finals), finals.Min(), finals.Max(),
                r.Runs.Average(x => x.FinalRisk - x.OptimalRisk), o));
        }
        return pts;
    }

    /// <summary>Landscape of R_inf for one random Sigma: critical points, the risk along the optimal-norm path from
    /// u_1 to u_2 (angle theta, R*(theta) = t - b_w/a_w for w = cos theta u_1 + sin theta u_2), and the radial profile
    /// R_inf(s u_1) for s in [0, 2 s*], s* = 1/sqrt(lam lambda_1).</summary>
    public sealed record Landscape(Matrix Sigma, double[] Eigenvalues, IReadOnlyList<CriticalPoint> Points,
        double[] Angles, double[] AngleRisk, double[] Radii, double[] RadialRisk, double[] RadialRiskU2);

    public static Landscape ComputeLandscape(int d, double lam, ulong seed, int points = 181)
    {
        if (d < 2) throw new ArgumentException($"--d must be >= 2 for the landscape (got {d}).");
        if (!(lam > 0) || !double.IsFinite(lam)) throw new ArgumentException($"--lam must be positive and finite (got {lam}).");
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
