using AttentionSpectra.Numerics;
using static AttentionSpectra.Tests.Numerics.EigenTestUtil;

namespace AttentionSpectra.Tests.Numerics;

public class EigenSolverTests
{
    // sizes around the panel size (32) and the blocked/unblocked switch (64), and not multiples of either
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(97)]
    [InlineData(211)]
    public void EigenvaluesMatchMathNetOracle(int n)
    {
        var a = RandomSymmetric(new Rng((ulong)n), n);
        var ours = SymmetricEigen.Eigenvalues(a);
        var oracle = OracleValues(a);
        double scale = a.FrobeniusNorm();
        for (int i = 0; i < n; i++) Assert.InRange(Math.Abs(ours[i] - oracle[i]), 0, 1e-12 * scale);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(63)]
    [InlineData(130)]
    [InlineData(257)]
    public void DecomposeSatisfiesInvariantsAndMatchesOracleVectors(int n)
    {
        var rng = new Rng(100 + (ulong)n);
        var g = Samplers.Gaussian(rng, n, n + 7);
        var a = Blas.Gram(g, trans: false); // Wishart-like, distinct eigenvalues almost surely
        var ed = SymmetricEigen.Decompose(a);
        AssertValidFull(a, ed);
        var oracle = Oracle(a);
        var ov = oracle.EigenVectors;
        var order = Enumerable.Range(0, n).OrderBy(i => oracle.EigenValues[i].Real).ToArray();
        double fro = a.FrobeniusNorm();
        for (int j = 0; j < n; j++)
        {
            Assert.InRange(Math.Abs(ed.Values[j] - oracle.EigenValues[order[j]].Real), 0, 1e-12 * fro);
            // eigenvectors agree up to sign where the eigenvalue is well separated (error ~ eps |A| / gap)
            double gap = double.MaxValue;
            if (j > 0) gap = Math.Min(gap, ed.Values[j] - ed.Values[j - 1]);
            if (j < n - 1) gap = Math.Min(gap, ed.Values[j + 1] - ed.Values[j]);
            if (gap < 1e-6 * fro) continue;
            double dot = 0;
            for (int i = 0; i < n; i++) dot += ed.Vectors[i, j] * ov[i, order[j]];
            Assert.InRange(Math.Abs(1 - Math.Abs(dot)), 0, 1e-12 * fro / gap + 1e-12);
        }
    }

    [Fact]
    public void EmptyAndOneByOne()
    {
        Assert.Empty(SymmetricEigen.Eigenvalues(new Matrix(0, 0)));
        var e0 = SymmetricEigen.Decompose(new Matrix(0, 0));
        Assert.Empty(e0.Values);
        Assert.Equal(0, e0.Vectors.Rows);
        Assert.Empty(SymmetricEigen.TopK(new Matrix(0, 0), 0).Values);

        var one = Matrix.FromArray(new double[,] { { -3.5 } });
        Assert.Equal([-3.5], SymmetricEigen.Eigenvalues(one));
        var e1 = SymmetricEigen.Decompose(one);
        Assert.Equal(-3.5, e1.Values[0]);
        Assert.Equal(1.0, Math.Abs(e1.Vectors[0, 0]));
        var t1 = SymmetricEigen.TopK(one, 1);
        Assert.Equal(-3.5, t1.Values[0]);
    }

    [Fact]
    public void TwoByTwoClosedForm()
    {
        // [[a, b], [b, c]]: (a+c)/2 +- sqrt(((a-c)/2)^2 + b^2)
        double a = 2.0, b = -1.25, c = -0.5;
        var m = Matrix.FromArray(new[,] { { a, b }, { b, c } });
        var ed = SymmetricEigen.Decompose(m);
        double mid = (a + c) / 2, rad = Math.Sqrt((a - c) * (a - c) / 4 + b * b);
        Assert.Equal(mid - rad, ed.Values[0], 14);
        Assert.Equal(mid + rad, ed.Values[1], 14);
        AssertValidFull(m, ed);
    }

    [Fact]
    public void NanAndInfinityAreRejectedWithClearMessage()
    {
        var a = RandomSymmetric(new Rng(3), 10);
        a[4, 2] = double.NaN;
        var ex = Assert.Throws<NumericsException>(() => SymmetricEigen.Eigenvalues(a));
        Assert.Contains("NaN", ex.Message);
        a[4, 2] = double.PositiveInfinity;
        Assert.Throws<NumericsException>(() => SymmetricEigen.Decompose(a));
        Assert.Throws<NumericsException>(() => SymmetricEigen.TopK(a, 2));
        var rect = new Matrix(3, 4);
        var ex2 = Assert.Throws<NumericsException>(() => SymmetricEigen.Decompose(rect));
        Assert.Contains("square", ex2.Message);
        Assert.Throws<ArgumentNullException>(() => SymmetricEigen.Eigenvalues(null!));
    }

    [Theory]
    [InlineData(0, 599, double.NaN)]                 // upper corner: checked although never read
    [InlineData(599, 0, double.NegativeInfinity)]    // last row chunk
    [InlineData(300, 300, double.PositiveInfinity)]  // a diagonal entry in a middle chunk
    public void EveryNonFiniteEntryOfALargeMatrixIsRejected(int row, int col, double bad)
    {
        // eigenvalues check finiteness and the scale in one pass over row chunks on all cores
        var a = RandomSymmetric(new Rng(4), 600);
        a[row, col] = bad;
        var ex = Assert.Throws<NumericsException>(() => SymmetricEigen.Eigenvalues(a));
        Assert.Contains("NaN or infinite", ex.Message);
        Assert.Contains("Symmetric eigenproblem input", ex.Message);
    }

    [Fact]
    public void ScalingDecisionSeesEveryRowChunk()
    {
        // subnormal entries only below the first row chunk (the first 100 rows and columns are zero): without the
        // scaling that the later chunks call for, the reduction would work with a few significant bits
        int n = 600;
        var b = RandomSymmetric(new Rng(5), n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (i < 100 || j < 100) b[i, j] = 0;
        var a = new Matrix(n, n);
        for (int i = 0; i < n * n; i++) a.Data[i] = b.Data[i] * 1e-310;
        var expected = SymmetricEigen.Eigenvalues(b);
        var vals = SymmetricEigen.Eigenvalues(a);
        double top = Math.Max(Math.Abs(expected[0]), Math.Abs(expected[^1]));
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(vals[i] / 1e-310 - expected[i]) <= 1e-6 * top, $"value {i}");
    }

    [Fact]
    public void OnlyLowerTriangleIsRead()
    {
        int n = 90;
        var a = RandomSymmetric(new Rng(8), n);
        var b = a.Clone();
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) b[i, j] = 1e6 * (i - j);
        var ea = SymmetricEigen.Decompose(a);
        var eb = SymmetricEigen.Decompose(b);
        for (int i = 0; i < n; i++) Assert.Equal(ea.Values[i], eb.Values[i], 12);
        AssertValidFull(a, eb);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    public void IdentityAndZeroMatrix(int n)
    {
        var id = Matrix.Identity(n);
        var ed = SymmetricEigen.Decompose(id);
        Assert.All(ed.Values, v => Assert.Equal(1.0, v, 14));
        AssertValidFull(id, ed);
        var zero = new Matrix(n, n);
        var ez = SymmetricEigen.Decompose(zero);
        Assert.All(ez.Values, v => Assert.Equal(0.0, v));
        Assert.InRange(Orthogonality(ez.Vectors), 0, 1e-14);
        var tz = SymmetricEigen.TopK(zero, Math.Min(3, n));
        Assert.InRange(Orthogonality(tz.Vectors), 0, 1e-14);
    }

    [Fact]
    public void RepeatedEigenvaluesGiveOrthonormalBasisOfEachEigenspace()
    {
        // multiplicities 10, 25, 1, 40, 24 (n = 100) in a random basis
        var spec = new List<double>();
        spec.AddRange(Enumerable.Repeat(-2.0, 10));
        spec.AddRange(Enumerable.Repeat(1.0, 25));
        spec.Add(1.5);
        spec.AddRange(Enumerable.Repeat(3.0, 40));
        spec.AddRange(Enumerable.Repeat(7.0, 24));
        var a = WithSpectrum(new Rng(11), spec.ToArray());
        var ed = SymmetricEigen.Decompose(a);
        AssertValidFull(a, ed);
        var sorted = spec.OrderBy(x => x).ToArray();
        for (int i = 0; i < sorted.Length; i++) Assert.Equal(sorted[i], ed.Values[i], 12);
        var top = SymmetricEigen.TopK(a, 30);
        for (int i = 0; i < 24; i++) Assert.Equal(7.0, top.Values[i], 12);
        for (int i = 24; i < 30; i++) Assert.Equal(3.0, top.Values[i], 12);
        Assert.InRange(Orthogonality(top.Vectors), 0, 1e-10);
        Assert.InRange(MaxResidual(a, top), 0, 1e-10 * a.FrobeniusNorm());
    }

    [Fact]
    public void ClusteredSpectrumStaysOrthogonal()
    {
        // 120 eigenvalues packed into [1, 1 + 1e-9] plus a few far away
        int n = 130;
        var rng = new Rng(12);
        var spec = new double[n];
        for (int i = 0; i < 120; i++) spec[i] = 1 + 1e-9 * rng.NextDouble();
        for (int i = 120; i < n; i++) spec[i] = -5 + i * 0.1;
        var a = WithSpectrum(rng, spec);
        var ed = SymmetricEigen.Decompose(a);
        AssertValidFull(a, ed);
    }

    [Theory]
    [InlineData(21)]
    [InlineData(101)]
    public void WilkinsonMatrixMatchesOracle(int n)
    {
        // W+_n: tridiagonal, diagonal |m - i|, off-diagonal 1; its top eigenvalues come in pairs agreeing to ~1e-14 and beyond
        int half = n / 2;
        var a = new Matrix(n, n);
        for (int i = 0; i < n; i++) { a[i, i] = Math.Abs(half - i); if (i + 1 < n) { a[i, i + 1] = 1; a[i + 1, i] = 1; } }
        var ed = SymmetricEigen.Decompose(a);
        AssertValidFull(a, ed);
        var oracle = OracleValues(a);
        for (int i = 0; i < n; i++) Assert.InRange(Math.Abs(ed.Values[i] - oracle[i]), 0, 1e-12 * a.FrobeniusNorm());
    }

    [Fact]
    public void RankDeficientGramMatrix()
    {
        // A = G G' with G 150 x 20: 130 zero eigenvalues
        int n = 150, r = 20;
        var g = Samplers.Gaussian(new Rng(13), n, r);
        var a = Blas.Gram(g, trans: false);
        var ed = SymmetricEigen.Decompose(a);
        AssertValidFull(a, ed);
        double fro = a.FrobeniusNorm();
        for (int i = 0; i < n - r; i++) Assert.InRange(Math.Abs(ed.Values[i]), 0, 1e-12 * fro);
        var oracle = OracleValues(a);
        for (int i = n - r; i < n; i++) Assert.InRange(Math.Abs(ed.Values[i] - oracle[i]), 0, 1e-12 * fro);
    }

    [Fact]
    public void GradedMatrix()
    {
        // D S D with D = diag(10^(-8 i / n)): entries span 16 orders of magnitude
        int n = 80;
        var s = RandomSymmetric(new Rng(14), n);
        var a = new Matrix(n, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) a[i, j] = Math.Pow(10, -8.0 * i / n) * s[i, j] * Math.Pow(10, -8.0 * j / n);
        var ed = SymmetricEigen.Decompose(a);
        AssertValidFull(a, ed);
        var oracle = OracleValues(a);
        for (int i = 0; i < n; i++) Assert.InRange(Math.Abs(ed.Values[i] - oracle[i]), 0, 1e-13 * a.FrobeniusNorm());
    }

    [Theory]
    [InlineData(150, 1)]
    [InlineData(150, 10)]
    [InlineData(77, 77)]
    public void TopKMatchesFullDecomposition(int n, int k)
    {
        var g = Samplers.Gaussian(new Rng(15), n, 2 * n);
        var a = Blas.Gram(g, trans: false);
        var full = SymmetricEigen.Decompose(a);
        var top = SymmetricEigen.TopK(a, k);
        Assert.Equal(k, top.Values.Length);
        Assert.Equal(n, top.Vectors.Rows);
        Assert.Equal(k, top.Vectors.Cols);
        double fro = a.FrobeniusNorm();
        for (int j = 0; j < k; j++)
        {
            Assert.InRange(Math.Abs(top.Values[j] - full.Values[n - 1 - j]), 0, 1e-12 * fro);
            if (j > 0) Assert.True(top.Values[j] <= top.Values[j - 1]);
            double dot = 0;
            for (int i = 0; i < n; i++) dot += top.Vectors[i, j] * full.Vectors[i, n - 1 - j];
            Assert.InRange(Math.Abs(1 - Math.Abs(dot)), 0, 1e-9);
        }
        Assert.InRange(Orthogonality(top.Vectors), 0, 1e-10);
        Assert.InRange(MaxResidual(a, top), 0, 1e-10 * fro);
    }

    [Fact]
    public void TopKRejectsBadK()
    {
        var a = Matrix.Identity(4);
        Assert.Throws<NumericsException>(() => SymmetricEigen.TopK(a, 5));
        Assert.Throws<NumericsException>(() => SymmetricEigen.TopK(a, -1));
        Assert.Empty(SymmetricEigen.TopK(a, 0).Values);
    }

    [Fact]
    public void LargerMatrixCrossesSeveralPanelsAndStaysAccurate()
    {
        int n = 403; // several 32-row panels, parallel paths, odd size
        var a = RandomSymmetric(new Rng(16), n);
        var ed = SymmetricEigen.Decompose(a);
        AssertValidFull(a, ed);
        var vals = SymmetricEigen.Eigenvalues(a);
        for (int i = 0; i < n; i++) Assert.InRange(Math.Abs(vals[i] - ed.Values[i]), 0, 1e-12 * a.FrobeniusNorm());
    }
}

