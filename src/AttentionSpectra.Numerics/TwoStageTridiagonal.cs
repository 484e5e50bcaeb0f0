using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace AttentionSpectra.Numerics;

/// <summary>Two-stage reduction of a symmetric matrix to tridiagonal form for eigenvalues only (LAPACK
/// <c>dsytrd_2stage</c> without vectors): (1) dense to band of half-bandwidth <see cref="Band"/> by blocked Householder
/// QR of the panels below the band, each applied two-sidedly as <c>A -= V Z' + Z V'</c> with
/// <c>Z = A V T - V T' V' A V T / 2</c>, where the product <c>A V</c> (from the lower triangle) and the update are
/// GEMMs/// (<see cref="GemmCore"/>); (2) band to tridiagonal by Householder bulge chasing (<c>dsb2st</c>: one sweep per
/// column, each reflector of length at most <see cref="Band"/> annihilates one column of the band or of the bulge it
/// created) on a compact band copy of 2 b + 1 diagonals that stays in cache. Stage 1 moves the O(n^3) work from the
/// memory-bound matrix-vector products of the one-stage reduction into GEMMs; stage 2 costs O(n^2 b).
/// Only the lower triangle of the input is read; the orthogonal factor is not kept.</summary>
internal static unsafe class TwoStageTridiagonal
{
    /// <summary>Half-bandwidth b of the intermediate band matrix (tuning knob for the bench; 32 balances the GEMM
    /// efficiency of stage 1 against the O(n^2 b) cost of stage 2).</summary>
    internal static int Band { get; set; } = 32;

    /// <summary>Upper bound on the row-block height of the parallel symmetric product A V (tuning knob).</summary>
    internal static int SymmRows { get; set; } = 384;

    /// <summary>When set (bench only), stage 1 adds its wall time per part here: 0 panel factorisation and T,
    /// 1 symmetric product A V, 2 the small products forming Z, 3 the rank-2k trailing update.</summary>
    internal static double[]? Profile { get; set; }

    /// <summary>Diagonal and off-diagonal (E[i] couples i and i + 1) of a tridiagonal matrix similar to
    /// <paramref name="a"/> (lower triangle read).</summary>
    public static (double[] D, double[] E) Reduce(Matrix a, IProgress<ProgressUpdate>? progress = null,
        CancellationToken cancellationToken = default) => Reduce(a, null, progress, cancellationToken);

    /// <summary>As <see cref="Reduce(Matrix, IProgress{ProgressUpdate}?, CancellationToken)"/>; when
    /// <paramref name="stageSeconds"/> is given, its first two entries receive the wall time of the two
    /// stages.</summary>
    internal static (double[] D, double[] E) Reduce(Matrix a, double[]? stageSeconds,
        IProgress<ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        int n = a.Rows, b = Band;
        // compact band copy: element (i, k), 0 <= i - k <= 2b, at i * 2b + k + 2b (rows contiguous)
        int ld = 2 * b;
        var band = new double[(long)n * (ld + 1)];
        using (var work = new NativeBuffer((long)n * n))
        {
            double* pa = work.Pointer;
            // the lower triangle, in chunks of equal area on all cores (the first touch of each page is part of it)
            const int chunks = 8;
            nint dst = (nint)pa;
            var src = a.Data;
            EigenKernels.For(chunks, n >= 512, c =>
            {
                // the last chunk ends at n * sqrt(1) = n exactly
                int r0 = (int)(n * Math.Sqrt(c / (double)chunks)), r1 = (int)(n * Math.Sqrt((c + 1) / (double)chunks));
                for (int r = r0; r < r1; r++)
                    src.AsSpan(r * n, r + 1).CopyTo(new Span<double>((double*)dst + (long)r * n, r + 1));
            });
            DenseToBand(pa, n, b, progress, cancellationToken);
            for (int i = 0; i < n; i++)
            {
                int k0 = Math.Max(0, i - b);
                new ReadOnlySpan<double>(pa + (long)i * n + k0, i - k0 + 1)
                    .CopyTo(band.AsSpan((int)((long)i * ld + k0 + ld), i - k0 + 1));
            }
        }
        if (stageSeconds != null) stageSeconds[0] = sw.Elapsed.TotalSeconds;
        sw.Restart();
        var d = new double[n];
        var e = new double[Math.Max(0, n - 1)];
        fixed (double* pb = band) BandToTridiagonal(pb + ld, ld, n, b, d, e, progress, cancellationToken);
        if (stageSeconds != null) stageSeconds[1] = sw.Elapsed.TotalSeconds;
        return (d, e);
    }

