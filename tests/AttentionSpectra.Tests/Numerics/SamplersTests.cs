using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

public class SamplersTests
{
    private static readonly Matrix Sigma = Matrix.FromArray(new double[,] { { 2.0, 0.6, -0.3 }, { 0.6, 1.0, 0.2 }, { -0.3, 0.2, 0.5 } });

    /// <summary>Each entry of the sample covariance (1/N) sum x x' of N(0, S) rows has variance
    /// (S_ij^2 + S_ii S_jj) / N; check within 4 standard errors.</summary>
    private static void AssertCovariance(Matrix x, Matrix s)
    {
        int n = x.Rows, d = x.Cols;
        var c = Blas.Gram(x);
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
            {
                double se = Math.Sqrt((s[i, j] * s[i, j] + s[i, i] * s[j, j]) / n);
                Assert.True(Math.Abs(c[i, j] / n - s[i, j]) < 4 * se, $"cov[{i},{j}] = {c[i, j] / n}, expected {s[i, j]} +- {4 * se}");
            }
    }

    [Fact]
    public void MultivariateNormalHasRequestedCovariance()
    {
        var x = Samplers.MultivariateNormal(new Rng(21), Sigma, 200_000);
        Assert.Equal(3, x.Cols);
        AssertCovariance(x, Sigma);
    }

    /// <summary>E W = n Sigma and Var W_ij = n (S_ij^2 + S_ii S_jj) for W ~ Wishart_d(Sigma, n).</summary>
    [Fact]
    public void WishartMeanIsNSigma()
    {
        const int reps = 4000, n = 7;
        var rng = new Rng(22);
        var sum = new Matrix(3, 3);
        for (int r = 0; r < reps; r++) sum = sum + Samplers.Wishart(rng, Sigma, n);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double se = Math.Sqrt(n * (Sigma[i, j] * Sigma[i, j] + Sigma[i, i] * Sigma[j, j]) / reps);
                Assert.InRange(sum[i, j] / reps - n * Sigma[i, j], -4 * se, 4 * se);
            }
    }

    [Fact]
    public void SpikedCovarianceClosedFormAndSamples()
    {
        double[] v = [1, 2, -2, 0]; // |v| = 3
        var s = Samplers.SpikedCovariance(v, 0.5, 4.0);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal((i == j ? 0.25 : 0) + 4.0 * v[i] * v[j] / 9, s[i, j], 1e-14);
        // top eigenvalue noise^2 + theta along v/|v|
        var sv = s.Multiply(v);
        for (int i = 0; i < 4; i++) Assert.Equal((0.25 + 4.0) * v[i], sv[i], 1e-12);
        var x = Samplers.SpikedSamples(new Rng(23), v, 0.5, 4.0, 200_000);
        AssertCovariance(x, s);
        Assert.Throws<NumericsException>(() => Samplers.SpikedCovariance(new double[3], 1, 1));
    }

    [Fact]
    public void GaussianMatrixShapeAndDeterminism()
    {
        var a = Samplers.Gaussian(new Rng(4), 3, 5);
        var b = Samplers.Gaussian(new Rng(4), 3, 5);
        Assert.Equal(a.Data, b.Data);
        Assert.Equal(3, a.Rows); Assert.Equal(5, a.Cols);
        Assert.Empty(Samplers.Gaussian(new Rng(4), 0, 5).Data);
    }
}
