using System.Numerics.Tensors;

namespace AttentionSpectra.Numerics;

/// <summary>Level-3 kernels on row-major matrices. (Interim straightforward implementation; the SIMD,
/// cache-blocked, multi-core version replaces the bodies without changing the signatures.)</summary>
public static class Blas
{
    /// <summary>C = alpha * op(A) * op(B) + beta * C, op = identity or transpose.</summary>
    public static void Gemm(Matrix a, Matrix b, Matrix c, double alpha = 1.0, double beta = 0.0, bool transA = false, bool transB = false)
    {
        var aa = transA ? a.Transpose() : a;
        var bb = transB ? b.Transpose() : b;
        if (aa.Cols != bb.Rows) throw new NumericsException($"GEMM inner dimensions differ: {aa.Rows}x{aa.Cols} * {bb.Rows}x{bb.Cols}.");
        if (c.Rows != aa.Rows || c.Cols != bb.Cols) throw new NumericsException($"GEMM output is {c.Rows}x{c.Cols}, expected {aa.Rows}x{bb.Cols}.");
        int m = aa.Rows, k = aa.Cols, n = bb.Cols;
        Parallel.For(0, m, i =>
        {
            var ci = c.Row(i);
            if (beta == 0) ci.Clear(); else if (beta != 1) TensorPrimitives.Multiply<double>(ci, beta, ci);
            for (int p = 0; p < k; p++)
            {
                double s = alpha * aa.Data[i * k + p];
                if (s != 0) TensorPrimitives.MultiplyAdd<double>(bb.RowReadOnly(p), s, ci, ci);
            }
        });
    }

    public static Matrix Multiply(Matrix a, Matrix b, bool transA = false, bool transB = false)
    {
        int m = transA ? a.Cols : a.Rows, n = transB ? b.Rows : b.Cols;
        var c = new Matrix(m, n);
        Gemm(a, b, c, 1.0, 0.0, transA, transB);
        return c;
    }

    /// <summary>Symmetric rank-k update. trans=false: C = alpha A A' + beta C (A is n x k);
    /// trans=true: C = alpha A' A + beta C (A is k x n). The full symmetric C is written.</summary>
    public static void Syrk(Matrix a, Matrix c, double alpha = 1.0, double beta = 0.0, bool trans = false)
    {
        if (trans) Gemm(a, a, c, alpha, beta, transA: true, transB: false);
        else Gemm(a, a, c, alpha, beta, transA: false, transB: true);
    }

    /// <summary>Gram matrix A' A (trans=true) or A A' (trans=false), freshly allocated.</summary>
    public static Matrix Gram(Matrix a, bool trans = true)
    {
        int n = trans ? a.Cols : a.Rows;
        var c = new Matrix(n, n);
        Syrk(a, c, 1.0, 0.0, trans);
        return c;
    }
}
