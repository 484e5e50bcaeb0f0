using AttentionSpectra.Numerics;
using static AttentionSpectra.Tests.Numerics.EigenTestUtil;

namespace AttentionSpectra.Tests.Numerics;

public class LanczosTests
{
    private static Matrix SpikedWishart(int n, int samples, ulong seed)
    {
        // sample covariance of N(0, I + sum_i theta_i u_i u_i') with 5 spikes: top eigenvalues separate from the bulk
        var rng = new Rng(seed);
        var x = Samplers.Gaussian(rng, samples, n);
        var thetas = new[] { 30.0, 20.0, 12.0, 8.0, 5.0 };
        foreach (double theta in thetas)
        {
            var u = rng.UnitVector(n);
            double amp = Math.Sqrt(theta);
            for (int r = 0; r < samples; r++)
            {
                double z = rng.NextGaussian() * amp;
                var row = x.Row(r);
                for (int j = 0; j < n; j++) row[j] += z * u[j];
            }
        }
        var c = (1.0 / samples) * Blas.Gram(x);
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) c[j, i] = c[i, j];
        return c;
    }

    [Fact]
    public void SpikedWishartTop5MatchesDense()
    {
        int n = 800;
        var a = SpikedWishart(n, 1600, 31);
        var lz = Lanczos.TopK(a, 5, new Rng(1));
        var dense = SymmetricEigen.TopK(a, 5);
        double fro = a.FrobeniusNorm();
        for (int j = 0; j < 5; j++)
        {
            Assert.InRange(Math.Abs(lz.Values[j] - dense.Values[j]), 0, 1e-9 * dense.Values[0]);
            double dot = 0;
            for (int i = 0; i < n; i++) dot += lz.Vectors[i, j] * dense.Vectors[i, j];
            Assert.InRange(Math.Abs(1 - Math.Abs(dot)), 0, 1e-8);
        }
        Assert.InRange(Orthogonality(lz.Vectors), 0, 1e-10);
        Assert.InRange(MaxResidual(a, lz), 0, 1e-10 * fro);
    }

    [Fact]
    public void OperatorFormOfGramMatrixMatchesDense()
    {
        // A = G'G / m applied implicitly as x -> G'(G x) / m, never formed by Lanczos
        int m = 300, n = 500;
        var g = Samplers.Gaussian(new Rng(32), m, n);
        var tmp = new double[m];
        void Op(ReadOnlySpan<double> x, Span<double> y)
        {
            for (int r = 0; r < m; r++) tmp[r] = System.Numerics.Tensors.TensorPrimitives.Dot(g.RowReadOnly(r), x);
            y.Clear();
            for (int r = 0; r < m; r++) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(g.RowReadOnly(r), tmp[r] / m, y, y);
        }
        var lz = Lanczos.TopK(Op, n, 4, new Rng(2), 1e-10);
        var a = (1.0 / m) * Blas.Gram(g);
        var dense = SymmetricEigen.TopK(a, 4);
        for (int j = 0; j < 4; j++) Assert.InRange(Math.Abs(lz.Values[j] - dense.Values[j]), 0, 1e-8 * dense.Values[0]);
        Assert.InRange(MaxResidual(a, lz), 0, 1e-9 * dense.Values[0]);
        Assert.InRange(Orthogonality(lz.Vectors), 0, 1e-10);
    }

    [Fact]
    public void RepeatedTopEigenvalueIsFoundWithFullMultiplicity()
    {
        // spectrum: 5 (x3), then 1 - i/n: a single-vector Krylov space would report 5 only once
        int n = 400;
        var spec = new double[n];
        for (int i = 0; i < n; i++) spec[i] = i < 3 ? 5.0 : 1.0 - (double)i / n;
        var rng = new Rng(33);
        var perm = Enumerable.Range(0, n).OrderBy(_ => rng.NextDouble()).ToArray();
        void Op(ReadOnlySpan<double> x, Span<double> y) { for (int i = 0; i < n; i++) y[i] = spec[perm[i]] * x[i]; }
        var lz = Lanczos.TopK(Op, n, 3, new Rng(3));
        Assert.All(lz.Values, v => Assert.Equal(5.0, v, 9));
        Assert.InRange(Orthogonality(lz.Vectors), 0, 1e-10);
        var lz4 = Lanczos.TopK(Op, n, 4, new Rng(3));
        Assert.Equal(1.0 - 3.0 / n, lz4.Values[3], 9);
    }

    [Fact]
    public void DeterministicForAGivenSeed()
    {
        var a = SpikedWishart(300, 400, 34);
        var r1 = Lanczos.TopK(a, 3, new Rng(9));
        var r2 = Lanczos.TopK(a, 3, new Rng(9));
        Assert.Equal(r1.Values, r2.Values);
        Assert.Equal(r1.Vectors.Data, r2.Vectors.Data);
    }

    [Fact]
    public void KCloseToNFallsBackToDenseAndZeroKWorks()
    {
        int n = 200;
        var a = RandomSymmetric(new Rng(35), n);
        var full = SymmetricEigen.TopK(a, n - 5);
        var lz = Lanczos.TopK(a, n - 5);
        for (int j = 0; j < n - 5; j++) Assert.Equal(full.Values[j], lz.Values[j], 10);
        Assert.Empty(Lanczos.TopK(a, 0).Values);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void PerPairTolerancesAndSingleVectorBlocksMatchDense(int blockSize)
    {
        // the top pair to 1e-10, the next two loosely (1e-4): their eigenvalues are still accurate to ~residual²/gap
        int n = 600;
        var a = SpikedWishart(n, 1200, 41);
        var dense = SymmetricEigen.TopK(a, 3);
        void Op(ReadOnlySpan<double> x, Span<double> y) => a.Multiply(x).CopyTo(y);
        var lz = Lanczos.TopK(Op, n, 3, [1e-10, 1e-4, 1e-4], new Rng(3), blockSize);
        Assert.InRange(Math.Abs(lz.Values[0] - dense.Values[0]), 0, 1e-9 * dense.Values[0]);
        for (int j = 1; j < 3; j++) Assert.InRange(Math.Abs(lz.Values[j] - dense.Values[j]), 0, 1e-6 * dense.Values[0]);
        // the top vector meets its own (tight) tolerance
        var v = lz.Vector(0);
        var av = a.Multiply(v);
        double res = 0;
        for (int i = 0; i < n; i++) res = Math.Max(res, Math.Abs(av[i] - lz.Values[0] * v[i]));
        Assert.InRange(res, 0, 1e-8 * dense.Values[0]);
        // the Gram-operator form gives the same top eigenvalue as the formed matrix
        var x = Samplers.Gaussian(new Rng(4), 400, 300);
        var s = (1.0 / 400) * Blas.Gram(x);
        var g = Lanczos.TopK(Lanczos.GramOperator(x, 1.0 / 400), 300, 1, [1e-10], new Rng(5), blockSize);
        Assert.Equal(SymmetricEigen.TopK(s, 1).Values[0], g.Values[0], 10);
    }

    [Fact]
    public void PerPairArgumentsAreValidated()
    {
        void Op(ReadOnlySpan<double> x, Span<double> y) => x.CopyTo(y);
        Assert.Throws<NumericsException>(() => Lanczos.TopK(Op, 300, 2, [1e-8], null));
        Assert.Throws<NumericsException>(() => Lanczos.TopK(Op, 300, 2, [1e-8, 0.0], null));
        Assert.Throws<NumericsException>(() => Lanczos.TopK(Op, 300, 2, [1e-8, 1e-8], null, blockSize: 3));
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var a = Matrix.Identity(300);
        Assert.Throws<NumericsException>(() => Lanczos.TopK(a, 301));
        Assert.Throws<NumericsException>(() => Lanczos.TopK(a, -1));
        Assert.Throws<NumericsException>(() => Lanczos.TopK(a, 2, null, 0.0));
        Assert.Throws<NumericsException>(() => Lanczos.TopK(a, 2, null, double.NaN));
        a[1, 1] = double.NaN;
        Assert.Throws<NumericsException>(() => Lanczos.TopK(a, 2));
        void BadOp(ReadOnlySpan<double> x, Span<double> y) { y.Fill(double.NaN); }
        var ex = Assert.Throws<NumericsException>(() => Lanczos.TopK(BadOp, 500, 2));
        Assert.Contains("NaN", ex.Message);
        Assert.Throws<NumericsException>(() => Lanczos.TopK((x, y) => x.CopyTo(y), -1, 0));
        var lowerOnly = RandomSymmetric(new Rng(5), 300);
        for (int i = 0; i < 300; i++) for (int j = i + 1; j < 300; j++) lowerOnly[i, j] = 0;
        var asym = Assert.Throws<NumericsException>(() => Lanczos.TopK(lowerOnly, 3));
        Assert.Contains("not symmetric", asym.Message);
    }

    [Fact]
    public void LowRankOperatorWithZeroEigenvaluesConverges()
    {
        // rank-2 PSD operator of dimension 600 asked for 4 pairs: two zero eigenvalues must come back
        int n = 600;
        var u = new Rng(36).UnitVector(n);
        var w = new Rng(37).UnitVector(n);
        void Op(ReadOnlySpan<double> x, Span<double> y)
        {
            double a = 0, b = 0;
            for (int i = 0; i < n; i++) { a += u[i] * x[i]; b += w[i] * x[i]; }
            for (int i = 0; i < n; i++) y[i] = 3 * a * u[i] + 2 * b * w[i];
        }
        var lz = Lanczos.TopK(Op, n, 4);
        var g = new Matrix(n, n);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) g[i, j] = 3 * u[i] * u[j] + 2 * w[i] * w[j];
        var dense = SymmetricEigen.TopK(g, 4);
        for (int j = 0; j < 4; j++) Assert.InRange(Math.Abs(lz.Values[j] - dense.Values[j]), 0, 1e-9);
        Assert.InRange(Orthogonality(lz.Vectors), 0, 1e-10);
    }
}
