using AttentionSpectra.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace AttentionSpectra.Tests.Numerics;

/// <summary>Shared helpers for the eigensolver tests: invariants (residual, orthogonality) and the MathNet oracle.</summary>
internal static class EigenTestUtil
{
    /// <summary>max_{i,j} |(A V)_{ij} - l_j V_{ij}|, computed with plain loops (independent of the library kernels).</summary>
    public static double MaxResidual(Matrix a, EigenDecomposition ed)
    {
        int n = a.Rows, k = ed.Values.Length;
        double worst = 0;
        for (int j = 0; j < k; j++)
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int l = 0; l < n; l++) s += a[i, l] * ed.Vectors[l, j];
                worst = Math.Max(worst, Math.Abs(s - ed.Values[j] * ed.Vectors[i, j]));
            }
        return worst;
    }

    /// <summary>max |V'V - I|.</summary>
    public static double Orthogonality(Matrix v)
    {
        int n = v.Rows, k = v.Cols;
        double worst = 0;
        for (int a = 0; a < k; a++)
            for (int b = a; b < k; b++)
            {
                double s = 0;
                for (int i = 0; i < n; i++) s += v[i, a] * v[i, b];
                worst = Math.Max(worst, Math.Abs(s - (a == b ? 1 : 0)));
            }
        return worst;
    }

    public static Matrix RandomSymmetric(Rng rng, int n)
    {
        var a = new Matrix(n, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) { double x = rng.NextGaussian(); a[i, j] = x; a[j, i] = x; }
        return a;
    }

    /// <summary>Q diag(values) Q' with Q a random orthogonal matrix (MathNet QR of a Gaussian matrix).</summary>
    public static Matrix WithSpectrum(Rng rng, double[] values)
    {
        int n = values.Length;
        var g = Samplers.Gaussian(rng, n, n);
        var q = Matrix<double>.Build.DenseOfArray(g.ToArray()).QR().Q;
        var a = q * Matrix<double>.Build.DiagonalOfDiagonalArray(values) * q.Transpose();
        var m = Matrix.FromArray(a.ToArray());
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) { double s = 0.5 * (m[i, j] + m[j, i]); m[i, j] = s; m[j, i] = s; }
        return m;
    }

    public static double[] OracleValues(Matrix a) =>
        Matrix<double>.Build.DenseOfArray(a.ToArray()).Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderBy(x => x).ToArray();

    public static MathNet.Numerics.LinearAlgebra.Factorization.Evd<double> Oracle(Matrix a) =>
        Matrix<double>.Build.DenseOfArray(a.ToArray()).Evd(Symmetricity.Symmetric);

    /// <summary>Checks ordering, residual, orthogonality and trace for a full decomposition.</summary>
    public static void AssertValidFull(Matrix a, EigenDecomposition ed, double orthTol = 1e-10)
    {
        int n = a.Rows;
        Assert.Equal(n, ed.Values.Length);
        Assert.Equal(n, ed.Vectors.Rows);
        Assert.Equal(n, ed.Vectors.Cols);
        double fro = Math.Max(a.FrobeniusNorm(), double.Epsilon);
        for (int i = 1; i < n; i++) Assert.True(ed.Values[i] >= ed.Values[i - 1], $"values not ascending at {i}");
        Assert.InRange(MaxResidual(a, ed), 0, 1e-10 * fro);
        Assert.InRange(Orthogonality(ed.Vectors), 0, orthTol);
        Assert.InRange(Math.Abs(ed.Values.Sum() - a.Trace()), 0, 1e-10 * fro * Math.Max(1, Math.Sqrt(n)));
    }
}