public class EigenScalingTests
{
    [Theory]
    [InlineData(1e200)]
    [InlineData(1e-200)]
    [InlineData(1e-310)]
    [InlineData(-1e200)]
    public void ExtremeScalesGiveScaledEigenpairs(double factor)
    {
        // eigenpairs of c A are (c l, v): checked against the unscaled solve, no overflow/underflow on the way
        int n = 70;
        var a = EigenTestUtil.RandomSymmetric(new Rng(17), n);
        var ref0 = SymmetricEigen.Decompose(factor < 0 ? -1.0 * a : a);
        var scaled = factor * a;
        factor = Math.Abs(factor);
        var vals = SymmetricEigen.Eigenvalues(scaled);
        var ed = SymmetricEigen.Decompose(scaled);
        var top = SymmetricEigen.TopK(scaled, 3);
        double tol = factor < 1e-300 ? 1e-6 : 1e-12; // subnormal inputs carry only a few significant digits
        for (int i = 0; i < n; i++)
        {
            Assert.InRange(Math.Abs(vals[i] / factor - ref0.Values[i]), 0, tol * a.FrobeniusNorm());
            Assert.InRange(Math.Abs(ed.Values[i] / factor - ref0.Values[i]), 0, tol * a.FrobeniusNorm());
        }
        for (int j = 0; j < 3; j++) Assert.InRange(Math.Abs(top.Values[j] / factor - ref0.Values[n - 1 - j]), 0, tol * a.FrobeniusNorm());
        Assert.InRange(EigenTestUtil.Orthogonality(ed.Vectors), 0, 1e-10);
        Assert.True(ed.Vectors.AllFinite());
    }
}