    // ---------------------------------------------------------------- stage 1: dense -> band

    /// <summary>Reduces the lower triangle of the n x n row-major matrix at <paramref name="pa"/> to half-bandwidth
    /// b: after the call, entries (i, k) with 0 &lt;= i - k &lt;= b hold the band of a matrix similar to the input
    /// (the rest of the lower triangle is garbage).</summary>
    private static void DenseToBand(double* pa, int n, int b, IProgress<ProgressUpdate>? progress, CancellationToken ct)
    {
        var pt = new double[(long)b * n];       // panel transposed: k x m, row q = column q of the panel / v_q
        var tmat = new double[b * b];            // T (k x k upper triangular), row-major
        var y = new double[(long)n * b];         // A V (m x k)
        var y2 = new double[(long)n * b];        // A V T, then Z
        // [V Z] and [Z V] (m x 2k), twice: the next panel's V is written while this panel's update reads its pair
        var p1 = new[] { new double[(long)n * 2 * b], new double[(long)n * 2 * b] };
        var p2 = new[] { new double[(long)n * 2 * b], new double[(long)n * 2 * b] };
        var small = new double[b * b];
        var tau = new double[b];
        var sParts = new double[((long)n / 96 + 2) * b * b]; // per row block: its rows' part of V' Y T
        if (b >= n) return;
        fixed (double* ppt = pt, pT = tmat, py = y, py2 = y2, psm = small, psp = sParts,
               p1a = p1[0], p1b = p1[1], p2a = p2[0], p2b = p2[1])
        {
            nint[] v1 = [(nint)p1a, (nint)p1b], v2 = [(nint)p2a, (nint)p2b];
            nint ptAddr = (nint)ppt, tAddr = (nint)pT, aAddr = (nint)pa;
            PreparePanel(pa, n, b, 0, ppt, tau, pT, p1a, p2a);
            int cur = 0;
            for (int j = 0; j + b < n; j += b)
            {
                ct.ThrowIfCancellationRequested();
                long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
                int m = n - j - b;
                int k = Math.Min(m, b);
                double* a22 = pa + (long)(j + b) * n + (j + b);
                double* pp1 = (double*)v1[cur], pp2 = (double*)v2[cur];
                // Y = A22 V (lower triangle of A22 only); per row block also Y2 = Y T and its part of V' Y2
                int blocks = RowBlocks(m, out int rb);
                SymmLower(a22, n, m, pp1, 2 * k, k, py, k, pT, py2, psp, rb, blocks);
                long t2 = Tick(1, t1);
                // small = T' (V' Y2) (the parts summed in block order, so the result does not depend on the
                // number of threads); Z = Y2 - V small / 2, into [V Z] and [Z V]
                new Span<double>(py, k * k).Clear();
                for (int blk = 0; blk < blocks; blk++)
                    TensorPrimitives.Add(new ReadOnlySpan<double>(py, k * k),
                        new ReadOnlySpan<double>(psp + (long)blk * k * k, k * k), new Span<double>(py, k * k));
                GemmCore.Run(k, k, k, pT, k, true, py, k, false, psm, k, 1.0, 0.0, allowParallel: false);
                FormZ(m, k, pp1, pp2, psm, py2, rb, blocks);
                long t3 = Tick(2, t2);
                // A22 -= V Z' + Z V' (lower triangle)
                if (j + 2 * b >= n)
                    GemmCore.Run(m, m, 2 * k, pp1, 2 * k, false, pp2, 2 * k, true, a22, n, -1.0, 1.0, lowerOnly: true);
                else
                {
                    // look-ahead: one worker updates the first b columns of A22 (the next panel) and factors the
                    // next panel while the others update the rest of A22
                    int jn = j + b, nxt = cur ^ 1;
                    nint a22Addr = (nint)a22, q1 = v1[cur], q2 = v2[cur];
                    GemmCore.Run(m - b, m - b, 2 * k, pp1 + (long)b * 2 * k, 2 * k, false, pp2 + (long)b * 2 * k,
                        2 * k, true, a22 + (long)b * n + b, n, -1.0, 1.0, lowerOnly: true, sideTask: () =>
                        {
                            GemmCore.Run(m, b, 2 * k, (double*)q1, 2 * k, false, (double*)q2, 2 * k, true,
                                (double*)a22Addr, n, -1.0, 1.0, allowParallel: false);
                            PreparePanel((double*)aAddr, n, b, jn, (double*)ptAddr, tau, (double*)tAddr,
                                (double*)v1[nxt], (double*)v2[nxt]);
                        });
                }
                Tick(3, t3);
                cur ^= 1;
                progress.Report("band reduction", j + b, n);
            }
        }
    }

