using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

public class RngTests
{
    [Fact]
    public void SameSeedSameStreamDifferentSeedDifferentStream()
    {
        var a = new Rng(42); var b = new Rng(42); var c = new Rng(43);
        var xa = new double[1000]; var xb = new double[1000]; var xc = new double[1000];
        a.FillGaussian(xa); b.FillGaussian(xb); c.FillGaussian(xc);
        Assert.Equal(xa, xb);
        Assert.NotEqual(xa, xc);
        Assert.Equal(a.NextUInt64(), b.NextUInt64());
    }

    [Fact]
    public void FillMethodsEqualRepeatedScalarDraws()
    {
        var a = new Rng(7); var b = new Rng(7);
        var g = new double[5000];
        a.FillGaussian(g, 1.5, 2.0);
        for (int i = 0; i < g.Length; i++) Assert.Equal(1.5 + 2.0 * b.NextGaussian(), g[i]);
        var u = new double[1000];
        a.FillUniform(u);
        for (int i = 0; i < u.Length; i++) Assert.Equal(b.NextDouble(), u[i]);
        // [0, 1) on the 2^-53 grid: v * 2^53 is an integer in [0, 2^53)
        Assert.All(u, v => Assert.True(v >= 0 && v < 1 && Math.ScaleB(v, 53) == Math.Floor(Math.ScaleB(v, 53)), $"{v:R}"));
    }

    [Fact]
    public void SplitIsAPureFunctionOfSeedAndStream()
    {
        var a = new Rng(99); var b = new Rng(99);
        for (int i = 0; i < 17; i++) b.NextGaussian(); // b has been advanced; Split(stream) must not care
        for (ulong s = 0; s < 5; s++)
            Assert.Equal(a.Split(s).NextUInt64(), b.Split(s).NextUInt64());
        Assert.NotEqual(a.Split(0).NextUInt64(), a.Split(1).NextUInt64());
    }

    [Fact]
    public void SplitStreamsAreUncorrelated()
    {
        const int n = 200_000;
        var root = new Rng(2024);
        var streams = Enumerable.Range(0, 4).Select(s => { var x = new double[n]; root.Split((ulong)s).FillGaussian(x); return x; }).ToArray();
        var parentDraws = new double[n]; new Rng(2024).FillGaussian(parentDraws);
        streams = [.. streams, parentDraws];
        for (int i = 0; i < streams.Length; i++)
            for (int j = i + 1; j < streams.Length; j++)
            {
                double r = Correlation(streams[i], streams[j]);
                Assert.True(Math.Abs(r) < 4 / Math.Sqrt(n), $"streams {i},{j}: correlation {r}");
            }
        // lag-1 autocorrelation of one stream
        double lag = Correlation(streams[0].AsSpan(1).ToArray(), streams[0].AsSpan(0, n - 1).ToArray());
        Assert.True(Math.Abs(lag) < 4 / Math.Sqrt(n), $"lag-1 autocorrelation {lag}");
    }

    private static double Correlation(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my); }
        return sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Moments of N(0,1): mean 0 (SE 1/sqrt n), E z^2 = 1 (SE sqrt(2/n)), E z^3 = 0 (SE sqrt(15/n)),
    /// E z^4 = 3 (SE sqrt(96/n)); all within 4 standard errors.</summary>
    [Fact]
    public void GaussianMomentsWithinMonteCarloTolerance()
    {
        const int n = 2_000_000;
        var x = new double[n];
        new Rng(31337).FillGaussian(x);
        double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
        foreach (var v in x) { double v2 = v * v; m1 += v; m2 += v2; m3 += v2 * v; m4 += v2 * v2; }
        m1 /= n; m2 /= n; m3 /= n; m4 /= n;
        Assert.InRange(m1, -4 / Math.Sqrt(n), 4 / Math.Sqrt(n));
        Assert.InRange(m2 - 1, -4 * Math.Sqrt(2.0 / n), 4 * Math.Sqrt(2.0 / n));
        Assert.InRange(m3, -4 * Math.Sqrt(15.0 / n), 4 * Math.Sqrt(15.0 / n));
        Assert.InRange(m4 - 3, -4 * Math.Sqrt(96.0 / n), 4 * Math.Sqrt(96.0 / n));
    }

    /// <summary>Distribution check against the normal CDF (MathNet): bin probabilities over 40 bins including both
    /// ziggurat tails (|z| &gt; R = 3.654), chi-square statistic below the 0.9999 quantile, and the tail mass itself within
    /// 4 binomial standard errors.</summary>
    [Fact]
    public void GaussianHistogramMatchesNormalCdf()
    {
        const int n = 2_000_000;
        var x = new double[n];
        new Rng(8).FillGaussian(x);
        double[] edges = [double.NegativeInfinity, .. Enumerable.Range(0, 39).Select(i => -4.0 + 8.0 * i / 38), double.PositiveInfinity];
        var counts = new long[edges.Length - 1];
        foreach (var v in x)
        {
            int b = Array.BinarySearch(edges, v);
            if (b < 0) b = ~b;
            counts[Math.Clamp(b - 1, 0, counts.Length - 1)]++;
        }
        double chi2 = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            double p = MathNet.Numerics.Distributions.Normal.CDF(0, 1, edges[i + 1]) - MathNet.Numerics.Distributions.Normal.CDF(0, 1, edges[i]);
            chi2 += (counts[i] - n * p) * (counts[i] - n * p) / (n * p);
        }
        double crit = MathNet.Numerics.Distributions.ChiSquared.InvCDF(counts.Length - 1, 0.9999);
        Assert.True(chi2 < crit, $"chi2 = {chi2:F1} >= {crit:F1}");
        double pt = 2 * MathNet.Numerics.Distributions.Normal.CDF(0, 1, -Ziggurat.R);
        long tail = x.LongCount(v => Math.Abs(v) > Ziggurat.R);
        Assert.InRange(tail, n * pt - 4 * Math.Sqrt(n * pt), n * pt + 4 * Math.Sqrt(n * pt));
    }

    [Fact]
    public void UniformAndNextIntAreUniform()
    {
        var rng = new Rng(5);
        const int n = 600_000, k = 6;
        var counts = new int[k];
        for (int i = 0; i < n; i++) counts[rng.NextInt(k)]++;
        double chi2 = counts.Sum(c => (c - n / (double)k) * (c - n / (double)k) / (n / (double)k));
        Assert.True(chi2 < MathNet.Numerics.Distributions.ChiSquared.InvCDF(k - 1, 0.9999), $"chi2 {chi2}");
        var u = new double[n]; rng.FillUniform(u);
        double mean = u.Average();
        Assert.InRange(mean - 0.5, -4 * Math.Sqrt(1.0 / 12 / n), 4 * Math.Sqrt(1.0 / 12 / n));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextInt(0));
    }

    [Fact]
    public void UnitVectorHasUnitNormAndInvalidParametersAreRejected()
    {
        var rng = new Rng(1);
        var v = rng.UnitVector(17);
        Assert.Equal(1.0, Math.Sqrt(v.Sum(t => t * t)), 1e-14);
        Assert.Throws<ArgumentException>(() => rng.FillGaussian(new double[3], 0, double.NaN));
        Assert.Throws<ArgumentException>(() => rng.FillGaussian(new double[3], 0, -1));
    }
}
