using AttentionSpectra.Numerics;
using MathNetMatrix = MathNet.Numerics.LinearAlgebra.Matrix<double>;

namespace AttentionSpectra.Tests.Numerics;

public class CholeskyTests
{
    private static Matrix RandomSpd(Rng rng, int n)
    {
        var g = GemmTests.Random(rng, n + 3, n);
        var s = Blas.Gram(g);
        for (int i = 0; i < n; i++) s[i, i] += 0.1;
        return s;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(95)]
    [InlineData(97)]
    [InlineData(300)]
    public void FactorReproducesInputAndMatchesMathNet(int n)
    {
        var rng = new Rng((ulong)n);
        var a = RandomSpd(rng, n);
        var l = Cholesky.Factor(a);
        for (int i = 0; i < n; i++)
        {
            Assert.True(l[i, i] > 0);
            for (int j = i + 1; j < n; j++) Assert.Equal(0.0, l[i, j]);
        }
        GemmTests.AssertClose(a, Blas.Multiply(l, l, transB: true), 1e-12);
        var oracle = MathNetMatrix.Build.DenseOfArray(a.ToArray()).Cholesky().Factor;
        GemmTests.AssertClose(Matrix.FromArray(oracle.ToArray()), l, 1e-9);
    }

    [Fact]
    public void OnlyTheLowerTriangleIsRead()
    {
        var rng = new Rng(11);
        var a = RandomSpd(rng, 130);
        var b = a.Clone();
        for (int i = 0; i < 130; i++) for (int j = i + 1; j < 130; j++) b[i, j] = 1e6; // junk above the diagonal
        GemmTests.AssertClose(Cholesky.Factor(a), Cholesky.Factor(b), 0);
    }

    [Fact]
    public void SolveGivesSmallResidual()
    {
        var rng = new Rng(12);
        var a = RandomSpd(rng, 150);
        var x = new double[150]; rng.FillGaussian(x);
        var b = a.Multiply(x);
        var sol = Cholesky.Solve(Cholesky.Factor(a), b);
        var r = a.Multiply(sol);
        for (int i = 0; i < 150; i++) Assert.Equal(b[i], r[i], 1e-8 * (1 + Math.Abs(b[i])));
    }

    [Fact]
    public void EmptyMatrixHasEmptyFactor() => Assert.Equal(0, Cholesky.Factor(new Matrix(0, 0)).Rows);

    [Fact]
    public void NonSpdNaNAndNonSquareAreRejected()
    {
        var ind = Matrix.FromArray(new double[,] { { 1, 2 }, { 2, 1 } }); // eigenvalues 3, -1
        Assert.Contains("not positive definite", Assert.Throws<NumericsException>(() => Cholesky.Factor(ind)).Message);
        // an indefinite matrix whose failing pivot lies beyond the first block
        var rng = new Rng(13);
        var a = RandomSpd(rng, 200);
        a[150, 150] = -1e6;
        var ex = Assert.Throws<NumericsException>(() => Cholesky.Factor(a));
        Assert.Contains("pivot 150", ex.Message);
        var nan = Matrix.Identity(3); nan[2, 1] = double.NaN;
        Assert.Contains("NaN", Assert.Throws<NumericsException>(() => Cholesky.Factor(nan)).Message);
        Assert.Contains("square", Assert.Throws<NumericsException>(() => Cholesky.Factor(new Matrix(2, 3))).Message);
        Assert.Contains("length", Assert.Throws<NumericsException>(() => Cholesky.Solve(Matrix.Identity(3), new double[2])).Message);
    }
}
