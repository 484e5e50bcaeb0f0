using AttentionSpectra.Numerics;
using MathNetMatrix = MathNet.Numerics.LinearAlgebra.Matrix<double>;

namespace AttentionSpectra.Tests.Numerics;

public class MatrixTests
{
    [Fact]
    public void IndexingLayoutAndRoundTrips()
    {
        var a = Matrix.FromArray(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal(new double[] { 1, 2, 3, 4, 5, 6 }, a.Data);
        Assert.Equal(6.0, a[1, 2]);
        a[0, 1] = 9; Assert.Equal(9.0, a.Data[1]);
        Assert.Equal(new double[] { 9, 5 }, a.Column(1));
        Assert.Equal(new double[] { 4, 5, 6 }, a.RowReadOnly(1).ToArray());
        Assert.Equal(a.Data, Matrix.FromArray(a.ToArray()).Data);
        Assert.Equal(a.Data, Matrix.FromRows([[1, 9, 3], [4, 5, 6]]).Data);
        Assert.Throws<ArgumentException>(() => Matrix.FromRows([[1, 2], [3]]));
        Assert.Throws<ArgumentException>(() => new Matrix(2, 2, new double[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Matrix(-1, 2));
    }

    [Fact]
    public void TransposeTraceNormsMatchMathNet()
    {
        var rng = new Rng(3);
        var a = GemmTests.Random(rng, 45, 71);
        var mn = MathNetMatrix.Build.DenseOfArray(a.ToArray());
        Assert.Equal(mn.Transpose().ToArray(), a.Transpose().ToArray());
        Assert.Equal(a.Data, a.Transpose().Transpose().Data);
        Assert.Equal(mn.FrobeniusNorm(), a.FrobeniusNorm(), 1e-12);
        var s = GemmTests.Random(rng, 30, 30);
        Assert.Equal(MathNetMatrix.Build.DenseOfArray(s.ToArray()).Trace(), s.Trace(), 1e-13);
        Assert.Equal(0.0, (s + s.Transpose()).AsymmetryNorm());
        Assert.True(s.AsymmetryNorm() > 0);
        var x = new double[71]; rng.FillGaussian(x);
        var y = a.Multiply(x);
        var yo = mn * MathNet.Numerics.LinearAlgebra.Vector<double>.Build.DenseOfArray(x);
        for (int i = 0; i < 45; i++) Assert.Equal(yo[i], y[i], 1e-12);
    }

    [Fact]
    public void OperatorsAndConstructors()
    {
        var a = Matrix.FromArray(new double[,] { { 1, 2 }, { 3, 4 } });
        var b = Matrix.Identity(2);
        Assert.Equal(new double[] { 2, 2, 3, 5 }, (a + b).Data);
        Assert.Equal(new double[] { 0, 2, 3, 3 }, (a - b).Data);
        Assert.Equal(new double[] { 2, 4, 6, 8 }, (2.0 * a).Data);
        Assert.Equal(new double[] { 7, 10, 15, 22 }, (a * a).Data);
        Assert.Equal(new double[] { 3, 0, 0, -1 }, Matrix.Diagonal([3, -1]).Data);
        var c = a.Clone(); c[0, 0] = 100; Assert.Equal(1.0, a[0, 0]);
        Assert.Throws<ArgumentException>(() => a + new Matrix(2, 3));
    }

    [Fact]
    public void AllFiniteDetectsNonFiniteEntryAnywhere()
    {
        foreach (int len in new[] { 1, 3, 16, 17, 37, 100 })
        {
            var m = new Matrix(1, len);
            Assert.True(m.AllFinite());
            foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
                for (int i = 0; i < len; i++)
                {
                    m.Data[i] = bad;
                    Assert.False(m.AllFinite());
                    m.Data[i] = 0;
                }
        }
        Assert.True(new Matrix(0, 0).AllFinite());
    }
}
