using AttentionSpectra.Numerics;
using MathNetMatrix = MathNet.Numerics.LinearAlgebra.Matrix<double>;

namespace AttentionSpectra.Tests.Numerics;

public class GemmTests
{
    internal static Matrix Random(Rng rng, int r, int c)
    {
        var m = new Matrix(r, c);
        rng.FillUniform(m.Data);
        for (int i = 0; i < m.Data.Length; i++) m.Data[i] = 2 * m.Data[i] - 1;
        return m;
    }

    /// <summary>Independent reference: naive triple loop on op(A), op(B) read through index arithmetic.</summary>
    internal static Matrix Naive(Matrix a, Matrix b, Matrix c0, double alpha, double beta, bool ta, bool tb)
    {
        int m = ta ? a.Cols : a.Rows, k = ta ? a.Rows : a.Cols, n = tb ? b.Rows : b.Cols;
        var c = c0.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (ta ? a[p, i] : a[i, p]) * (tb ? b[j, p] : b[p, j]);
                c[i, j] = alpha * s + (beta == 0 ? 0 : beta * c0[i, j]);
            }
        return c;
    }

    internal static void AssertClose(Matrix expected, Matrix actual, double relTol = 1e-12)
    {
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Cols, actual.Cols);
        double scale = Math.Max(1.0, expected.Data.Length == 0 ? 0 : expected.Data.Max(Math.Abs));
        for (int i = 0; i < expected.Data.Length; i++)
            Assert.True(Math.Abs(expected.Data[i] - actual.Data[i]) <= relTol * scale,
                $"entry {i / Math.Max(1, expected.Cols)},{i % Math.Max(1, expected.Cols)}: expected {expected.Data[i]}, got {actual.Data[i]}");
    }

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 0, 4, 3 }, { 4, 0, 3 }, { 4, 3, 0 }, { 2, 3, 5 }, { 37, 53, 61 }, { 3, 200, 7 },
        { 8, 24, 512 }, { 9, 25, 513 }, { 193, 49, 31 }, { 97, 101, 515 }, { 130, 7, 260 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesNaiveTripleLoopForAllTransposesAndScalars(int m, int n, int k)
    {
        var rng = new Rng((ulong)(m * 1000003 + n * 1009 + k));
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            foreach (var (alpha, beta) in new[] { (1.0, 0.0), (-0.5, 2.0), (2.0, 1.0) })
            {
                var a = ta ? Random(rng, k, m) : Random(rng, m, k);
                var b = tb ? Random(rng, n, k) : Random(rng, k, n);
                var c0 = Random(rng, m, n);
                var c = c0.Clone();
                Blas.Gemm(a, b, c, alpha, beta, ta, tb);
                AssertClose(Naive(a, b, c0, alpha, beta, ta, tb), c);
            }
    }

    public static TheoryData<string> Kernels()
    {
        var d = new TheoryData<string>();
        foreach (var k in Enum.GetValues<GemmKernelKind>()) if (GemmConfig.Supported(k)) d.Add(k.ToString());
        return d;
    }

    /// <summary>Every micro-kernel the CPU supports (not only the default one), with small blocks so that
    /// KC/MC/NC edges and several packing passes are exercised, single- and multi-threaded.</summary>
    [Theory]
    [MemberData(nameof(Kernels))]
    public unsafe void EachKernelWithSmallBlocksMatchesNaive(string kindName)
    {
        var kind = Enum.Parse<GemmKernelKind>(kindName);
        var baseCfg = GemmConfig.For(kind);
        var cfg = baseCfg with { KC = 40, MC = baseCfg.MR * 3, NC = baseCfg.NR * 2 };
        var rng = new Rng(77);
        // (61, 83, 97) stays serial; (150, 149, 53) runs the shared-B row-parallel driver, (61, 183, 97) the column split
        foreach (var (m, n, k) in new[] { (61, 83, 97), (150, 149, 53), (61, 183, 97) })
            foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
                foreach (bool parallel in new[] { false, true })
                {
                    var a = ta ? Random(rng, k, m) : Random(rng, m, k);
                    var b = tb ? Random(rng, n, k) : Random(rng, k, n);
                    var c0 = Random(rng, m, n);
                    var c = c0.Clone();
                    fixed (double* pa = a.Data, pb = b.Data, pc = c.Data)
                        GemmCore.Run(m, n, k, pa, a.Cols, ta, pb, b.Cols, tb, pc, n, 0.75, -1.25, allowParallel: parallel, config: cfg);
                    AssertClose(Naive(a, b, c0, 0.75, -1.25, ta, tb), c);
                }
        // lower-triangle (SYRK) mode with the same kernel: every entry on or below the diagonal must be exact,
        // entries above it are scratch.
        foreach (var (n, k) in new[] { (61, 97), (150, 53) })
            foreach (bool trans in new[] { false, true })
                foreach (bool parallel in new[] { false, true })
                {
                    var a = trans ? Random(rng, k, n) : Random(rng, n, k);
                    var c0 = Random(rng, n, n);
                    var c = c0.Clone();
                    fixed (double* pa = a.Data, pc = c.Data)
                        GemmCore.Run(n, n, k, pa, a.Cols, trans, pa, a.Cols, !trans, pc, n, 1.5, 0.5, lowerOnly: true, allowParallel: parallel, config: cfg);
                    var expected = Naive(a, a, c0, 1.5, 0.5, trans, !trans);
                    double scale = expected.Data.Max(Math.Abs);
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j <= i; j++)
                            Assert.True(Math.Abs(expected[i, j] - c[i, j]) <= 1e-12 * scale, $"lower ({i},{j})");
                }
    }

    /// <summary>Both row-parallel schedules (shared packed B with dynamic blocks, static split) give exact results,
    /// for GEMM and the lower-triangle mode. (Both are valid, so flipping the switch cannot break concurrent tests.)</summary>
    [Fact]
    public void BothRowParallelSchedulesMatchNaive()
    {
        var saved = GemmCore.RowSchedule;
        try
        {
            foreach (var sched in Enum.GetValues<GemmCore.RowParallelSchedule>())
            {
                GemmCore.RowSchedule = sched;
                var rng = new Rng(55);
                var a = Random(rng, 211, 130); var b = Random(rng, 130, 190); var c0 = Random(rng, 211, 190);
                var c = c0.Clone();
                Blas.Gemm(a, b, c, 1.25, -0.5);
                AssertClose(Naive(a, b, c0, 1.25, -0.5, false, false), c);
                var g = Blas.Gram(a, trans: false);
                AssertClose(Naive(a, a, new Matrix(211, 211), 1, 0, false, true), g);
            }
        }
        finally { GemmCore.RowSchedule = saved; }
    }

    [Fact]
    public void LargeParallelProductMatchesMathNet()
    {
        var rng = new Rng(5);
        foreach (var (m, k, n) in new[] { (301, 257, 289), (40, 600, 333), (333, 600, 40) })
        {
            var a = Random(rng, m, k); var b = Random(rng, k, n);
            var ours = Blas.Multiply(a, b);
            var oracle = MathNetMatrix.Build.DenseOfArray(a.ToArray()) * MathNetMatrix.Build.DenseOfArray(b.ToArray());
            AssertClose(Matrix.FromArray(oracle.ToArray()), ours, 1e-12);
            // transposed operands give the transposed product: (A B)' = B' A'
            var t = Blas.Multiply(b, a, transA: true, transB: true);
            AssertClose(ours.Transpose(), t, 1e-12);
        }
    }

    [Fact]
    public void TallSkinnyPanelShapesMatchMathNet()
    {
        var rng = new Rng(6);
        var q = Random(rng, 700, 32);
        var r = Random(rng, 32, 650);
        var oracle = MathNetMatrix.Build.DenseOfArray(q.ToArray()) * MathNetMatrix.Build.DenseOfArray(r.ToArray());
        AssertClose(Matrix.FromArray(oracle.ToArray()), Blas.Multiply(q, r));
        var g = Blas.Multiply(q, q, transA: true); // 32 x 32 from a 700-long inner dimension
        var go = MathNetMatrix.Build.DenseOfArray(q.ToArray()).TransposeThisAndMultiply(MathNetMatrix.Build.DenseOfArray(q.ToArray()));
        AssertClose(Matrix.FromArray(go.ToArray()), g);
    }

    [Fact]
    public void BetaZeroDoesNotReadC()
    {
        var rng = new Rng(8);
        var a = Random(rng, 50, 40); var b = Random(rng, 40, 60);
        var c = new Matrix(50, 60);
        Array.Fill(c.Data, double.NaN);
        Blas.Gemm(a, b, c, 1.0, 0.0);
        Assert.True(c.AllFinite());
        AssertClose(Naive(a, b, new Matrix(50, 60), 1, 0, false, false), c);
    }

    [Fact]
    public void ZeroInnerDimensionScalesC()
    {
        var c = Matrix.FromArray(new double[,] { { 1, 2 }, { 3, 4 } });
        Blas.Gemm(new Matrix(2, 0), new Matrix(0, 2), c, 1.0, 3.0);
        Assert.Equal(new double[] { 3, 6, 9, 12 }, c.Data);
        Blas.Gemm(new Matrix(2, 0), new Matrix(0, 2), c, 1.0, 0.0);
        Assert.All(c.Data, v => Assert.Equal(0.0, v));
        Assert.Equal(0, Blas.Multiply(new Matrix(0, 3), new Matrix(3, 5)).Rows);
    }

    [Fact]
    public void OutputAliasingAnInputIsHandled()
    {
        var rng = new Rng(9);
        var a = Random(rng, 70, 70);
        var expected = Naive(a, a, a, 1.0, 0.5, false, true);
        Blas.Gemm(a, a, a, 1.0, 0.5, false, true);
        AssertClose(expected, a);
    }

    [Fact]
    public void ShapeMismatchAndNonFiniteInputAreRejectedWithClearMessages()
    {
        var ex = Assert.Throws<NumericsException>(() => Blas.Multiply(new Matrix(3, 4), new Matrix(5, 2)));
        Assert.Contains("inner dimensions", ex.Message);
        ex = Assert.Throws<NumericsException>(() => Blas.Gemm(new Matrix(3, 4), new Matrix(4, 2), new Matrix(3, 3)));
        Assert.Contains("expected 3x2", ex.Message);
        var bad = new Matrix(40, 40); bad[39, 38] = double.NaN;
        ex = Assert.Throws<NumericsException>(() => Blas.Multiply(bad, new Matrix(40, 3)));
        Assert.Contains("NaN", ex.Message);
        bad[39, 38] = double.PositiveInfinity;
        Assert.Throws<NumericsException>(() => Blas.Multiply(new Matrix(3, 40), bad));
        Assert.Throws<NumericsException>(() => Blas.Gemm(new Matrix(2, 2), new Matrix(2, 2), new Matrix(2, 2), double.NaN));
    }
}