    /// <summary>Factors panel <paramref name="j"/> (columns [j, j + b), rows [j + b, n), already updated): its R goes
    /// back into the band (the reflectors below it, outside the band, are copied back too), V' (unit diagonal, zeros
    /// above) into <paramref name="ppt"/>, T into <paramref name="pT"/>, and V (m x k) into the first k columns of
    /// <paramref name="pp1"/> and the last k of <paramref name="pp2"/> (both of row length 2k), where m = n - j - b
    /// and k = min(m, b). Its wall time is profile part 0.</summary>
    private static void PreparePanel(double* pa, int n, int b, int j, double* ppt, double[] tau, double* pT,
        double* pp1, double* pp2)
    {
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        int m = n - j - b;
        int k = Math.Min(m, b);
        // the copies below go through spans of the exact extents (b x m panel, m x 2k pairs): O(m b) bounds checks
        // against O(m^2 b) flops per panel, and an index past the panel fails instead of writing elsewhere
        var pt = new Span<double>(ppt, b * m);
        // panel A[j+b.., j..j+b) transposed into pt (row q = column j + q), read row by row
        for (int r = 0; r < m; r++)
        {
            double* src = pa + (long)(j + b + r) * n + j;
            for (int q = 0; q < b; q++) pt[q * m + r] = src[q];
        }
        PanelQr(ppt, m, b, k, tau);
        // the factored panel back in place: R (r <= q) into the band; the reflectors (r > q) land below the band,
        // which is never read again
        for (int r = 0; r < m; r++)
        {
            double* dst = pa + (long)(j + b + r) * n + j;
            for (int q = 0; q < b; q++) dst[q] = pt[q * m + r];
        }
        // V' in pt: unit diagonal, zeros above
        for (int q = 0; q < k; q++)
        {
            var row = pt.Slice(q * m, m);
            row[..q].Clear();
            row[q] = 1;
        }
        BuildT(ppt, m, k, tau, pT);
        var vz = new Span<double>(pp1, m * 2 * k);
        var zv = new Span<double>(pp2, m * 2 * k);
        for (int r = 0; r < m; r++)
            for (int q = 0; q < k; q++)
            {
                double v = pt[q * m + r];
                vz[r * 2 * k + q] = v;
                zv[r * 2 * k + k + q] = v;
            }
        Tick(0, t0);
    }

    private static long Tick(int part, long since)
    {
        if (Profile is not { } p) return 0;
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        p[part] += (now - since) / (double)System.Diagnostics.Stopwatch.Frequency;
        return now;
    }

    /// <summary>Householder QR of the m x bw panel stored transposed (row q of <paramref name="pt"/> = column q,
    /// length m): k = min(m, bw) reflectors; R overwrites the upper triangle, v_q (below its unit entry) the
    /// rest.</summary>
    private static void PanelQr(double* pt, int m, int bw, int k, double[] tau)
    {
        var columns = new Span<double>(pt, bw * m);
        for (int q = 0; q < k; q++)
        {
            double* col = pt + (long)q * m;
            int len = m - q;
            double t = MakeReflector(col + q, len, out double beta);
            tau[q] = t;
            col[q] = beta;
            // apply H_q = I - t v v' (v = (1, col[q+1..m))) to columns q+1..bw-1
            double save = col[q];
            col[q] = 1.0;
            var v = new ReadOnlySpan<double>(col + q, len);
            for (int p = q + 1; p < bw; p++)
            {
                var x = columns.Slice(p * m + q, len);
                double s = t * TensorPrimitives.Dot(v, x);
                TensorPrimitives.MultiplyAdd(v, -s, x, x);
            }
            col[q] = save;
        }
    }

