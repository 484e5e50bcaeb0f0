using System.Runtime.InteropServices;

namespace AttentionSpectra.Numerics;

/// <summary>Level-3 kernels on row-major matrices: packed, cache-blocked, register-blocked SIMD (AVX-512 or AVX2/FMA)
/// GEMM and SYRK using all cores for large problems (see <see cref="GemmCore"/>). Inputs must be finite.</summary>
public static class Blas
{
    /// <summary>C = alpha * op(A) * op(B) + beta * C, op = identity or transpose (transposes are never materialised).
    /// When beta = 0, C is not read (it may hold garbage). A or B may be the same object as C (it is copied first).</summary>
    public static unsafe void Gemm(Matrix a, Matrix b, Matrix c, double alpha = 1.0, double beta = 0.0, bool transA = false, bool transB = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        int m = transA ? a.Cols : a.Rows, ka = transA ? a.Rows : a.Cols;
        int kb = transB ? b.Cols : b.Rows, n = transB ? b.Rows : b.Cols;
        string sa = transA ? "A'" : "A", sb = transB ? "B'" : "B";
        if (ka != kb) throw new NumericsException($"GEMM inner dimensions differ: {sa} is {m}x{ka}, {sb} is {kb}x{n}.");
        if (c.Rows != m || c.Cols != n) throw new NumericsException($"GEMM output is {c.Rows}x{c.Cols}, expected {m}x{n}.");
        CheckScalar(alpha, "alpha"); CheckScalar(beta, "beta");
        NumericsException.ThrowIfNotFinite(a, "GEMM input A");
        NumericsException.ThrowIfNotFinite(b, "GEMM input B");
        if (beta != 0) NumericsException.ThrowIfNotFinite(c, "GEMM input C");
        if (ReferenceEquals(a, c)) a = a.Clone();
        if (ReferenceEquals(b, c)) b = b.Clone();
        fixed (double* pa = a.Data, pb = b.Data, pc = c.Data)
            GemmCore.Run(m, n, ka, pa, a.Cols, transA, pb, b.Cols, transB, pc, c.Cols, alpha, beta);
    }

    /// <summary>op(A) * op(B), freshly allocated.</summary>
    public static Matrix Multiply(Matrix a, Matrix b, bool transA = false, bool transB = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int m = transA ? a.Cols : a.Rows, n = transB ? b.Rows : b.Cols;
        var c = new Matrix(m, n);
        Gemm(a, b, c, 1.0, 0.0, transA, transB);
        return c;
    }

    /// <summary>Symmetric rank-k update. trans=false: C = alpha A A' + beta C (A is n x k);
    /// trans=true: C = alpha A' A + beta C (A is k x n). Only the lower-triangle blocks are computed (about half the
    /// flops of GEMM); the result is mirrored, so the full symmetric C is written. When beta != 0 only the lower
    /// triangle of C is read (C is taken to be symmetric).</summary>
    public static unsafe void Syrk(Matrix a, Matrix c, double alpha = 1.0, double beta = 0.0, bool trans = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(c);
        int n = trans ? a.Cols : a.Rows, k = trans ? a.Rows : a.Cols;
        if (c.Rows != n || c.Cols != n) throw new NumericsException($"SYRK output is {c.Rows}x{c.Cols}, expected {n}x{n}.");
        CheckScalar(alpha, "alpha"); CheckScalar(beta, "beta");
        NumericsException.ThrowIfNotFinite(a, "SYRK input A");
        if (beta != 0) NumericsException.ThrowIfNotFinite(c, "SYRK input C");
        if (ReferenceEquals(a, c)) a = a.Clone();
        fixed (double* pa = a.Data, pc = c.Data)
        {
            // op(A) = A (n x k) and op(B) = A' for trans=false; op(A) = A', op(B) = A for trans=true.
            GemmCore.Run(n, n, k, pa, a.Cols, trans, pa, a.Cols, !trans, pc, n, alpha, beta, lowerOnly: true);
            MirrorLowerToUpper(pc, n, n);
        }
    }

    /// <summary>Gram matrix A' A (trans=true) or A A' (trans=false), freshly allocated (computed with <see cref="Syrk"/>).</summary>
    public static Matrix Gram(Matrix a, bool trans = true)
    {
        ArgumentNullException.ThrowIfNull(a);
        int n = trans ? a.Cols : a.Rows;
        var c = new Matrix(n, n);
        Syrk(a, c, 1.0, 0.0, trans);
        return c;
    }

    /// <summary>Copies the strict lower triangle of the n x n block at c (row stride ldc) onto the upper triangle.</summary>
    internal static unsafe void MirrorLowerToUpper(double* c, int n, nint ldc)
    {
        const int B = 64;
        for (int jj = 0; jj < n; jj += B)
            for (int ii = jj; ii < n; ii += B)
            {
                int iMax = Math.Min(ii + B, n), jMax = Math.Min(jj + B, n);
                for (int i = ii; i < iMax; i++)
                {
                    int jEnd = Math.Min(jMax, i);
                    for (int j = jj; j < jEnd; j++) c[j * ldc + i] = c[i * ldc + j];
                }
            }
    }

    private static void CheckScalar(double v, string name)
    {
        if (!double.IsFinite(v)) throw new NumericsException($"BLAS scalar {name} must be finite, got {v}.");
    }
}
