using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace AttentionSpectra.Numerics;

/// <summary>Blocked Householder reduction of a symmetric matrix to tridiagonal form, A = Q T Q'
/// (LAPACK dsytrd/dlatrd, UPLO = 'U' on the column-major view, i.e. the row-major LOWER triangle).
/// Reflector i (1 &lt;= i &lt; n) annihilates row i left of the sub-diagonal; its vector v_i (length i, v_i[i-1] = 1) is
/// stored contiguously in row i of the work array, so every level-1/2 operation runs on contiguous rows.
/// Q = H_{n-1} ... H_1. The panel symmetric matrix-vector products read only the lower triangle (one pass per row,
/// fused dot + axpy, SIMD) split over two cores; the trailing rank-2k update is a register-blocked kernel.</summary>
internal sealed unsafe class HouseholderTridiagonal
{
    internal const int BlockSize = 32;

    public int N { get; }
    /// <summary>Diagonal of T.</summary>
    public double[] D { get; }
    /// <summary>Off-diagonal of T: E[i] couples i and i+1.</summary>
    public double[] E { get; }

    private readonly double[] _v;   // n x n; row i: v_i in [0, i)
    private readonly double[] _tau; // tau[i], i = 1..n-1

    public HouseholderTridiagonal(Matrix a, IProgress<ProgressUpdate>? progress = null)
    {
        int n = a.Rows;
        N = n;
        D = new double[n];
        E = new double[Math.Max(n - 1, 0)];
        _tau = new double[n];
        _v = new double[(long)n * n];
        for (int r = 0; r < n; r++) Array.Copy(a.Data, (long)r * n, _v, (long)r * n, r + 1);
        Reduce(progress);
    }

    private void Reduce(IProgress<ProgressUpdate>? progress)
    {
        int n = N, nb = BlockSize;
        var wp = new double[(long)nb * 2 * n];
        var ybuf = new double[SymvChunks][];
        for (int c = 0; c < SymvChunks; c++) ybuf[c] = new double[n];
        int top = n;
        fixed (double* pa = _v, pw = wp)
        {
            while (top > 0)
            {
                int nbp = top <= 2 * nb ? top : nb;
                int i0 = top - nbp;
                Panel(pa, pw, top, nbp, ybuf);
                TrailingUpdate(pa, pw, top, nbp, i0);
                top = i0;
                progress.Report("tridiagonalise", n - top, n);
            }
        }
    }

    /// <summary>Processes rows top-1 down to top-nbp: lazily updates each row with the previous panel reflectors,
    /// generates its reflector and the matching W vector (rows of <paramref name="pw"/>).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Panel(double* pa, double* pw, int top, int nbp, double[][] ybuf)
    {
        int n = N;
        for (int p = 0; p < nbp; p++)
        {
            int i = top - 1 - p;
            double* row = pa + (long)i * n;
            // row i of the current matrix: A0 - sum_q (v_q w_q' + w_q v_q')
            for (int q = 0; q < p; q++)
            {
                double* vq = pa + (long)(top - 1 - q) * n;
                double* wq = pw + (long)q * n;
                Axpy2(row, wq, -vq[i], vq, -wq[i], i + 1);
            }
            D[i] = row[i];
            if (i == 0) break;

            // Householder reflector for x = row[0..i): H x = beta e_{i-1}
            double alpha = row[i - 1];
            double xnorm = i > 1 ? Norm(new ReadOnlySpan<double>(row, i - 1)) : 0.0;
            double tau = 0.0, beta = alpha;
            if (xnorm != 0.0)
            {
                beta = -Math.CopySign(Tridiagonal.Hypot(alpha, xnorm), alpha);
                tau = (beta - alpha) / beta;
                var xs = new Span<double>(row, i - 1);
                TensorPrimitives.Multiply<double>(xs, 1.0 / (alpha - beta), xs);
            }
            E[i - 1] = beta;
            row[i - 1] = 1.0;
            _tau[i] = tau;
            double* wrow = pw + (long)p * n;
            var w = new Span<double>(wrow, i);
            if (tau == 0.0) { w.Clear(); continue; }

            var v = new ReadOnlySpan<double>(row, i);
            Symv(pa, i, row, wrow, ybuf);
            for (int q = 0; q < p; q++)
            {
                double* vq = pa + (long)(top - 1 - q) * n;
                double* wq = pw + (long)q * n;
                Dot2(wq, vq, row, i, out double c1, out double c2);
                Axpy2(wrow, vq, -c1, wq, -c2, i);
            }
            TensorPrimitives.Multiply<double>(w, tau, w);
            double alpha2 = -0.5 * tau * TensorPrimitives.Dot<double>(w, v);
            TensorPrimitives.MultiplyAdd<double>(v, alpha2, w, w);
        }
    }

