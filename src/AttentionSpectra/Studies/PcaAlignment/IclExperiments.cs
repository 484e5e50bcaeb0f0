using AttentionSpectra.Attention;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Studies.PcaAlignment;

/// <summary>In-context PCA (THEORY.md A): each prompt has its own covariance Sigma ~ Wishart_n(V),
/// V = xi^2 I + theta v v'; the head must align with the shared spike v. v is a seeded random unit vector.</summary>
public sealed record IclOptions(
    TrainHead Head = TrainHead.Softmax, int D = 5, int N = 10, double Xi = 1, double Theta = 2, int L = 100, double Lam = 1e-3,
    double Lr = 5e-3, int Steps = 1000, int Batch = 256, int Seeds = 10, double InitScale = 0.01, int Records = 100)
{
    public void Validate()
    {
        if (D < 1) throw new ArgumentException($"--d must be >= 1 (got {D}).");
        if (N < 1) throw new ArgumentException($"--n must be >= 1 (got {N}).");
        if (!(Xi > 0) || !double.IsFinite(Xi)) throw new ArgumentException($"--xi must be positive (got {Xi}).");
        if (!(Theta >= 0) || !double.IsFinite(Theta)) throw new ArgumentException($"--theta must be >= 0 (got {Theta}).");
        TrainingChecks.Common(L, Lam, Lr, Steps, Batch, Seeds, InitScale);
    }
}

public sealed record IclSeedRun(int Seed, double[] Spike, TrainTrace Trace, double FinalAlphaSquared, double OptimalAlphaSquared,
    double FinalRisk, double OptimalRisk);

public sealed record IclResult(IclOptions Options, IReadOnlyList<IclSeedRun> Runs, BandSeries Alignment)
{
    public double FinalMean => Alignment.Mean[^1];
    public double FinalMin => Alignment.Min[^1];
}

public static class IclExperiments
{
    public static IclResult Train(IclOptions o, ulong seed, IProgress<ProgressUpdate>? progress = null, string task = "icl train")
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        var root = new Rng(seed);
        int recordEvery = Math.Max(1, o.Steps / o.Records);
        long total = (long)o.Seeds * o.Steps;
        double alStar2 = ClosedForms.IclOptimalAlphaSquared(o.D, o.N, o.Xi, o.Theta, o.Lam);
        var runs = new IclSeedRun[o.Seeds];
        for (int s = 0; s < o.Seeds; s++)
        {
            var srng = root.Split((ulong)s);
            var v = srng.Split(0).UnitVector(o.D);
            var init = PcaExperiments.Init(srng.Split(1), 1, o.D, o.InitScale);
            Trainer.LossGradient lg;
            if (o.Head == TrainHead.Infinite)
            {
                lg = (m, _, g) =>
                {
                    ClosedForms.RIclGradient(m, v, o.N, o.Xi, o.Theta, o.Lam).CopyTo(g);
                    return ClosedForms.RIcl(m, v, o.N, o.Xi, o.Theta, o.Lam);
                };
            }
            else
            {
                var bg = new BatchGradient(new SpikedWishartPromptSource(v, o.N, o.Xi, o.Theta),
                    o.Head == TrainHead.Softmax ? HeadKind.Softmax : HeadKind.Linear, o.L, 1, o.Lam, o.Batch);
                lg = (m, rng, g) => bg.Compute(m, g, rng);
            }
            int si = s;
            var trace = Trainer.Run(lg, init, 1, o.D, o.Lr, o.Steps, recordEvery, [v], srng.Split(2),
                step => progress.Report(task, (double)si * o.Steps + step, total));
            var mu = trace.FinalParameters;
            double al = System.Numerics.Tensors.TensorPrimitives.Dot(mu, v);
            var opt = v.Select(x => x * Math.Sqrt(alStar2)).ToArray();
            runs[s] = new IclSeedRun(s, v, trace, al * al, alStar2, ClosedForms.RIcl(mu, v, o.N, o.Xi, o.Theta, o.Lam),
                ClosedForms.RIcl(opt, v, o.N, o.Xi, o.Theta, o.Lam));
        }
        return new IclResult(o, runs, BandSeries.From(runs.Select(r => r.Trace).ToList(), t => t.Alignment));
    }

    public sealed record IclSweepPoint(double Value, double MeanAlignment, double StdAlignment, double MinAlignment, double MaxAlignment,
        double MeanAlphaSquared, double OptimalAlphaSquared);

    /// <summary>Final alignment |cos(mu, v)| vs one of L, n, theta, d.</summary>
    public static IReadOnlyList<IclSweepPoint> Sweep(IclOptions baseOptions, string over, IReadOnlyList<double> values, ulong seed,
        IProgress<ProgressUpdate>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(baseOptions);
        if (values.Count == 0) throw new ArgumentException("Sweep needs at least one value.");
        var pts = new List<IclSweepPoint>();
        for (int i = 0; i < values.Count; i++)
        {
            double v = values[i];
            static int AsInt(double x, string what) => x >= 1 && x == Math.Floor(x) && x < int.MaxValue
                ? (int)x : throw new ArgumentException($"Sweep values for {what} must be positive integers (got {x}).");
            var o = over switch
            {
                "L" => baseOptions with { L = AsInt(v, "L") },
                "n" => baseOptions with { N = AsInt(v, "n") },
                "d" => baseOptions with { D = AsInt(v, "d") },
                "theta" => baseOptions with { Theta = v },
                _ => throw new ArgumentException($"Unknown ICL sweep variable '{over}' (use L, n, d or theta)."),
            };
            var r = Train(o, seed, progress, $"{over} = {v} ({i + 1}/{values.Count})");
            var finals = r.Runs.Select(x => x.Trace.Alignment[^1]).ToArray();
            pts.Add(new IclSweepPoint(v, finals.Average(), PcaTrainResult.Std(finals), finals.Min(), finals.Max(),
                r.Runs.Average(x => x.FinalAlphaSquared), ClosedForms.IclOptimalAlphaSquared(o.D, o.N, o.Xi, o.Theta, o.Lam)));
        }
        return pts;
    }
}
