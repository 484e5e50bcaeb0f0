using AttentionSpectra.Studies.PcaAlignment;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.PcaAlignment;

public class LandscapeAndTrainingTests
{
    [Fact]
    public void CriticalPointsAreClassifiedByHessianSpectrum()
    {
        int d = 5; double lam = 0.01;
        var sigma = TestUtil.Sigma(d, 31);
        var (vals, _) = PcaExperiments.SortedEigen(sigma);
        var cps = CriticalPoints.Enumerate(sigma, lam);
        Assert.Equal(1 + 2 * d, cps.Count);
        var zero = cps[0];
        Assert.Equal(CriticalKind.LocalMaximum, zero.Kind);
        // Hessian at 0 is -4 lam Sigma^2.
        var expected0 = vals.Select(l => -4 * lam * l * l).OrderBy(x => x).ToArray();
        Assert.True(TestUtil.MaxAbsDiff(expected0, zero.HessianEigenvalues) < 1e-9 * expected0.Max(Math.Abs));
        double t = vals.Sum();
        foreach (var c in cps.Skip(1))
        {
            int i = c.EigenIndex;
            double scale = lam * vals[0] * vals[0];
            Assert.True(c.GradientNorm < 1e-10 * (1 + scale), $"{c.Name}: gradient {c.GradientNorm}");
            Assert.Equal(i - 1, c.NegativeDirections);
            Assert.Equal(i == 1 ? CriticalKind.GlobalMinimum : CriticalKind.StrictSaddle, c.Kind);
            Assert.Equal(1.0 / (lam * vals[i - 1]), c.Mu.Sum(x => x * x), 10);
            Assert.Equal(t - vals[i - 1], c.Risk, 9);
            // Derived spectrum at u_i: {8 lam lambda_i^2} U {2 lam lambda_j (lambda_i - lambda_j), j != i}.
            var exp = Enumerable.Range(0, d).Select(j => j == i - 1 ? 8 * lam * vals[j] * vals[j] : 2 * lam * vals[j] * (vals[i - 1] - vals[j]))
                .OrderBy(x => x).ToArray();
            Assert.True(TestUtil.MaxAbsDiff(exp, c.HessianEigenvalues) < 1e-8 * (1 + exp.Max(Math.Abs)));
        }
    }

    [Fact]
    public void InfiniteGdConvergesToTopEigenvectorWithPredictedNormAndRisk()
    {
        var o = PcaTrainOptions.Reference(TrainHead.Infinite) with { Seeds = 4, Steps = 20000 };
        var r = PcaExperiments.Train(o, 1);
        foreach (var s in r.Runs)
        {
            Assert.True(s.Trace.Alignment[^1] > 0.9999, $"seed {s.Seed}: {s.Trace.Alignment[^1]}");
            Assert.Equal(1.0, s.FinalNormSquared / (1.0 / (o.Lam * s.Eigenvalues[0])), 4); // |mu|^2 = 1/(lam lambda_1)
            double opt = s.Eigenvalues.Sum() - s.Eigenvalues[0];                                 // R = tr Sigma - lambda_1
            Assert.True(Math.Abs(s.FinalRisk - opt) < 1e-6 * opt, $"R_inf {s.FinalRisk} vs {opt}");
        }
    }

    [Fact]
    public void RankKInfiniteGdRecoversTopKSubspace()
    {
        var o = new PcaTrainOptions(TrainHead.Infinite, D: 6, Lam: 0.01, Lr: 5e-3, Steps: 30000, Seeds: 2, Rank: 3, InitScale: 0.1);
        var r = PcaExperiments.Train(o, 4);
        foreach (var s in r.Runs)
        {
            var ev = s.Eigenvalues;
            Assert.True(s.Trace.Alignment[^1] > 0.999, $"seed {s.Seed}: subspace alignment {s.Trace.Alignment[^1]}");
            Assert.True(Math.Abs(ev.Skip(3).Sum() - s.FinalRisk) < 1e-6 * ev.Sum(), $"R {s.FinalRisk} vs {ev.Skip(3).Sum()}"); // sum_{i>k} lambda_i
            Assert.True(Math.Abs(s.TargetNormSquared / s.FinalNormSquared - 1) < 1e-4);   // ||M||_F^2 = sum_{i<=k} 1/(lam lambda_i)
        }
    }

    [Fact]
    public void DefaultSoftmaxSgdRunAlignsAbove099()
    {
        // CLI default of `pca train` (reference config); 2 of its 10 seeds to keep the test within budget
        // (the full 10-seed CLI run is reported in docs/study-a.md).
        var o = PcaTrainOptions.Reference(TrainHead.Softmax) with { Seeds = 2 };
        Assert.Equal((5, 100, 0.1, 1e-4, 3000, 256), (o.D, o.L, o.Lam, o.Lr, o.Steps, o.Batch));
        var r = PcaExperiments.Train(o, 0);
        Assert.True(r.FinalMean > 0.99, $"mean final alignment {r.FinalMean}");
        Assert.True(r.FinalMin > 0.99, $"min final alignment {r.FinalMin}");
        // Start is not aligned (the metric is not trivially 1).
        Assert.True(r.Alignment.Mean[0] < 0.9);
    }