    /// <summary>y[0..len) += a * x1 + b * x2 (one pass).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Axpy2(double* y, double* x1, double a, double* x2, double b, int len)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a); var vb = Vector256.Create(b);
            for (; j + 4 <= len; j += 4)
                Vector256.FusedMultiplyAdd(va, Vector256.Load(x1 + j), Vector256.FusedMultiplyAdd(vb, Vector256.Load(x2 + j), Vector256.Load(y + j))).Store(y + j);
        }
        for (; j < len; j++) y[j] += a * x1[j] + b * x2[j];
    }

    /// <summary>(x1 . v, x2 . v) over [0, len) in one pass.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Dot2(double* x1, double* x2, double* v, int len, out double d1, out double d2)
    {
        int j = 0;
        double s1 = 0, s2 = 0;
        if (Vector256.IsHardwareAccelerated && len >= 4)
        {
            var a1 = Vector256<double>.Zero; var a2 = Vector256<double>.Zero;
            for (; j + 4 <= len; j += 4)
            {
                var vv = Vector256.Load(v + j);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(x1 + j), vv, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(x2 + j), vv, a2);
            }
            s1 = Vector256.Sum(a1); s2 = Vector256.Sum(a2);
        }
        for (; j < len; j++) { s1 += x1[j] * v[j]; s2 += x2[j] * v[j]; }
        d1 = s1; d2 = s2;
    }

    /// <summary>Euclidean norm, rescaled when the plain sum of squares could under- or overflow.</summary>
    internal static double Norm(ReadOnlySpan<double> x)
    {
        double s = TensorPrimitives.Norm(x);
        if (s > 1e-150 && s < 1e150) return s;
        double mx = Math.Abs(TensorPrimitives.MaxMagnitude(x));
        if (mx == 0) return 0;
        double acc = 0;
        foreach (double t in x) { double u = t / mx; acc += u * u; }
        return mx * Math.Sqrt(acc);
    }

    /// <summary>Row chunks of equal area for the parallel symmetric matrix-vector product. More chunks than cores so
    /// that, on a busy machine, the calling thread keeps taking chunks instead of waiting for a descheduled worker.</summary>
    private const int SymvChunks = 8;

    /// <summary>y[0..m) = A[0..m, 0..m) v using only the lower triangle rows of <paramref name="pa"/>.</summary>
    private void Symv(double* pa, int m, double* v, double* y, double[][] ybuf)
    {
        int n = N;
        if ((long)m * m < 200_000 || Environment.ProcessorCount < 2)
        {
            new Span<double>(y, m).Clear();
            SymvRows(pa, n, 0, m, v, y);
            return;
        }
        // chunk c covers rows [bound(c), bound(c+1)) with bound(c) = m sqrt(c / C): equal triangle area; here
        // m >= 448, so every chunk has at least m (1 - sqrt(7/8)) - 1 > 27 rows (none is empty); bound(C) is m
        // exactly (8.0 / 8 = 1, sqrt(1) = 1 and m * 1.0 = m are exact), so the last chunk ends at row m
        Span<int> bounds = stackalloc int[SymvChunks + 1];
        for (int c = 0; c <= SymvChunks; c++) bounds[c] = (int)(m * Math.Sqrt((double)c / SymvChunks));
        var b = bounds.ToArray();
        nint ppa = (nint)pa, pv = (nint)v;
        Parallel.For(0, SymvChunks, c =>
        {
            int r0 = b[c], r1 = b[c + 1];
            fixed (double* py = ybuf[c])
            {
                new Span<double>(py, r1).Clear();
                SymvRows((double*)ppa, n, r0, r1, (double*)pv, py);
            }
        });
        var ys = new Span<double>(y, m);
        ybuf[SymvChunks - 1].AsSpan(0, m).CopyTo(ys);
        for (int c = SymvChunks - 2; c >= 0; c--)
        {
            int r1 = b[c + 1];
            TensorPrimitives.Add(ys[..r1], ybuf[c].AsSpan(0, r1), ys[..r1]);
        }
    }

    /// <summary>Rows [r0, r1) of the lower triangle: y[r] += A[r, 0..r] v[0..r]; y[0..r) += A[r, 0..r) v[r].</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void SymvRows(double* pa, int n, int r0, int r1, double* v, double* y)
    {
        for (int r = r0; r < r1; r++)
        {
            double* row = pa + (long)r * n;
            double vr = v[r];
            double acc = row[r] * vr;
            int j = 0;
            if (Vector256.IsHardwareAccelerated && r >= 8)
            {
                var s0 = Vector256<double>.Zero; var s1 = Vector256<double>.Zero;
                var bv = Vector256.Create(vr);
                for (; j + 8 <= r; j += 8)
                {
                    var a0 = Vector256.Load(row + j); var a1 = Vector256.Load(row + j + 4);
                    s0 = Vector256.FusedMultiplyAdd(a0, Vector256.Load(v + j), s0);
                    s1 = Vector256.FusedMultiplyAdd(a1, Vector256.Load(v + j + 4), s1);
                    Vector256.FusedMultiplyAdd(a0, bv, Vector256.Load(y + j)).Store(y + j);
                    Vector256.FusedMultiplyAdd(a1, bv, Vector256.Load(y + j + 4)).Store(y + j + 4);
                }
                acc += Vector256.Sum(s0 + s1);
            }
            for (; j < r; j++) { acc += row[j] * v[j]; y[j] += row[j] * vr; }
            y[r] += acc;
        }
    }

    /// <summary>A[0..i0, 0..i0) -= V W' + W V' (lower triangle) with the panel's reflectors restricted to [0, i0).</summary>
    private void TrailingUpdate(double* pa, double* pw, int top, int nbp, int i0)
    {
        int n = N;
        int k2 = 2 * nbp;
        var p1 = new double[(long)k2 * i0]; // rows: W_q, then V_q
        var p2 = new double[(long)k2 * i0]; // rows: V_q, then W_q
        for (int q = 0; q < nbp; q++)
        {
            var vq = new ReadOnlySpan<double>(pa + (long)(top - 1 - q) * n, i0);
            var wq = new ReadOnlySpan<double>(pw + (long)q * n, i0);
            wq.CopyTo(p1.AsSpan(q * i0, i0)); vq.CopyTo(p1.AsSpan((nbp + q) * i0, i0));
            vq.CopyTo(p2.AsSpan(q * i0, i0)); wq.CopyTo(p2.AsSpan((nbp + q) * i0, i0));
        }
        const int rb = 32;
        int blocks = (i0 + rb - 1) / rb;
        nint ppa = (nint)pa;
        EigenKernels.For(blocks, i0 >= 192, bi =>
        {
            // largest blocks first for load balance
            int blk = blocks - 1 - bi;
            int r0 = blk * rb, r1 = Math.Min(i0, r0 + rb);
            int ncols = Math.Min(i0, (r1 + 15) & ~15);
            fixed (double* q1 = p1, q2 = p2)
                EigenKernels.AtB(r1 - r0, ncols, k2, q1 + r0, i0, q2, i0, (double*)ppa + (long)r0 * n, n, -1.0);
        });
    }

    /// <summary>Z := Q Z in place (Z is n x m row-major), by blocks of reflectors in compact-WY form
    /// (H_a ... H_b = I - V T V', T lower triangular, LAPACK dlarft backward) applied with level-3 kernels.</summary>
    public void BackTransform(Matrix z, IProgress<ProgressUpdate>? progress = null)
    {
        int n = N, m = z.Cols;
        if (z.Rows != n) throw new NumericsException($"Back-transform expects {n} rows, got {z.Rows}.");
        if (m == 0) return;
        int nb = BlockSize;
        var vc = new double[(long)n * nb];   // a x k: vc[r, t] = v_{b+t}[r]
        var vr = new double[(long)nb * n];   // k x a: vr[t, r] = v_{b+t}[r]
        var tt = new double[nb * nb];        // T transposed
        var w1 = new double[(long)nb * m];
        var w2 = new double[(long)nb * m];
        var T = new double[nb * nb];
        var tmp = new double[nb];
        fixed (double* pz = z.Data, pvc = vc, pvr = vr, ptt = tt, pw1 = w1, pw2 = w2)
        {
            for (int b = 1; b < n; b += nb)
            {
                int aTop = Math.Min(n - 1, b + nb - 1);
                int k = aTop - b + 1;
                int rows = aTop; // support of v_aTop is [0, aTop)
                // gather V (zero outside supports)
                Array.Clear(vr, 0, k * rows);
                for (int t = 0; t < k; t++)
                {
                    int i = b + t;
                    new ReadOnlySpan<double>(_v, i * n, i).CopyTo(vr.AsSpan(t * rows, i));
                }
                for (int r = 0; r < rows; r++)
                    for (int t = 0; t < k; t++) vc[r * k + t] = vr[t * rows + r];
                // T (lower) by dlarft backward; stored transposed in tt: tt[p, i] = T[i, p]
                Array.Clear(T);
                for (int i = k - 1; i >= 0; i--)
                {
                    double taui = _tau[b + i];
                    T[i * k + i] = taui;
                    var vi = new ReadOnlySpan<double>(vr, i * rows, rows);
                    for (int j = i + 1; j < k; j++) tmp[j] = -taui * TensorPrimitives.Dot(new ReadOnlySpan<double>(vr, j * rows, rows), vi);
                    for (int j = i + 1; j < k; j++)
                    {
                        double s = 0;
                        for (int l = i + 1; l <= j; l++) s += T[j * k + l] * tmp[l];
                        T[j * k + i] = s;
                    }
                }
                for (int i = 0; i < k; i++) for (int p = 0; p < k; p++) tt[p * k + i] = T[i * k + p];
                // W1 = V' Z[0..rows)
                Array.Clear(w1, 0, k * m);
                EigenKernels.AtBParallelColumns(k, m, rows, pvc, k, pz, m, pw1, m, 1.0);
                // W2 = T W1
                Array.Clear(w2, 0, k * m);
                EigenKernels.AtBParallelColumns(k, m, k, ptt, k, pw1, m, pw2, m, 1.0);
                // Z[0..rows) -= V W2
                EigenKernels.AtBParallelRows(rows, m, k, pvr, rows, pw2, m, pz, m, -1.0);
                progress.Report("back-transform", Math.Min(n, b + nb), n);
            }
        }
    }
}
