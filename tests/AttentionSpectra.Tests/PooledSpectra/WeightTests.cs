using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Tests.PooledSpectra;

public class WeightTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void HarmonicAtTauZeroIsTheHarmonicTail(int t)
    {
        var w = PoolingWeights.Harmonic(t, 0);
        double H(int k) { double s = 0; for (int i = 1; i <= k; i++) s += 1.0 / i; return s; }
        for (int s = 1; s <= t; s++) Assert.Equal((H(t) - H(s - 1)) / t, w[s - 1], 13);
    }

    [Theory]
    [InlineData(-2.0)]
    [InlineData(0.7)]
    [InlineData(5.0)]
    public void HarmonicWeightsAreMeanPooledCausalSoftmax(double tau)
    {
        // independent construction: causal attention matrix with scores (tau/d) e_t.e_s = tau on the diagonal, 0 elsewhere
        int t = 10;
        var a = new double[t, t];
        for (int q = 0; q < t; q++)
        {
            double z = 0;
            for (int s = 0; s <= q; s++) z += s == q ? Math.Exp(tau) : 1;
            for (int s = 0; s <= q; s++) a[q, s] = (s == q ? Math.Exp(tau) : 1) / z;
        }
        var w = PoolingWeights.Harmonic(t, tau);
        for (int s = 0; s < t; s++)
        {
            double col = 0;
            for (int q = 0; q < t; q++) col += a[q, s];
            Assert.Equal(col / t, w[s], 13);
        }
        Assert.Equal(1.0, w.Sum(), 12);
    }

    [Fact]
    public void LargeTauTendsToMeanPooling()
    {
        var w = PoolingWeights.Harmonic(12, 40);
        foreach (var x in w) Assert.Equal(1.0 / 12, x, 10);
    }

    [Theory]
    [InlineData("exp:0.8")]
    [InlineData("uniform:0.3")]
    [InlineData("exp:-0.5")]
    public void OptimalWeightsMaximiseAlphaOverKappa(string spec)
    {
        int t = 9;
        var r = Correlations.Parse(spec, t);
        var w = PoolingWeights.Optimal(r);
        double best = PoolingWeights.Alpha(w, r) / PoolingWeights.Kappa(w);
        // equals the largest eigenvalue of R (MathNet oracle)
        var lmax = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfArray(r.ToArray()).Evd().EigenValues.Max(c => c.Real);
        Assert.Equal(lmax, best, 10);
        var rng = new Rng(4);
        for (int i = 0; i < 500; i++)
        {
            var u = new double[t];
            rng.FillGaussian(u);
            Assert.True(PoolingWeights.Alpha(u, r) / PoolingWeights.Kappa(u) <= best + 1e-12);
        }
        var mean = PoolingWeights.Mean(t);
        Assert.True(PoolingWeights.Alpha(mean, r) / PoolingWeights.Kappa(mean) <= best + 1e-12);
    }

    [Fact]
    public void MeanPoolingOnUniformCorrelationHasClosedFormAlpha()
    {
        int t = 10; double c = 0.3;
        var w = PoolingWeights.Mean(t);
        var r = Correlations.Uniform(t, c);
        Assert.Equal((1 + (t - 1) * c) / t, PoolingWeights.Alpha(w, r), 13);
        Assert.Equal(1.0 / t, PoolingWeights.Kappa(w), 13);
    }

    [Fact]
    public void ParsingAndValidation()
    {
        Assert.Equal([0.5, 0.25, 0.25], PoolingWeights.ParseList("0.5, 0.25;0.25"));
        Assert.Throws<ArgumentException>(() => PoolingWeights.ParseList("0.5,abc"));
        Assert.Throws<ArgumentException>(() => PoolingWeights.ParseList("0,0"));
        Assert.Throws<FileNotFoundException>(() => PoolingWeights.Custom("/no/such/weights.txt"));
        Assert.Throws<ArgumentException>(() => Correlations.Parse("exp:1.5", 4));
        Assert.Throws<ArgumentException>(() => Correlations.Parse("uniform:-0.9", 4));
        Assert.Throws<ArgumentException>(() => Correlations.Parse("wave:0.1", 4));
        Assert.Throws<ArgumentException>(() => new PooledModel(10, 20, 20, [1.0, 2.0], Correlations.Independent(3)));
        Assert.Throws<ArgumentException>(() => new PooledModel(10, 20, 20, [1.0, -1.0], Correlations.Uniform(2, 1.0)));
        var path = Path.GetTempFileName();
        File.WriteAllText(path, "0.1\n0.2\n0.7\n");
        Assert.Equal([0.1, 0.2, 0.7], PoolingWeights.Custom(path));
        File.Delete(path);
    }

    [Fact]
    public void SingularCorrelationStillSimulates()
    {
        // uniform:1 is rank one (fully correlated positions); the eigen square-root factor reproduces Var(w'xi) = w'Rw
        int t = 5;
        var r = Correlations.Uniform(t, 1.0);
        var model = new PooledModel(20, 40, 40, PoolingWeights.Harmonic(t, 0), r);
        var ws = new PooledSimulator.Workspace(model);
        double v = 0;
        foreach (var x in ws.SignalLoading) v += x * x;
        Assert.Equal(model.Alpha, v, 10);
    }
}