    [Fact]
    public void RankTwoSoftmaxSgdRecoversPrincipalPlane()
    {
        // A fixed spectrum with clear gaps (8, 4, 1, 0.5, 0.25), in its eigenbasis (the head is rotation-equivariant).
        // With random Sigma = AA' + 0.1I some draws have lambda_2 far below lambda_1 and training stalls with the second
        // column outside the principal plane (see docs/study-a.md, limitations); that case is not what this test claims.
        var o = new PcaTrainOptions(TrainHead.Softmax, D: 5, L: 50, Lam: 0.1, Lr: 5e-4, Steps: 1500, Batch: 64, Seeds: 1, Rank: 2);
        var sigma = Matrix.Diagonal([8.0, 4.0, 1.0, 0.5, 0.25]);
        var reference = new[] { new double[] { 1, 0, 0, 0, 0 }, new double[] { 0, 1, 0, 0, 0 } };
        var lossGrad = PcaExperiments.MakeObjective(o, sigma);
        for (ulong seed = 0; seed < 2; seed++)
        {
            var rng = new Rng(seed);
            var init = PcaExperiments.Init(rng.Split(1), 2, 5, o.InitScale);
            var trace = Trainer.Run(lossGrad, init, 2, 5, o.Lr, o.Steps, 100, reference, rng.Split(2));
            Assert.True(trace.Alignment[^1] > 0.98, $"seed {seed}: {trace.Alignment[^1]}");
            Assert.True(trace.Alignment[0] < 0.9);
        }
    }

    [Fact]
    public void IclInfiniteGdReachesSpikeWithOptimalAlpha()
    {
        var o = new IclOptions(Head: TrainHead.Infinite, Steps: 3000, Seeds: 3);
        var r = IclExperiments.Train(o, 5);
        foreach (var s in r.Runs)
        {
            Assert.True(s.Trace.Alignment[^1] > 0.9999);
            Assert.Equal(1.0, s.FinalAlphaSquared / s.OptimalAlphaSquared, 4);
        }
    }

    [Fact]
    public void IclSoftmaxSgdAlignsWithSpike()
    {
        var o = new IclOptions(Seeds: 2, Batch: 64, L: 50);
        var r = IclExperiments.Train(o, 3);
        Assert.True(r.FinalMin > 0.95, $"min final |cos(mu, v)| {r.FinalMin}");
    }

    [Fact]
    public void SubspaceMetricsMatchKnownAngles()
    {
        // span{e1, cos a e2 + sin a e3} vs span{e1, e2}: principal cosines {1, cos a}.
        double a = 0.3;
        var m = new double[] { 2, 0, 0, 0, 0, Math.Cos(a), Math.Sin(a), 0 };
        var refb = new[] { new double[] { 1, 0, 0, 0 }, new double[] { 0, 1, 0, 0 } };
        var c = Subspace.PrincipalCosines(m, 2, 4, refb);
        Assert.Equal(1.0, c[0], 12);
        Assert.Equal(Math.Cos(a), c[1], 12);
        Assert.Equal(Math.Sin(a) / Math.Sqrt(2), Subspace.ProjectorDistance(m, 2, 4, refb), 12);
    }

    [Fact]
    public void DigitsLoadAndStandardise()
    {
        var (px, labels) = Digits.Load();
        Assert.Equal((1797, 64), (px.Rows, px.Cols));
        Assert.Equal(Enumerable.Range(0, 10), labels.Distinct().OrderBy(x => x));
        Assert.True(px.Data.All(v => v >= 0 && v <= 16));
        var z = Digits.Standardize(px);
        for (int j = 0; j < 64; j++)
        {
            var col = z.Column(j);
            double m = col.Average(), v = col.Sum(x => (x - m) * (x - m)) / col.Length;
            Assert.True(Math.Abs(m) < 1e-12);
            Assert.True(Math.Abs(v - 1) < 1e-9 || v == 0);
        }
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Throws<ArgumentException>(() => new PcaTrainOptions(Lam: 0).Validate());
        Assert.Throws<ArgumentException>(() => new PcaTrainOptions(D: 3, Rank: 4).Validate());
        Assert.Throws<ArgumentException>(() => new IclOptions(N: 0).Validate());
        Assert.Throws<ArgumentException>(() => PcaExperiments.Train(new PcaTrainOptions(TrainHead.Infinite, Lr: 10, Lam: 1, Steps: 200, Seeds: 1, InitScale: 1), 0));
        Assert.Throws<ArgumentException>(() => AttentionSpectra.Cli.Commands.PcaCommands.ParseValues("3..1", "--values"));
        Assert.Equal(new double[] { 3, 8, 13 }, AttentionSpectra.Cli.Commands.PcaCommands.ParseValues("3..13:5", "--values"));
    }
}

public class LinearHeadTrainingTests
{
    [Fact]
    public void LinearSgdAlignsAndApproachesTheRLinMinimumAlongU1()
    {
        // Reference linear config (L = 6, lam = 0.01, lr = 1e-4, 5000 steps), 2 seeds, smaller batch.
        var o = PcaTrainOptions.Reference(TrainHead.Linear) with { Seeds = 2, Batch = 64 };
        var r = PcaExperiments.Train(o, 3);
        foreach (var s in r.Runs)
        {
            Assert.True(s.Trace.Alignment[^1] > 0.99, $"seed {s.Seed}: {s.Trace.Alignment[^1]}");
            // Exact R_lin,L at the learned mu is within 2% of its minimum along u_1, and above it (up to rounding).
            Assert.True(s.FinalRisk - s.OptimalRisk < 0.02 * s.OptimalRisk, $"R_lin {s.FinalRisk} vs min {s.OptimalRisk}");
            Assert.True(s.FinalRisk >= s.OptimalRisk - 1e-9 * s.OptimalRisk);
        }
    }
}