    /// <summary>Householder reflector H = I - tau v v' with H x = beta e_1 for x = p[0..len): p[1..len) is replaced by
    /// v[1..len) (v[0] = 1 implied); returns tau (0 when x is already a multiple of e_1).</summary>
    private static double MakeReflector(double* p, int len, out double beta)
    {
        double alpha = p[0];
        beta = alpha;
        if (len <= 1) return 0.0;
        var xs = new Span<double>(p + 1, len - 1);
        double xnorm = HouseholderTridiagonal.Norm(xs);
        if (xnorm == 0.0) return 0.0;
        beta = -Math.CopySign(Tridiagonal.Hypot(alpha, xnorm), alpha);
        double tau = (beta - alpha) / beta;
        TensorPrimitives.Multiply<double>(xs, 1.0 / (alpha - beta), xs);
        return tau;
    }

    /// <summary>T (k x k upper triangular, row-major) of the compact-WY form H_0 ... H_{k-1} = I - V T V'
    /// (LAPACK dlarft, forward, columnwise); V' is k x m in <paramref name="vt"/>.</summary>
    private static void BuildT(double* vt, int m, int k, double[] tau, double* t)
    {
        new Span<double>(t, k * k).Clear();
        Span<double> tmp = stackalloc double[k];
        for (int i = 0; i < k; i++)
        {
            double ti = tau[i];
            t[i * k + i] = ti;
            var vi = new ReadOnlySpan<double>(vt + (long)i * m + i, m - i);
            for (int p = 0; p < i; p++)
                tmp[p] = -ti * TensorPrimitives.Dot(new ReadOnlySpan<double>(vt + (long)p * m + i, m - i), vi);
            // column i of T above the diagonal: T[0..i, 0..i) tmp (upper triangular)
            for (int p = 0; p < i; p++)
                t[p * k + i] = TensorPrimitives.Dot(new ReadOnlySpan<double>(t + p * k + p, i - p), tmp.Slice(p, i - p));
        }
    }

    /// <summary>Row blocks of the symmetric product for an m x m trailing matrix: an even number (at least 8) of equal
    /// blocks, multiples of the kernel's 6 rows, at most <see cref="SymmRows"/> high (at least 96). Depends on m only, so
    /// the sums over blocks are the same for any number of threads.</summary>
    internal static int RowBlocks(int m, out int rb)
    {
        int blocks = Math.Max(8, (m + SymmRows - 1) / SymmRows);
        blocks += blocks & 1;
        rb = Math.Max(96, (m + 6 * blocks - 1) / (6 * blocks) * 6);
        return (m + rb - 1) / rb;
    }

    /// <summary>Y (m x k, ld ldy) = A V for the symmetric m x m matrix A whose lower triangle is at
    /// <paramref name="a"/> (ld lda); V is m x k (ld ldv). Row blocks of Y in parallel: the block's rows of the
    /// strictly lower part, the mirrored diagonal block, and the transposed column block below it. While the block's
    /// rows are in cache, each block also forms its rows of Y2 = Y T (m x k, ld k; T k x k at <paramref name="t"/>)
    /// and its part V[rows]' Y2[rows] (k x k) at <paramref name="sParts"/> + blk k k.</summary>
    private static void SymmLower(double* a, int lda, int m, double* v, int ldv, int k, double* y, int ldy, double* t,
        double* y2, double* sParts, int rb, int blocks)
    {
        nint pa = (nint)a, pv = (nint)v, py = (nint)y, pt = (nint)t, py2 = (nint)y2, psp = (nint)sParts;
        EigenKernels.For(blocks, (long)m * m * k >= 1 << 21, blk =>
        {
            double* A = (double*)pa, V = (double*)pv, Y = (double*)py;
            int r0 = blk * rb, r1 = Math.Min(m, r0 + rb), h = r1 - r0;
            var diagArr = System.Buffers.ArrayPool<double>.Shared.Rent(rb * rb);
            fixed (double* diag = diagArr) {
            for (int i = 0; i < h; i++)
                for (int q = 0; q <= i; q++)
                    diag[i * h + q] = diag[q * h + i] = A[(long)(r0 + i) * lda + r0 + q];
            if (k == 32 && Vector512.IsHardwareAccelerated)
            {
                Panel32(h, h, diag, h, 1, V + (long)r0 * ldv, ldv, Y + (long)r0 * ldy, ldy, false);
                Panel32(h, r0, A + (long)r0 * lda, lda, 1, V, ldv, Y + (long)r0 * ldy, ldy, true);
                Panel32(h, m - r1, A + (long)r1 * lda + r0, 1, lda, V + (long)r1 * ldv, ldv, Y + (long)r0 * ldy, ldy,
                    true);
            }
            else
            {
                GemmCore.Run(h, k, h, diag, h, false, V + (long)r0 * ldv, ldv, false, Y + (long)r0 * ldy, ldy, 1.0, 0.0,
                    allowParallel: false);
                // (empty inner dimension for the first and the last block: Y unchanged)
                GemmCore.Run(h, k, r0, A + (long)r0 * lda, lda, false, V, ldv, false, Y + (long)r0 * ldy, ldy,
                    1.0, 1.0, allowParallel: false);
                GemmCore.Run(h, k, m - r1, A + (long)r1 * lda + r0, lda, true, V + (long)r1 * ldv, ldv, false,
                    Y + (long)r0 * ldy, ldy, 1.0, 1.0, allowParallel: false);
            }
            }
            System.Buffers.ArrayPool<double>.Shared.Return(diagArr);
            double* y2r = (double*)py2 + (long)r0 * k;
            GemmCore.Run(h, k, k, Y + (long)r0 * ldy, ldy, false, (double*)pt, k, false, y2r, k, 1.0, 0.0,
                allowParallel: false);
            GemmCore.Run(k, k, h, V + (long)r0 * ldv, ldv, true, y2r, k, false, (double*)psp + (long)blk * k * k, k,
                1.0, 0.0, allowParallel: false);
        });
    }

