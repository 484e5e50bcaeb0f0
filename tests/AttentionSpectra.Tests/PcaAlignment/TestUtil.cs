using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Tests.PcaAlignment;

internal static class TestUtil
{
    public static Matrix Sigma(int d, ulong seed) => PcaExperiments.RandomCovariance(new Rng(seed), d);

    /// <summary>Mean and standard error of the mean.</summary>
    public static (double Mean, double Se) MeanSe(IReadOnlyList<double> x)
    {
        double m = x.Average();
        double v = x.Sum(t => (t - m) * (t - m)) / (x.Count - 1);
        return (m, Math.Sqrt(v / x.Count));
    }

    public static double[] FiniteDifference(Func<double[], double> f, double[] x, double h)
    {
        var g = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            var p = (double[])x.Clone(); var q = (double[])x.Clone();
            p[i] += h; q[i] -= h;
            g[i] = (f(p) - f(q)) / (2 * h);
        }
        return g;
    }

    public static double MaxAbsDiff(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Assert.Equal(a.Count, b.Count);
        double m = 0;
        for (int i = 0; i < a.Count; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    public static double MaxAbs(IReadOnlyList<double> a) => a.Max(Math.Abs);
}
