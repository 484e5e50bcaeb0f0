using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

/// <summary>Cholesky input checks and exactly singular inputs, asserting the message that only the intended check
/// produces (a later pivot failure also mentions NaN, so "NaN" alone cannot tell them apart).</summary>
public class CholeskyMutationTests
{
    [Fact]
    public void NonFiniteInputIsRejectedByTheInputCheckNotByAPivot()
    {
        var lower = Matrix.Identity(3); lower[2, 1] = double.NaN;
        var upper = Matrix.Identity(3); upper[0, 2] = double.NaN; // never read by the factorisation itself
        var inf = Matrix.Identity(3); inf[1, 1] = double.PositiveInfinity;
        foreach (var a in new[] { lower, upper, inf })
        {
            var ex = Assert.Throws<NumericsException>(() => Cholesky.Factor(a));
            Assert.Equal("Cholesky input contains NaN or infinite entries.", ex.Message);
        }
    }

    [Theory]
    [InlineData(new double[] { 1, 1, 1, 1 }, 1)]                     // rank 1, pivot 1 = 1 - 1 = 0 exactly
    [InlineData(new double[] { 4, 2, 2, 2, 1, 1, 2, 1, 1 }, 1)]      // rank 1, pivot 1 = 1 - (2/2)^2 = 0
    [InlineData(new double[] { 0, 0, 0, 0 }, 0)]                     // zero matrix
    [InlineData(new double[] { 1, 0, 0, 0, 4, 0, 0, 0, 0 }, 2)]      // diag(1, 4, 0)
    public void ExactlySingularPsdInputIsNotPositiveDefinite(double[] data, int pivot)
    {
        int n = (int)Math.Round(Math.Sqrt(data.Length));
        var a = new Matrix(n, n, data);
        var ex = Assert.Throws<NumericsException>(() => Cholesky.Factor(a));
        Assert.Contains($"not positive definite (pivot {pivot} = 0)", ex.Message);
    }

    [Fact]
    public void SolveByHandAndItsChecks()
    {
        // A = [[4, 2], [2, 3]] = L L' with L = [[2, 0], [1, sqrt 2]]; A (1, -1)' = (2, -1)'
        var l = Cholesky.Factor(Matrix.FromArray(new double[,] { { 4, 2 }, { 2, 3 } }));
        Assert.Equal(2.0, l[0, 0], 15); Assert.Equal(1.0, l[1, 0], 15); Assert.Equal(Math.Sqrt(2), l[1, 1], 15);
        Assert.Equal(0.0, l[0, 1]);
        var x = Cholesky.Solve(l, [2.0, -1.0]);
        Assert.Equal(1.0, x[0], 14); Assert.Equal(-1.0, x[1], 14);
        Assert.Equal("Right-hand side contains NaN or infinite entries.",
            Assert.Throws<NumericsException>(() => Cholesky.Solve(l, [double.NaN, 1.0])).Message);
        Assert.Equal("Cholesky factor must be square, got 2x3.",
            Assert.Throws<NumericsException>(() => Cholesky.Solve(new Matrix(2, 3), [1.0, 1.0])).Message);
        Assert.Equal("Cholesky input must be square, got 3x2.",
            Assert.Throws<NumericsException>(() => Cholesky.Factor(new Matrix(3, 2))).Message);
        Assert.Throws<ArgumentNullException>(() => Cholesky.Solve(null!, [1.0]));
        Assert.Throws<ArgumentNullException>(() => Cholesky.Factor(null!));
    }
}
