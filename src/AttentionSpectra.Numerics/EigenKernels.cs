using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionSpectra.Numerics;

/// <summary>Register-blocked level-3 kernels used by the eigensolver on raw row-major buffers (sub-blocks with a
/// leading dimension, which <see cref="Blas"/> cannot address without copies).</summary>
internal static unsafe class EigenKernels
{
    /// <summary>C[i, j] += alpha * sum_p AT[p, i] * B[p, j] for 0 &lt;= i &lt; m, 0 &lt;= j &lt; n, 0 &lt;= p &lt; k.
    /// All operands row-major with the given leading dimensions. A is supplied transposed (AT is k x m) so that the
    /// four A values a micro-tile needs per p are contiguous.</summary>
    public static void AtB(int m, int n, int k, double* at, int ldat, double* b, int ldb, double* c, int ldc, double alpha)
    {
        if (m <= 0 || n <= 0 || k <= 0) return;
        if (Vector512.IsHardwareAccelerated) { AtB512(m, n, k, at, ldat, b, ldb, c, ldc, alpha); return; }
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 4 <= m; i += 4)
            {
                int j = 0;
                for (; j + 8 <= n; j += 8) Tile4x8(k, at + i, ldat, b + j, ldb, c + (long)i * ldc + j, ldc, alpha);
                if (j < n) Scalar(4, n - j, k, at + i, ldat, b + j, ldb, c + (long)i * ldc + j, ldc, alpha);
            }
        }
        if (i < m) Scalar(m - i, n, k, at + i, ldat, b, ldb, c + (long)i * ldc, ldc, alpha);
    }

    private const int KChunk = 128;

    /// <summary>AVX-512 path: B is packed per 16-column strip and K-chunk into a small contiguous buffer (L1 resident)
    /// which all row tiles (8 x 16 and 4 x 16 micro-kernels) then stream.</summary>
    private static void AtB512(int m, int n, int k, double* at, int ldat, double* b, int ldb, double* c, int ldc, double alpha)
    {
        double* pack = stackalloc double[KChunk * 16];
        int j = 0;
        for (; j + 16 <= n; j += 16)
        {
            for (int p0 = 0; p0 < k; p0 += KChunk)
            {
                int kc = Math.Min(KChunk, k - p0);
                for (int p = 0; p < kc; p++)
                {
                    double* src = b + (long)(p0 + p) * ldb + j;
                    Vector512.Load(src).Store(pack + p * 16);
                    Vector512.Load(src + 8).Store(pack + p * 16 + 8);
                }
                double* atp = at + (long)p0 * ldat;
                int i = 0;
                for (; i + 8 <= m; i += 8) Tile8x16(kc, atp + i, ldat, pack, c + (long)i * ldc + j, ldc, alpha);
                for (; i + 4 <= m; i += 4) Tile4x16(kc, atp + i, ldat, pack, c + (long)i * ldc + j, ldc, alpha);
                if (i < m) Scalar(m - i, 16, kc, atp + i, ldat, pack, 16, c + (long)i * ldc + j, ldc, alpha);
            }
        }
        if (j < n) Scalar(m, n - j, k, at, ldat, b + j, ldb, c + j, ldc, alpha);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile8x16(int k, double* at, int ldat, double* b, double* c, int ldc, double alpha)
    {
        Vector512<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<double> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector512.Load(b + p * 16);
            var b1 = Vector512.Load(b + p * 16 + 8);
            double* ap = at + (long)p * ldat;
            var a = Vector512.Create(ap[0]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(ap[1]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(ap[2]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(ap[3]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            a = Vector512.Create(ap[4]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            a = Vector512.Create(ap[5]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            a = Vector512.Create(ap[6]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61);
            a = Vector512.Create(ap[7]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71);
        }
        var al = Vector512.Create(alpha);
        Store16(c, c00, c01, al); Store16(c + ldc, c10, c11, al);
        Store16(c + 2L * ldc, c20, c21, al); Store16(c + 3L * ldc, c30, c31, al);
        Store16(c + 4L * ldc, c40, c41, al); Store16(c + 5L * ldc, c50, c51, al);
        Store16(c + 6L * ldc, c60, c61, al); Store16(c + 7L * ldc, c70, c71, al);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x16(int k, double* at, int ldat, double* b, double* c, int ldc, double alpha)
    {
        Vector512<double> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector512.Load(b + p * 16);
            var b1 = Vector512.Load(b + p * 16 + 8);
            double* ap = at + (long)p * ldat;
            var a = Vector512.Create(ap[0]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            a = Vector512.Create(ap[1]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            a = Vector512.Create(ap[2]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            a = Vector512.Create(ap[3]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
        }
        var al = Vector512.Create(alpha);
        Store16(c, c00, c01, al); Store16(c + ldc, c10, c11, al);
        Store16(c + 2L * ldc, c20, c21, al); Store16(c + 3L * ldc, c30, c31, al);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store16(double* c, Vector512<double> x0, Vector512<double> x1, Vector512<double> alpha)
    {
        Vector512.FusedMultiplyAdd(alpha, x0, Vector512.Load(c)).Store(c);
        Vector512.FusedMultiplyAdd(alpha, x1, Vector512.Load(c + 8)).Store(c + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x8(int k, double* at, int ldat, double* b, int ldb, double* c, int ldc, double alpha)
    {
        Vector256<double> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<double> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < k; p++)
        {
            double* bp = b + (long)p * ldb;
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 4);
            double* ap = at + (long)p * ldat;
            var a0 = Vector256.Create(ap[0]);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00); c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(ap[1]);
            c10 = Vector256.FusedMultiplyAdd(a1, b0, c10); c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(ap[2]);
            c20 = Vector256.FusedMultiplyAdd(a2, b0, c20); c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(ap[3]);
            c30 = Vector256.FusedMultiplyAdd(a3, b0, c30); c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
        }
        var al = Vector256.Create(alpha);
        Store(c, c00, c01, al);
        Store(c + ldc, c10, c11, al);
        Store(c + 2L * ldc, c20, c21, al);
        Store(c + 3L * ldc, c30, c31, al);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(double* c, Vector256<double> x0, Vector256<double> x1, Vector256<double> alpha)
    {
        Vector256.FusedMultiplyAdd(alpha, x0, Vector256.Load(c)).Store(c);
        Vector256.FusedMultiplyAdd(alpha, x1, Vector256.Load(c + 4)).Store(c + 4);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Scalar(int m, int n, int k, double* at, int ldat, double* b, int ldb, double* c, int ldc, double alpha)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += at[(long)p * ldat + i] * b[(long)p * ldb + j];
                c[(long)i * ldc + j] += alpha * s;
            }
    }

    /// <summary>Runs body(0..count) in parallel when <paramref name="parallel"/>, else inline (small problems: the
    /// solver is also called many times on small matrices, where task overhead would dominate). Either way a failing
    /// body's exception reaches the caller as itself (the first worker's, in parallel), not wrapped.</summary>
    public static void For(int count, bool parallel, Action<int> body)
    {
        if (parallel && count > 1 && Environment.ProcessorCount > 1)
        {
            try
            {
                Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                    body);
            }
            catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
                throw;
            }
        }
        else
            for (int i = 0; i < count; i++) body(i);
    }

    /// <summary>Parallel driver: splits the columns of C into chunks over the available cores.</summary>
    public static void AtBParallelColumns(int m, int n, int k, double* at, int ldat, double* b, int ldb, double* c, int ldc, double alpha)
    {
        long work = (long)m * n * k;
        int chunks = work < 1 << 18 ? 1 : Math.Min(Environment.ProcessorCount * 4, Math.Max(1, n / 64));
        if (chunks <= 1) { AtB(m, n, k, at, ldat, b, ldb, c, ldc, alpha); return; }
        nint pat = (nint)at, pb = (nint)b, pc = (nint)c;
        Parallel.For(0, chunks, t =>
        {
            int j0 = (int)((long)n * t / chunks) & ~15, j1 = t == chunks - 1 ? n : (int)((long)n * (t + 1) / chunks) & ~15;
            if (j1 > j0) AtB(m, j1 - j0, k, (double*)pat, ldat, (double*)pb + j0, ldb, (double*)pc + j0, ldc, alpha);
        });
    }

    /// <summary>Parallel driver: splits the rows of C (multiples of 4) into chunks over the available cores.</summary>
    public static void AtBParallelRows(int m, int n, int k, double* at, int ldat, double* b, int ldb, double* c, int ldc, double alpha)
    {
        long work = (long)m * n * k;
        int chunks = work < 1 << 18 ? 1 : Math.Min(Environment.ProcessorCount * 4, Math.Max(1, m / 16));
        if (chunks <= 1) { AtB(m, n, k, at, ldat, b, ldb, c, ldc, alpha); return; }
        nint pat = (nint)at, pb = (nint)b, pc = (nint)c;
        Parallel.For(0, chunks, t =>
        {
            int i0 = (int)((long)m * t / chunks) & ~7, i1 = t == chunks - 1 ? m : (int)((long)m * (t + 1) / chunks) & ~7;
            if (i1 > i0) AtB(i1 - i0, n, k, (double*)pat + i0, ldat, (double*)pb, ldb, (double*)pc + (long)i0 * ldc, ldc, alpha);
        });
    }
}