    /// <summary>Z = Y2 - V small / 2 by row blocks in parallel, written into the last k columns of [V Z]
    /// (<paramref name="p1"/>) and the first k of [Z V] (<paramref name="p2"/>), both of row length 2k; V is the first
    /// k columns of p1, Y2 (m x k) is overwritten.</summary>
    private static void FormZ(int m, int k, double* p1, double* p2, double* small, double* y2, int rb, int blocks)
    {
        nint pp1 = (nint)p1, pp2 = (nint)p2, psm = (nint)small, py2 = (nint)y2;
        EigenKernels.For(blocks, (long)m * k * k >= 1 << 18, blk =>
        {
            double* P1 = (double*)pp1, P2 = (double*)pp2, Y2 = (double*)py2;
            int r0 = blk * rb, r1 = Math.Min(m, r0 + rb);
            GemmCore.Run(r1 - r0, k, k, P1 + (long)r0 * 2 * k, 2 * k, false, (double*)psm, k, false,
                Y2 + (long)r0 * k, k, -0.5, 1.0, allowParallel: false);
            // row copies through spans of the m rows (bounds-checked)
            var z = new ReadOnlySpan<double>(Y2, m * k);
            var vz = new Span<double>(P1, m * 2 * k);
            var zv = new Span<double>(P2, m * 2 * k);
            for (int r = r0; r < r1; r++)
            {
                var zr = z.Slice(r * k, k);
                zr.CopyTo(vz.Slice(r * 2 * k + k, k));
                zr.CopyTo(zv.Slice(r * 2 * k, k));
            }
        });
    }

