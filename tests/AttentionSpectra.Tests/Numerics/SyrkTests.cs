using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

public class SyrkTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    [InlineData(37, 61)]
    [InlineData(389, 77)]
    [InlineData(250, 530)]
    public void SyrkMatchesGemmAndIsExactlySymmetric(int n, int k)
    {
        var rng = new Rng((ulong)(n * 7919 + k));
        foreach (bool trans in new[] { false, true })
        {
            var a = trans ? GemmTests.Random(rng, k, n) : GemmTests.Random(rng, n, k);
            var c0 = GemmTests.Random(rng, n, n);
            c0 = c0 + c0.Transpose(); // symmetric C for the beta term
            foreach (var (alpha, beta) in new[] { (1.0, 0.0), (-0.5, 1.5) })
            {
                var c = c0.Clone();
                Blas.Syrk(a, c, alpha, beta, trans);
                var expected = c0.Clone();
                Blas.Gemm(a, a, expected, alpha, beta, transA: trans, transB: !trans);
                GemmTests.AssertClose(expected, c, 1e-12);
                Assert.Equal(0.0, c.AsymmetryNorm());
            }
        }
    }

    [Fact]
    public void GramIsATransposeA()
    {
        var rng = new Rng(3);
        var a = GemmTests.Random(rng, 123, 45);
        var g = Blas.Gram(a);
        Assert.Equal(45, g.Rows);
        GemmTests.AssertClose(GemmTests.Naive(a, a, new Matrix(45, 45), 1, 0, true, false), g);
        var h = Blas.Gram(a, trans: false);
        Assert.Equal(123, h.Rows);
        GemmTests.AssertClose(GemmTests.Naive(a, a, new Matrix(123, 123), 1, 0, false, true), h);
        // A Gram matrix is positive semi-definite: x' G x = |A x|^2 >= 0 and equal to it.
        var x = rng.UnitVector(45);
        double q = x.Zip(g.Multiply(x), (u, v) => u * v).Sum();
        double ax = a.Multiply(x).Sum(v => v * v);
        Assert.Equal(ax, q, 1e-10 * Math.Max(1, ax));
    }

    [Fact]
    public void EmptyAndInvalidInputs()
    {
        Assert.Equal(0, Blas.Gram(new Matrix(5, 0)).Rows);
        var z = Blas.Gram(new Matrix(0, 4));
        Assert.All(z.Data, v => Assert.Equal(0.0, v));
        var ex = Assert.Throws<NumericsException>(() => Blas.Syrk(new Matrix(3, 4), new Matrix(4, 4)));
        Assert.Contains("expected 3x3", ex.Message);
        var bad = new Matrix(3, 4); bad[1, 2] = double.NaN;
        Assert.Contains("NaN", Assert.Throws<NumericsException>(() => Blas.Gram(bad)).Message);
    }
}
