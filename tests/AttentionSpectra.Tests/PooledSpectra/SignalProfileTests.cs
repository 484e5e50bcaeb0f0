using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PooledSpectra;
using Xunit.Abstractions;

namespace AttentionSpectra.Tests.PooledSpectra;

public class SignalProfileTests(ITestOutputHelper output)
{
    [Fact]
    public void FrontLoadedProfileRanksHarmonicAboveMeanAndOptimalAboveBothInTheoryAndSimulation()
    {
        // signal decays along the sequence (a_t = exp(-(t-1)/3)), positions independent: causal (harmonic) pooling
        // weights the early tokens more and beats mean pooling; the top eigenvector of diag(a) R diag(a) is best
        var spec = new PooledSpec(300, 600, 900, 16, WeightFamily.Mean, 0, null, CorrelationSpec.Iid,
            SignalProfile.Decay(3));
        double snr = PooledExperiments.DefaultPoolingSnr(spec);
        var r = PooledExperiments.Pooling(spec, snr, 0, 12, new Rng(5));
        var mean = r.Schemes.Single(s => s.Label == "mean");
        var optimal = r.Schemes.Single(s => s.Label == "optimal");
        var harmonic = r.Schemes.Single(s => s.Label.StartsWith("harmonic"));
        foreach (var s in r.Schemes)
            output.WriteLine($"{s.Label}: a/k {s.AlphaOverKappa:F4} " +
                             $"overlap theory {s.Simulation.Theory.SampleOverlap:F4} " +
                             $"sim {s.Simulation.OverlapMean:F4}±{s.Simulation.OverlapSe:F4}");
        // theory: ranking of α/κ and of the predicted overlap
        Assert.True(harmonic.AlphaOverKappa > mean.AlphaOverKappa);
        Assert.True(optimal.AlphaOverKappa >= harmonic.AlphaOverKappa);
        Assert.True(harmonic.Simulation.Theory.SampleOverlap > mean.Simulation.Theory.SampleOverlap);
        Assert.True(optimal.Simulation.Theory.SampleOverlap >= harmonic.Simulation.Theory.SampleOverlap);
        // simulation: the same ranking, and each scheme within 3 standard errors (+0.02 finite size) of its theory
        Assert.True(harmonic.Simulation.OverlapMean > mean.Simulation.OverlapMean);
        Assert.True(optimal.Simulation.OverlapMean
                    >= harmonic.Simulation.OverlapMean - 2 * optimal.Simulation.OverlapSe);
        foreach (var s in r.Schemes)
        {
            var p = s.Simulation;
            Assert.InRange(p.OverlapMean, p.Theory.SampleOverlap - 3 * p.OverlapSe - 0.02,
                p.Theory.SampleOverlap + 3 * p.OverlapSe + 0.02);
        }
        Assert.Equal("optimal", r.Best.Label);
    }

    [Fact]
    public void ProfileEntersAlphaAsDiagARDiagA()
    {
        int t = 6;
        var r = Correlations.Exponential(t, 0.6);
        var a = SignalProfile.Front(2).Amplitudes(t)!;
        Assert.Equal([1.0, 1, 0, 0, 0, 0], a);
        var w = PoolingWeights.Harmonic(t, 0);
        var m = new PooledModel(20, 40, 40, w, r, a);
        double alpha = 0;
        for (int i = 0; i < t; i++) for (int j = 0; j < t; j++) alpha += w[i] * a[i] * r[i, j] * a[j] * w[j];
        Assert.Equal(alpha, m.Alpha, 14);
        // the simulator's signal loading has variance α
        var ws = new PooledSimulator.Workspace(m);
        Assert.Equal(alpha, ws.SignalLoading.Sum(x => x * x), 12);
        // optimal weights for the profile: Rayleigh quotient = λ_max(diag(a) R diag(a))
        var opt = PoolingWeights.Optimal(r, a);
        var k = PoolingWeights.SignalCovariance(r, a);
        Assert.Equal(SymmetricEigen.Eigenvalues(k)[^1], PoolingWeights.Alpha(opt, k) / PoolingWeights.Kappa(opt), 12);
    }

    [Fact]
    public void ParsingProfilesAndCorrelationFiles()
    {
        Assert.True(SignalProfile.Parse("flat").IsFlat);
        Assert.Equal(Math.Exp(-1 / 2.0), SignalProfile.Parse("decay:2").Amplitudes(3)![1], 15);
        Assert.Throws<ArgumentException>(() => SignalProfile.Parse("decay:0"));
        Assert.Throws<ArgumentException>(() => SignalProfile.Parse("front:0"));
        Assert.Throws<ArgumentException>(() => SignalProfile.Parse("ramp:3"));
        var dir = Path.Combine(Path.GetTempPath(), "attnspec-profile-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var prof = Path.Combine(dir, "a.txt");
            File.WriteAllText(prof, "1\n0.5\n0.25\n");
            var p = SignalProfile.Parse(prof);
            Assert.Equal(3, p.FixedLength);
            Assert.Equal([1.0, 0.5, 0.25], p.Amplitudes(3)!);
            Assert.Throws<ArgumentException>(() => p.Amplitudes(4));
            // a valid correlation matrix as .npy, and an indefinite one as CSV
            var good = Correlations.Exponential(3, 0.5);
            var npy = Path.Combine(dir, "r.npy");
            Npy.Write(npy, good);
            var c = CorrelationSpec.Parse(npy);
            Assert.Equal(3, c.FixedLength);
            Assert.Equal(good.Data, c.Build(3).Data);
            var bad = Path.Combine(dir, "bad.csv");
            File.WriteAllText(bad, "1,0.9,-0.9\n0.9,1,0.9\n-0.9,0.9,1\n");
            Assert.Throws<ArgumentException>(() => CorrelationSpec.Parse(bad));
            var asym = Path.Combine(dir, "asym.csv");
            File.WriteAllText(asym, "1,0.2\n0.3,1\n");
            Assert.Throws<ArgumentException>(() => CorrelationSpec.Parse(asym));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