    /// <summary>Y[i, 0..32) (+)= sum_p A(i, p) V[p, 0..32) for i &lt; h, p &lt; kk, with A(i, p) = a[i rs + p cs]
    /// (so both a row block and a transposed column block of the lower triangle are read in place, unpacked):
    /// 6 x 32 register tiles (24 AVX-512 accumulators), V rows streamed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Panel32(int h, int kk, double* a, nint rs, nint cs, double* v, int ldv, double* y, int ldy,
        bool accumulate)
    {
        int i = 0;
        for (; i + 6 <= h; i += 6)
        {
            Vector512<double> c00 = default, c01 = default, c02 = default, c03 = default;
            Vector512<double> c10 = default, c11 = default, c12 = default, c13 = default;
            Vector512<double> c20 = default, c21 = default, c22 = default, c23 = default;
            Vector512<double> c30 = default, c31 = default, c32 = default, c33 = default;
            Vector512<double> c40 = default, c41 = default, c42 = default, c43 = default;
            Vector512<double> c50 = default, c51 = default, c52 = default, c53 = default;
            double* ai = a + i * rs;
            for (int p = 0; p < kk; p++)
            {
                double* vp = v + (long)p * ldv;
                var v0 = Vector512.Load(vp); var v1 = Vector512.Load(vp + 8);
                var v2 = Vector512.Load(vp + 16); var v3 = Vector512.Load(vp + 24);
                double* ap = ai + p * cs;
                var b = Vector512.Create(ap[0]);
                c00 = Vector512.FusedMultiplyAdd(b, v0, c00); c01 = Vector512.FusedMultiplyAdd(b, v1, c01);
                c02 = Vector512.FusedMultiplyAdd(b, v2, c02); c03 = Vector512.FusedMultiplyAdd(b, v3, c03);
                b = Vector512.Create(ap[rs]);
                c10 = Vector512.FusedMultiplyAdd(b, v0, c10); c11 = Vector512.FusedMultiplyAdd(b, v1, c11);
                c12 = Vector512.FusedMultiplyAdd(b, v2, c12); c13 = Vector512.FusedMultiplyAdd(b, v3, c13);
                b = Vector512.Create(ap[2 * rs]);
                c20 = Vector512.FusedMultiplyAdd(b, v0, c20); c21 = Vector512.FusedMultiplyAdd(b, v1, c21);
                c22 = Vector512.FusedMultiplyAdd(b, v2, c22); c23 = Vector512.FusedMultiplyAdd(b, v3, c23);
                b = Vector512.Create(ap[3 * rs]);
                c30 = Vector512.FusedMultiplyAdd(b, v0, c30); c31 = Vector512.FusedMultiplyAdd(b, v1, c31);
                c32 = Vector512.FusedMultiplyAdd(b, v2, c32); c33 = Vector512.FusedMultiplyAdd(b, v3, c33);
                b = Vector512.Create(ap[4 * rs]);
                c40 = Vector512.FusedMultiplyAdd(b, v0, c40); c41 = Vector512.FusedMultiplyAdd(b, v1, c41);
                c42 = Vector512.FusedMultiplyAdd(b, v2, c42); c43 = Vector512.FusedMultiplyAdd(b, v3, c43);
                b = Vector512.Create(ap[5 * rs]);
                c50 = Vector512.FusedMultiplyAdd(b, v0, c50); c51 = Vector512.FusedMultiplyAdd(b, v1, c51);
                c52 = Vector512.FusedMultiplyAdd(b, v2, c52); c53 = Vector512.FusedMultiplyAdd(b, v3, c53);
            }
            double* yi = y + (long)i * ldy;
            Store4(yi, c00, c01, c02, c03, accumulate);
            Store4(yi + ldy, c10, c11, c12, c13, accumulate);
            Store4(yi + 2 * ldy, c20, c21, c22, c23, accumulate);
            Store4(yi + 3 * ldy, c30, c31, c32, c33, accumulate);
            Store4(yi + 4 * ldy, c40, c41, c42, c43, accumulate);
            Store4(yi + 5 * ldy, c50, c51, c52, c53, accumulate);
        }
        for (; i < h; i++)
        {
            Vector512<double> c0 = default, c1 = default, c2 = default, c3 = default;
            double* ai = a + i * rs;
            for (int p = 0; p < kk; p++)
            {
                double* vp = v + (long)p * ldv;
                var b = Vector512.Create(ai[p * cs]);
                c0 = Vector512.FusedMultiplyAdd(b, Vector512.Load(vp), c0);
                c1 = Vector512.FusedMultiplyAdd(b, Vector512.Load(vp + 8), c1);
                c2 = Vector512.FusedMultiplyAdd(b, Vector512.Load(vp + 16), c2);
                c3 = Vector512.FusedMultiplyAdd(b, Vector512.Load(vp + 24), c3);
            }
            Store4(y + (long)i * ldy, c0, c1, c2, c3, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(double* y, Vector512<double> c0, Vector512<double> c1, Vector512<double> c2,
        Vector512<double> c3, bool accumulate)
    {
        if (accumulate)
        {
            c0 += Vector512.Load(y); c1 += Vector512.Load(y + 8);
            c2 += Vector512.Load(y + 16); c3 += Vector512.Load(y + 24);
        }
        c0.Store(y); c1.Store(y + 8); c2.Store(y + 16); c3.Store(y + 24);
    }

    // ---------------------------------------------------------------- stage 2: band -> tridiagonal

    /// <summary>From this order on, bulge chasing runs its sweeps on two threads (tuning knob for the bench).</summary>
    internal static int ParallelChaseMinimum { get; set; } = 512;

    /// <summary>Bulge chasing on the band at <paramref name="a"/>: element (i, k), 0 &lt;= i - k &lt;= 2b, at
    /// a[i * ld + k] (ld = 2b). Sweep c annihilates column c below the sub-diagonal with a reflector on rows
    /// [c + 1, c + 1 + b), then chases the bulge down the band block by block (dsb2st kernels 1-3).
    /// <para>Task i of sweep c reads and writes only rows [c + 1 + i b, c + 1 + (i + 1) b), so tasks of different
    /// sweeps on disjoint rows commute. Sweeps are claimed in order by up to two workers; task i of sweep c waits
    /// until sweep c − 1 has finished its tasks i and i + 1 (the ones that share its rows). Every row therefore sees
    /// the serial order of operations and the result is bit-for-bit the single-threaded one.</para></summary>
    private static void BandToTridiagonal(double* a, int ld, int n, int b, double[] d, double[] e,
        IProgress<ProgressUpdate>? progress, CancellationToken ct)
    {
        int sweeps = Math.Max(0, n - 2);
        var done = new int[sweeps + 1]; // tasks finished, per sweep; the last entry is the abort flag
        int next = 0;
        nint pa = (nint)a;
        void Worker()
        {
            double* v0 = stackalloc double[b];
            double* v1 = stackalloc double[b];
            double* w = stackalloc double[b];
            try
            {
                while (true)
                {
                    int c = Interlocked.Increment(ref next) - 1;
                    if (c >= sweeps || Volatile.Read(ref done[sweeps]) != 0) return;
                    if ((c & 255) == 0)
                    {
                        ct.ThrowIfCancellationRequested();
                        progress.Report("bulge chasing", c, n);
                    }
                    if (!Sweep((double*)pa, ld, n, b, c, v0, v1, w, done)) return;
                }
            }
            catch
            {
                Volatile.Write(ref done[sweeps], 1);
                throw;
            }
        }
        EigenKernels.For(2, n >= ParallelChaseMinimum, _ => Worker()); // inline: one worker takes every sweep
        for (int i = 0; i < n; i++) d[i] = a[(long)i * ld + i];
        for (int i = 0; i + 1 < n; i++) e[i] = a[(long)(i + 1) * ld + i];
    }

    /// <summary>Sweep c of the bulge chasing (see <see cref="BandToTridiagonal"/>), publishing its progress in
    /// <paramref name="done"/>[c] and waiting on done[c − 1]; false when another worker aborted (its last entry
    /// set).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Sweep(double* a, int ld, int n, int b, int c, double* v0, double* v1, double* w, int[] done)
    {
        int prevTasks = (n - c + b - 1) / b; // tasks of sweep c - 1 (none to wait for when c = 0)
        int task = 0;
        bool Wait()
        {
            if (c == 0) return true;
            int need = Math.Min(task + 2, prevTasks);
            var spin = new SpinWait();
            while (Volatile.Read(ref done[c - 1]) < need)
            {
                if (Volatile.Read(ref done[^1]) != 0) return false;
                spin.SpinOnce(sleep1Threshold: -1);
            }
            return true;
        }
        if (!Wait()) return false;
        int s0 = c + 1, len0 = Math.Min(b, n - s0);
        // kernel 1: reflector from column c, rows s0..s0+len0, applied two-sidedly to the diagonal block
        var g0 = new Span<double>(v0, b); // the gathers are bounds-checked against the b-long buffers
        for (int r = 0; r < len0; r++) g0[r] = a[(long)(s0 + r) * ld + c];
        double tau0 = MakeReflector(v0, len0, out double beta0);
        a[(long)s0 * ld + c] = beta0; // (column c is final: the entries below its sub-diagonal are never read again)
        v0[0] = 1;
        if (tau0 != 0) TwoSided(a, ld, s0, len0, v0, tau0, w);
        Volatile.Write(ref done[c], ++task);
        while (true)
        {
            int s1 = s0 + len0;
            if (s1 >= n) break;
            if (!Wait()) return false;
            int len1 = Math.Min(b, n - s1);
            double* blk = a + (long)s1 * ld + s0; // B = A[s1.., s0..] (len1 x len0), row stride ld
            // kernel 2: B := B H0 (right), then H1 from B's first column, B[:, 1..] := H1 B[:, 1..]
            if (tau0 != 0)
                for (int r = 0; r < len1; r++)
                {
                    double* row = blk + (long)r * ld;
                    double s = tau0 * Dot(row, v0, len0);
                    Axpy(row, v0, -s, len0);
                }
            var g1 = new Span<double>(v1, b);
            for (int r = 0; r < len1; r++) g1[r] = blk[(long)r * ld];
            double tau1 = MakeReflector(v1, len1, out double beta1);
            blk[0] = beta1;
            for (int r = 1; r < len1; r++) blk[(long)r * ld] = 0;
            v1[0] = 1;
            // u = B[:, 1..]' v1; B[:, 1..] -= tau1 v1 u' (nothing when tau1 = 0 or B has one column)
            int wl = len0 - 1;
            new Span<double>(w, wl).Clear();
            for (int r = 0; r < len1; r++) Axpy(w, blk + (long)r * ld + 1, v1[r], wl);
            for (int r = 0; r < len1; r++) Axpy(blk + (long)r * ld + 1, w, -tau1 * v1[r], wl);
            // kernel 3: H1 two-sidedly on the next diagonal block
            if (tau1 != 0) TwoSided(a, ld, s1, len1, v1, tau1, w);
            Volatile.Write(ref done[c], ++task);
            double* sw = v0; v0 = v1; v1 = sw;
            tau0 = tau1; s0 = s1; len0 = len1;
        }
        return true;
    }

    /// <summary>D := H D H for the symmetric len x len diagonal block at (s, s) (lower triangle stored),
    /// H = I - tau v v': w = tau D v - (tau^2 / 2)(v' D v) v, D -= v w' + w v'.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TwoSided(double* a, int ld, int s, int len, double* v, double tau, double* w)
    {
        new Span<double>(w, len).Clear();
        for (int i = 0; i < len; i++)
        {
            double* row = a + (long)(s + i) * ld + s;
            double vi = v[i];
            // lower row i: w[i] += row[0..i] . v[0..i]; w[0..i) += row[0..i) vi
            double acc = row[i] * vi + DotAxpy(row, v, w, vi, i);
            w[i] += acc;
        }
        double alpha = -0.5 * tau * tau * Dot(w, v, len);
        for (int i = 0; i < len; i++) w[i] = tau * w[i] + alpha * v[i];
        for (int i = 0; i < len; i++)
        {
            double* row = a + (long)(s + i) * ld + s;
            Axpy2(row, w, -v[i], v, -w[i], i + 1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Dot(double* x, double* y, int len)
    {
        int j = 0;
        double s = 0;
        if (Vector256.IsHardwareAccelerated && len >= 8)
        {
            var a0 = Vector256<double>.Zero; var a1 = Vector256<double>.Zero;
            for (; j + 8 <= len; j += 8)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + j), Vector256.Load(y + j), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(x + j + 4), Vector256.Load(y + j + 4), a1);
            }
            s = Vector256.Sum(a0 + a1);
        }
        for (; j < len; j++) s += x[j] * y[j];
        return s;
    }

    /// <summary>y[0..len) += alpha x[0..len).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(double* y, double* x, double alpha, int len)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(alpha);
            for (; j + 4 <= len; j += 4)
                Vector256.FusedMultiplyAdd(va, Vector256.Load(x + j), Vector256.Load(y + j)).Store(y + j);
        }
        for (; j < len; j++) y[j] += alpha * x[j];
    }

    /// <summary>y[0..len) += a x1 + b x2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy2(double* y, double* x1, double a, double* x2, double b, int len)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a); var vb = Vector256.Create(b);
            for (; j + 4 <= len; j += 4)
                Vector256.FusedMultiplyAdd(va, Vector256.Load(x1 + j),
                    Vector256.FusedMultiplyAdd(vb, Vector256.Load(x2 + j), Vector256.Load(y + j))).Store(y + j);
        }
        for (; j < len; j++) y[j] += a * x1[j] + b * x2[j];
    }

    /// <summary>Returns row[0..len) . v[0..len) and adds row[0..len) * s to w[0..len) (one pass).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double DotAxpy(double* row, double* v, double* w, double s, int len)
    {
        int j = 0;
        double acc = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var a0 = Vector256<double>.Zero;
            var vs = Vector256.Create(s);
            for (; j + 4 <= len; j += 4)
            {
                var r = Vector256.Load(row + j);
                a0 = Vector256.FusedMultiplyAdd(r, Vector256.Load(v + j), a0);
                Vector256.FusedMultiplyAdd(r, vs, Vector256.Load(w + j)).Store(w + j);
            }
            acc = Vector256.Sum(a0);
        }
        for (; j < len; j++) { acc += row[j] * v[j]; w[j] += row[j] * s; }
        return acc;
    }
}
