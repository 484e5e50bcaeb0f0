namespace AttentionSpectra.Numerics;

/// <summary>Cholesky factorisation A = L L' of a symmetric positive-definite matrix.</summary>
public static class Cholesky
{
    /// <summary>Lower-triangular L with A = L L'. Reads the lower triangle of A.</summary>
    public static Matrix Factor(Matrix a)
    {
        ArgumentNullException.ThrowIfNull(a);
        NumericsException.ThrowIfNotSquare(a, "Cholesky input");
        NumericsException.ThrowIfNotFinite(a, "Cholesky input");
        int n = a.Rows;
        var l = new Matrix(n, n);
        for (int j = 0; j < n; j++)
        {
            var lj = l.RowReadOnly(j)[..j];
            double s = a[j, j] - System.Numerics.Tensors.TensorPrimitives.Dot(lj, lj);
            if (!(s > 0)) throw new NumericsException($"Matrix is not positive definite (pivot {j} = {s:G4}).");
            double ljj = Math.Sqrt(s);
            l[j, j] = ljj;
            for (int i = j + 1; i < n; i++)
            {
                double t = a[i, j] - System.Numerics.Tensors.TensorPrimitives.Dot(l.RowReadOnly(i)[..j], lj);
                l[i, j] = t / ljj;
            }
        }
        return l;
    }

    /// <summary>Solve A x = b given L from <see cref="Factor"/>.</summary>
    public static double[] Solve(Matrix l, ReadOnlySpan<double> b)
    {
        int n = l.Rows;
        if (b.Length != n) throw new NumericsException($"Right-hand side has length {b.Length}, expected {n}.");
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = b[i] - System.Numerics.Tensors.TensorPrimitives.Dot(l.RowReadOnly(i)[..i], y.AsSpan(0, i));
            y[i] = s / l[i, i];
        }
        var x = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double s = y[i];
            for (int k = i + 1; k < n; k++) s -= l[k, i] * x[k];
            x[i] = s / l[i, i];
        }
        return x;
    }
}
