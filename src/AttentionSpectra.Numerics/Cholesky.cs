using System.Numerics.Tensors;

namespace AttentionSpectra.Numerics;

/// <summary>Cholesky factorisation A = L L' of a symmetric positive-definite matrix. Blocked right-looking algorithm:
/// unblocked factor of each NB x NB diagonal block, the panel below it as A21 inv(L11)' (triangular inverse + GEMM), and a
/// SYRK-style trailing update (lower-triangle tiles only) with the packed SIMD GEMM kernel.</summary>
public static class Cholesky
{
    /// <summary>Block size of the right-looking algorithm (the trailing update has inner dimension NB).</summary>
    internal const int BlockSize = 96;

    /// <summary>Lower-triangular L with A = L L'. Reads the lower triangle of A.</summary>
    public static unsafe Matrix Factor(Matrix a)
    {
        ArgumentNullException.ThrowIfNull(a);
        NumericsException.ThrowIfNotSquare(a, "Cholesky input");
        NumericsException.ThrowIfNotFinite(a, "Cholesky input");
        int n = a.Rows;
        var l = new Matrix(n, n);
        for (int i = 0; i < n; i++) a.RowReadOnly(i)[..(i + 1)].CopyTo(l.Row(i));
        double[] w = l.Data;
        var linv = new double[BlockSize * BlockSize];
        var panel = new double[Math.Max(0, n - Math.Min(n, BlockSize)) * Math.Min(n, BlockSize)];
        for (int j0 = 0; j0 < n; j0 += BlockSize)
        {
            int jb = Math.Min(BlockSize, n - j0), j1 = j0 + jb;
            // 1. Diagonal block (already updated by the previous trailing updates).
            for (int j = j0; j < j1; j++)
            {
                var lj = new ReadOnlySpan<double>(w, j * n + j0, j - j0);
                double s = w[j * n + j] - TensorPrimitives.Dot(lj, lj);
                if (!(s > 0)) throw new NumericsException($"Matrix is not positive definite (pivot {j} = {s:G4}).");
                double ljj = Math.Sqrt(s);
                w[j * n + j] = ljj;
                for (int i = j + 1; i < j1; i++)
                    w[i * n + j] = (w[i * n + j] - TensorPrimitives.Dot(new ReadOnlySpan<double>(w, i * n + j0, j - j0), lj)) / ljj;
            }
            int rest = n - j1;
            if (rest == 0) break;
            // 2. Panel L21 = A21 L11^{-T} = A21 inv(L11)': invert the small triangular block, then one GEMM.
            InvertLower(w, j0, jb, n, linv);
            fixed (double* p = w, pt = panel, pi = linv)
            {
                for (int i = 0; i < rest; i++)
                    new ReadOnlySpan<double>(w, (j1 + i) * n + j0, jb).CopyTo(new Span<double>(pt + (nint)i * jb, jb));
                GemmCore.Run(rest, jb, jb, pt, jb, false, pi, jb, true, p + j1 * n + j0, n, 1.0, 0.0);
            }
            // 3. Trailing update A22 -= L21 L21' (lower triangle; entries above the diagonal are scratch, cleared below).
            fixed (double* p = w)
                GemmCore.Run(rest, rest, jb, p + j1 * n + j0, n, false, p + j1 * n + j0, n, true, p + j1 * n + j1, n, -1.0, 1.0, lowerOnly: true);
        }
        for (int i = 0; i < n; i++) l.Row(i)[(i + 1)..].Clear();
        return l;
    }

    /// <summary>inv(L11) of the jb x jb lower-triangular diagonal block at (j0, j0) of w (row stride n) into dst (jb x jb,
    /// lower, row stride jb): row i of inv(L) = -(sum_{p&lt;i} L[i,p] inv(L)[p,:]) / L[i,i], inv(L)[i,i] = 1 / L[i,i].</summary>
    private static void InvertLower(double[] w, int j0, int jb, int n, double[] dst)
    {
        Array.Clear(dst, 0, jb * jb);
        for (int i = 0; i < jb; i++)
        {
            var row = dst.AsSpan(i * jb, i + 1);
            for (int p = 0; p < i; p++)
            {
                double lip = w[(j0 + i) * n + j0 + p];
                if (lip != 0) TensorPrimitives.MultiplyAdd<double>(new ReadOnlySpan<double>(dst, p * jb, p + 1), lip, row[..(p + 1)], row[..(p + 1)]);
            }
            double inv = 1.0 / w[(j0 + i) * n + j0 + i];
            TensorPrimitives.Multiply<double>(row, -inv, row);
            row[i] = inv;
        }
    }

    /// <summary>Solve A x = b given L from <see cref="Factor"/>.</summary>
    public static double[] Solve(Matrix l, ReadOnlySpan<double> b)
    {
        ArgumentNullException.ThrowIfNull(l);
        NumericsException.ThrowIfNotSquare(l, "Cholesky factor");
        int n = l.Rows;
        if (b.Length != n) throw new NumericsException($"Right-hand side has length {b.Length}, expected {n}.");
        if (!Matrix.AllFinite(b)) throw new NumericsException("Right-hand side contains NaN or infinite entries.");
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = b[i] - TensorPrimitives.Dot(l.RowReadOnly(i)[..i], y.AsSpan(0, i));
            y[i] = s / l[i, i];
        }
        // Back substitution with L' done row-oriented: x_i = (y_i - sum_{k>i} L[k,i] x_k) / L[i,i]
        // computed as a column sweep so that L is read by rows.
        var x = y;
        for (int k = n - 1; k >= 0; k--)
        {
            x[k] /= l[k, k];
            double xk = x[k];
            if (xk != 0) TensorPrimitives.MultiplyAdd<double>(l.RowReadOnly(k)[..k], -xk, x.AsSpan(0, k), x.AsSpan(0, k));
        }
        return x;
    }
}
