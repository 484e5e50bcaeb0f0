using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AttentionSpectra.Numerics;

/// <summary>Micro-kernel family used by the packed GEMM driver.</summary>
internal enum GemmKernelKind
{
    /// <summary>No SIMD FMA available: plain loops (still exact, just slow).</summary>
    Scalar,
    /// <summary>8x24 tile computed as four 4x12 AVX2/FMA sub-kernels.</summary>
    Avx2,
    /// <summary>8x24 tile, 24 zmm accumulators.</summary>
    Avx512x8x24,
    /// <summary>6x32 tile, 24 zmm accumulators.</summary>
    Avx512x6x32,
}

/// <summary>Goto/BLIS-style packed GEMM on raw row-major storage: C = alpha op(A) op(B) + beta C.
/// Loop nest jc (NC) -> pc (KC, pack B) -> ic (MC, pack A) -> jr (NR) -> ir (MR) -> register micro-kernel.
/// Transposes are absorbed by the packing routines (never materialised). Work is split over the cores by
/// independent row (or column) blocks of C, so there is no synchronisation inside the blocked loops.</summary>
/// <summary>Immutable GEMM configuration: micro-kernel, register tile MR x NR and cache blocks KC, MC, NC.</summary>
internal sealed record GemmConfig(GemmKernelKind Kind, int MR, int NR, int KC, int MC, int NC)
{
    /// <summary>Default blocking for a kernel. Tuned on AMD EPYC Zen 4 (32 KiB L1d, 1 MiB L2 per core, `linalg tune`):
    /// the MC x KC block of A (0.75 MiB) stays in L2 and the long KC amortises the C tile load/store. AVX2: smaller,
    /// Haswell-like blocks.</summary>
    public static GemmConfig For(GemmKernelKind kind) => kind switch
    {
        GemmKernelKind.Avx512x8x24 => new(kind, 8, 24, 512, 192, 3072),
        GemmKernelKind.Avx512x6x32 => new(kind, 6, 32, 512, 192, 3072),
        GemmKernelKind.Avx2 => new(kind, 8, 24, 256, 96, 3072),
        _ => new(kind, 8, 24, 256, 96, 3072),
    };

    public static bool Supported(GemmKernelKind kind) => kind switch
    {
        GemmKernelKind.Avx512x8x24 or GemmKernelKind.Avx512x6x32 => Avx512F.IsSupported,
        GemmKernelKind.Avx2 => Fma.IsSupported && Avx.IsSupported,
        _ => true,
    };

    public void Validate()
    {
        if (!Supported(Kind)) throw new PlatformNotSupportedException($"GEMM kernel {Kind} is not supported by this CPU.");
        if (KC < 1 || MC < MR || MC % MR != 0 || NC < NR || NC % NR != 0)
            throw new ArgumentException($"Invalid GEMM blocking {this}.");
    }
}

/// <summary>Goto/BLIS-style packed GEMM on raw row-major storage: C = alpha op(A) op(B) + beta C.
/// Loop nest jc (NC) -> pc (KC, pack B) -> ic (MC, pack A) -> jr (NR) -> ir (MR) -> register micro-kernel.
/// Transposes are absorbed by the packing routines (never materialised). Work is split over the cores by
/// independent row (or column) blocks of C, so there is no synchronisation inside the blocked loops.</summary>
internal static unsafe class GemmCore
{
    private static volatile GemmConfig _config = GemmConfig.For(DefaultKind());

    /// <summary>Process-wide configuration (the bench's tuner replaces it; the tests pass explicit configs instead).</summary>
    internal static GemmConfig Config
    {
        get => _config;
        set { value.Validate(); _config = value; }
    }

    /// <summary>Upper bound on the threads one GEMM call uses (default: all cores). Callers that already run
    /// independent trials in parallel may set it to 1.</summary>
    internal static int MaxThreads { get; set; } = Environment.ProcessorCount;

    internal enum RowParallelSchedule { SharedB, StaticSplit }

    /// <summary>How tall problems are parallelised: shared packed B + dynamic row blocks (default) or a static split
    /// of C into one independent row block per thread (each packing its own B).</summary>
    internal static RowParallelSchedule RowSchedule { get; set; } =
        Environment.GetEnvironmentVariable("ATTNSPEC_GEMM_STATIC_SPLIT") == "1" ? RowParallelSchedule.StaticSplit : RowParallelSchedule.SharedB;

    /// <summary>Below this many multiply-adds (m n k) the direct loop is used (no packing).</summary>
    internal const long DirectThreshold = 24 * 24 * 24;
    /// <summary>Below this many multiply-adds the work stays on the calling thread.</summary>
    internal const long ParallelThreshold = 96 * 96 * 96;

    private static readonly GemmConfig? Alt6x32 = Avx512F.IsSupported ? GemmConfig.For(GemmKernelKind.Avx512x6x32) : null;

    /// <summary>The process-wide config, except that for narrow outputs the AVX-512 6 x 32 tile replaces 8 x 24 when it
    /// pads less (e.g. n = 32 or 64 panels: 8 x 24 would compute 48 or 72 columns).</summary>
    private static GemmConfig PickConfig(int m, int n)
    {
        var cfg = _config;
        if (Alt6x32 == null || cfg.Kind != GemmKernelKind.Avx512x8x24 || n >= 512) return cfg;
        double Waste(int mr, int nr) => (double)((m + mr - 1) / mr * mr) * ((n + nr - 1) / nr * nr) / ((double)m * n);
        return Waste(6, 32) < Waste(8, 24) - 0.05 ? Alt6x32 : cfg;
    }

    internal static GemmKernelKind DefaultKind()
    {
        if (Avx512F.IsSupported && Vector512.IsHardwareAccelerated) return GemmKernelKind.Avx512x8x24;
        if (Fma.IsSupported && Avx.IsSupported) return GemmKernelKind.Avx2;
        return GemmKernelKind.Scalar;
    }

    /// <summary>Strided view of op(X): element (i, j) at p[i * rs + j * cs].</summary>
    private readonly struct View(double* p, nint rs, nint cs)
    {
        public readonly double* P = p;
        public readonly nint Rs = rs, Cs = cs;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public double At(int i, int j) => P[i * Rs + j * Cs];
        public View Offset(int i, int j) => new(P + i * Rs + j * Cs, Rs, Cs);
    }

    /// <summary>General entry: m x n = (m x k)(k x n). lda/ldb/ldc are row strides of the stored (untransposed) arrays.
    /// If <paramref name="lowerOnly"/>, only C(i, j) with j &lt;= i is guaranteed correct (tiles entirely above the
    /// diagonal are skipped; tiles straddling it may also write entries above it).
    /// <paramref name="sideTask"/>, if given, runs once during the call: on one of the workers, concurrently with the
    /// row blocks, when the product is split by rows over a shared packed B; otherwise before the product. It must not
    /// touch C or write A and B.</summary>
    internal static void Run(int m, int n, int k, double* a, nint lda, bool transA, double* b, nint ldb, bool transB,
        double* c, nint ldc, double alpha, double beta, bool lowerOnly = false, bool allowParallel = true, GemmConfig? config = null,
        Action? sideTask = null)
    {
        if (m == 0 || n == 0) { sideTask?.Invoke(); return; }
        var cfg = config ?? PickConfig(m, n);
        if (k == 0 || alpha == 0)
        {
            sideTask?.Invoke();
            ScaleC(m, n, c, ldc, beta, lowerOnly);
            return;
        }
        var va = transA ? new View(a, 1, lda) : new View(a, lda, 1);
        var vb = transB ? new View(b, 1, ldb) : new View(b, ldb, 1);
        long work = (long)m * n * k;
        if (cfg.Kind == GemmKernelKind.Scalar || work <= DirectThreshold || Math.Min(m, n) < 4)
        {
            sideTask?.Invoke();
            Direct(m, n, k, va, vb, c, ldc, alpha, beta, lowerOnly);
            return;
        }
        int threads = allowParallel && work >= ParallelThreshold ? Math.Clamp(MaxThreads, 1, 64) : 1;
        bool byRows = lowerOnly || m >= n;
        if (threads <= 1 || !byRows || RowSchedule != RowParallelSchedule.SharedB)
        {
            sideTask?.Invoke();
            sideTask = null;
        }
        if (threads <= 1)
        {
            Serial(cfg, m, n, k, va, vb, c, ldc, alpha, beta, lowerOnly, 0);
            return;
        }
        if (byRows && RowSchedule == RowParallelSchedule.SharedB)
        {
            ParallelRows(cfg, m, n, k, va, vb, c, ldc, alpha, beta, lowerOnly, threads, sideTask);
            return;
        }
        // Otherwise split C into independent blocks: rows (area-balanced for a lower triangle) or columns.
        int extent = byRows ? m : n, unit = byRows ? cfg.MR : cfg.NR;
        int chunks = Math.Max(1, Math.Min(threads, (extent + unit - 1) / unit));
        var bounds = new int[chunks + 1];
        for (int t = 1; t < chunks; t++)
        {
            double f = lowerOnly ? Math.Sqrt((double)t / chunks) : (double)t / chunks;
            int cut = (int)Math.Round(f * extent / unit) * unit;
            bounds[t] = Math.Clamp(cut, bounds[t - 1], extent);
        }
        bounds[chunks] = extent;
        // Pointers cannot be captured by lambdas: pass addresses as nint.
        nint pa = (nint)va.P, pb = (nint)vb.P, pc = (nint)c;
        nint aRs = va.Rs, aCs = va.Cs, bRs = vb.Rs, bCs = vb.Cs;
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, t =>
        {
            int lo = bounds[t], hi = bounds[t + 1];
            if (hi <= lo) return;
            var A = new View((double*)pa, aRs, aCs);
            var B = new View((double*)pb, bRs, bCs);
            double* C = (double*)pc;
            if (byRows)
                Serial(cfg, hi - lo, n, k, A.Offset(lo, 0), B, C + lo * ldc, ldc, alpha, beta, lowerOnly, lo);
            else
                Serial(cfg, m, hi - lo, k, A, B.Offset(0, lo), C + lo, ldc, alpha, beta, false, 0);
        });
    }

    private static void ScaleC(int m, int n, double* c, nint ldc, double beta, bool lowerOnly)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<double>(c + i * ldc, lowerOnly ? Math.Min(n, i + 1) : n);
            if (beta == 0) row.Clear();
            else if (beta != 1) System.Numerics.Tensors.TensorPrimitives.Multiply<double>(row, beta, row);
        }
    }

    /// <summary>Unpacked loops for tiny or degenerate shapes (also the no-SIMD fallback).</summary>
    private static void Direct(int m, int n, int k, View a, View b, double* c, nint ldc, double alpha, double beta, bool lowerOnly)
    {
        bool bRowsContiguous = b.Cs == 1;
        Span<double> tmp = !bRowsContiguous ? default : n <= 1024 ? stackalloc double[n] : new double[n];
        for (int i = 0; i < m; i++)
        {
            int nEnd = lowerOnly ? Math.Min(n, i + 1) : n;
            double* ci = c + i * ldc;
            if (bRowsContiguous)
            {
                var acc = tmp[..nEnd];
                acc.Clear();
                for (int p = 0; p < k; p++)
                {
                    double s = a.At(i, p);
                    if (s != 0) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd<double>(new ReadOnlySpan<double>(b.P + p * b.Rs, nEnd), s, acc, acc);
                }
                for (int j = 0; j < nEnd; j++) ci[j] = alpha * acc[j] + (beta == 0 ? 0 : beta * ci[j]);
            }
            else
            {
                for (int j = 0; j < nEnd; j++)
                {
                    double s;
                    if (a.Cs == 1 && b.Rs == 1)
                        s = System.Numerics.Tensors.TensorPrimitives.Dot<double>(new ReadOnlySpan<double>(a.P + i * a.Rs, k), new ReadOnlySpan<double>(b.P + j * b.Cs, k));
                    else
                    {
                        s = 0;
                        for (int p = 0; p < k; p++) s += a.At(i, p) * b.At(p, j);
                    }
                    ci[j] = alpha * s + (beta == 0 ? 0 : beta * ci[j]);
                }
            }
        }
    }

    [ThreadStatic] private static double[]? _packA, _packB, _packBShared;

    private static double* Aligned(ref double[]? buf, int length)
    {
        if (buf == null || buf.Length < length + 8)
            buf = GC.AllocateUninitializedArray<double>(length + 8, pinned: true);
        double* p = (double*)Unsafe.AsPointer(ref buf[0]);
        return (double*)(((nint)p + 63) & ~(nint)63);
    }

    /// <summary>Single-threaded blocked GEMM on a sub-problem; <paramref name="diag"/> is the global row offset minus
    /// the global column offset of this sub-problem (used to skip tiles above the diagonal when lowerOnly).</summary>
    private static void Serial(GemmConfig cfg, int m, int n, int k, View a, View b, double* c, nint ldc, double alpha, double beta, bool lowerOnly, int diag)
    {
        int mr = cfg.MR, nr = cfg.NR, KC = cfg.KC, MC = cfg.MC, NC = cfg.NC;
        int kcMax = Math.Min(KC, k);
        int mcMax = Math.Min(MC, (m + mr - 1) / mr * mr);
        int ncMax = Math.Min(NC, (n + nr - 1) / nr * nr);
        double* packA = Aligned(ref _packA, mcMax * kcMax);
        double* packB = Aligned(ref _packB, ncMax * kcMax);

        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            if (lowerOnly && jc > m - 1 + diag) break;
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                double betaEff = pc == 0 ? beta : 1.0;
                // Columns of this panel that can touch the lower triangle of this row block.
                int ncUse = lowerOnly ? Math.Min(nc, m + diag - jc) : nc;
                PackB(b.Offset(pc, jc), kc, ncUse, nr, packB);
                for (int ic = 0; ic < m; ic += MC)
                {
                    int mc = Math.Min(MC, m - ic);
                    if (lowerOnly && jc > ic + mc - 1 + diag) continue;
                    PackA(a.Offset(ic, pc), mc, kc, mr, packA);
                    Macro(cfg, mc, ncUse, kc, packA, packB, c + ic * ldc + jc, ldc, alpha, betaEff, lowerOnly, ic + diag - jc);
                }
            }
        }
    }

    /// <summary>Row-parallel driver with a shared packed B: for each (jc, pc) the threads pack disjoint NR panels of
    /// the KC x NC panel of op(B) into one buffer, then take MC row blocks of C dynamically (each packing its own A
    /// block). Load-balances SYRK's triangle and copes with a core that is busy with something else.</summary>
    private static void ParallelRows(GemmConfig cfg, int m, int n, int k, View a, View b, double* c, nint ldc, double alpha,
        double beta, bool lowerOnly, int threads, Action? sideTask)
    {
        int mr = cfg.MR, nr = cfg.NR, KC = cfg.KC, NC = cfg.NC;
        // at least ~3 row blocks per thread so that the dynamic schedule can balance
        int mc = Math.Min(cfg.MC, Math.Max(mr, (m + 3 * threads * mr - 1) / (3 * threads * mr) * mr));
        int kcMax = Math.Min(KC, k);
        int ncMax = Math.Min(NC, (n + nr - 1) / nr * nr);
        nint packB = (nint)Aligned(ref _packBShared, ncMax * kcMax);
        nint pa = (nint)a.P, pb = (nint)b.P, pcC = (nint)c;
        nint aRs = a.Rs, aCs = a.Cs, bRs = b.Rs, bCs = b.Cs;
        var opts = new ParallelOptions { MaxDegreeOfParallelism = threads };
        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            if (lowerOnly && jc > m - 1) break;
            int ncUse = lowerOnly ? Math.Min(nc, m - jc) : nc;
            int panels = (ncUse + nr - 1) / nr;
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                double betaEff = pc == 0 ? beta : 1.0;
                int jcc = jc, pcc = pc;
                int packTasks = Math.Min(threads, panels);
                Parallel.For(0, packTasks, opts, t =>
                {
                    int p0 = (int)((long)panels * t / packTasks), p1 = (int)((long)panels * (t + 1) / packTasks);
                    if (p1 <= p0) return;
                    var B = new View((double*)pb, bRs, bCs);
                    int col0 = p0 * nr, cols = Math.Min(ncUse - col0, (p1 - p0) * nr);
                    PackB(B.Offset(pcc, jcc + col0), kc, cols, nr, (double*)packB + (nint)col0 * kc);
                });
                int blocks = (m + mc - 1) / mc;
                // work items claimed in order: the side task (first pass only), then the row blocks bottom-up (for a
                // lower triangle the largest first, so the dynamic schedule ends on small blocks)
                var side = sideTask;
                sideTask = null;
                int first = side != null ? 1 : 0, items = blocks + first, next = -1;
                Parallel.For(0, Math.Min(threads, items), opts, _ =>
                {
                    int t;
                    while ((t = Interlocked.Increment(ref next)) < items)
                    {
                        if (t < first) { side!(); continue; }
                        int blk = blocks - 1 - (t - first);
                        int ic = blk * mc, mcc = Math.Min(mc, m - ic);
                        if (lowerOnly && jcc > ic + mcc - 1) continue;
                        var A = new View((double*)pa, aRs, aCs);
                        double* packA = Aligned(ref _packA, mc * kcMax);
                        PackA(A.Offset(ic, pcc), mcc, kc, mr, packA);
                        Macro(cfg, mcc, ncUse, kc, packA, (double*)packB, (double*)pcC + ic * ldc + jcc, ldc, alpha,
                            betaEff, lowerOnly, ic - jcc);
                    }
                });
            }
        }
    }

    /// <summary>Macro-kernel: the jr/ir loops over an mc x ncUse block of C with packed A (mc x kc) and B (kc x ncUse).
    /// <paramref name="diagOff"/> = global row minus global column of the block's corner (lower-triangle skipping).</summary>
    private static void Macro(GemmConfig cfg, int mc, int ncUse, int kc, double* packA, double* packB, double* cBlock, nint ldc,
        double alpha, double betaEff, bool lowerOnly, int diagOff)
    {
        int mr = cfg.MR, nr = cfg.NR;
        var kind = cfg.Kind;
        double* edge = stackalloc double[8 * 32 + 8];
        edge = (double*)(((nint)edge + 63) & ~(nint)63);
        for (int jr = 0; jr < ncUse; jr += nr)
        {
            int nrr = Math.Min(nr, ncUse - jr);
            double* bp = packB + (nint)jr * kc;
            for (int ir = 0; ir < mc; ir += mr)
            {
                int mrr = Math.Min(mr, mc - ir);
                if (lowerOnly && jr > ir + mrr - 1 + diagOff) continue;
                double* ap = packA + (nint)ir * kc;
                double* cp = cBlock + ir * ldc + jr;
                if (mrr == mr && nrr == nr)
                    Tile(kind, kc, ap, bp, cp, ldc, alpha, betaEff);
                else
                {
                    Tile(kind, kc, ap, bp, edge, nr, 1.0, 0.0);
                    for (int i = 0; i < mrr; i++)
                    {
                        double* crow = cp + i * ldc;
                        double* erow = edge + i * nr;
                        if (betaEff == 0) for (int j = 0; j < nrr; j++) crow[j] = alpha * erow[j];
                        else for (int j = 0; j < nrr; j++) crow[j] = alpha * erow[j] + betaEff * crow[j];
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(GemmKernelKind kind, int kc, double* a, double* b, double* c, nint ldc, double alpha, double beta)
    {
        switch (kind)
        {
            case GemmKernelKind.Avx512x8x24: GemmKernels.Kernel8x24Avx512(kc, a, b, c, ldc, alpha, beta); break;
            case GemmKernelKind.Avx512x6x32: GemmKernels.Kernel6x32Avx512(kc, a, b, c, ldc, alpha, beta); break;
            default:
                GemmKernels.Kernel4x12Avx2(kc, a, 8, b, 24, c, ldc, alpha, beta);
                GemmKernels.Kernel4x12Avx2(kc, a, 8, b + 12, 24, c + 12, ldc, alpha, beta);
                GemmKernels.Kernel4x12Avx2(kc, a + 4, 8, b, 24, c + 4 * ldc, ldc, alpha, beta);
                GemmKernels.Kernel4x12Avx2(kc, a + 4, 8, b + 12, 24, c + 4 * ldc + 12, ldc, alpha, beta);
                break;
        }
    }

    /// <summary>Packs the mc x kc block of op(A) into MR-row micro-panels: panel r holds [p * MR + i], zero-padded.</summary>
    private static void PackA(View a, int mc, int kc, int mr, double* dst)
    {
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            double* d = dst + (nint)ir * kc;
            if (a.Rs == 1)
            {
                // op(A) column p is contiguous (A transposed): copy MR consecutive values per p.
                for (int p = 0; p < kc; p++)
                {
                    double* s = a.P + ir + p * a.Cs;
                    double* dp = d + p * mr;
                    int i = 0;
                    for (; i < rows; i++) dp[i] = s[i];
                    for (; i < mr; i++) dp[i] = 0;
                }
            }
            else if (rows == mr && mr == 8)
            {
                // Row-major A: gather one column of the 8-row sliver per p (8 sequential read streams, contiguous writes).
                double* s0 = a.P + ir * a.Rs;
                nint rs = a.Rs;
                for (int p = 0; p < kc; p++)
                {
                    double* dp = d + p * 8;
                    double* sp = s0 + p;
                    dp[0] = sp[0]; dp[1] = sp[rs]; dp[2] = sp[2 * rs]; dp[3] = sp[3 * rs];
                    dp[4] = sp[4 * rs]; dp[5] = sp[5 * rs]; dp[6] = sp[6 * rs]; dp[7] = sp[7 * rs];
                }
            }
            else if (rows == mr && mr == 6)
            {
                double* s0 = a.P + ir * a.Rs;
                nint rs = a.Rs;
                for (int p = 0; p < kc; p++)
                {
                    double* dp = d + p * 6;
                    double* sp = s0 + p;
                    dp[0] = sp[0]; dp[1] = sp[rs]; dp[2] = sp[2 * rs]; dp[3] = sp[3 * rs]; dp[4] = sp[4 * rs]; dp[5] = sp[5 * rs];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    double* dp = d + p * mr;
                    double* sp = a.P + ir * a.Rs + p;
                    int i = 0;
                    for (; i < rows; i++) dp[i] = sp[i * a.Rs];
                    for (; i < mr; i++) dp[i] = 0;
                }
            }
        }
    }

    /// <summary>Packs the kc x nc block of op(B) into NR-column micro-panels: panel j holds [p * NR + j], zero-padded.</summary>
    private static void PackB(View b, int kc, int nc, int nr, double* dst)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            double* d = dst + (nint)jr * kc;
            if (b.Cs == 1)
            {
                for (int p = 0; p < kc; p++)
                {
                    double* s = b.P + p * b.Rs + jr;
                    double* dp = d + p * nr;
                    if (cols == nr) new ReadOnlySpan<double>(s, nr).CopyTo(new Span<double>(dp, nr));
                    else
                    {
                        int j = 0;
                        for (; j < cols; j++) dp[j] = s[j];
                        for (; j < nr; j++) dp[j] = 0;
                    }
                }
            }
            else
            {
                // op(B) row p is strided (B transposed): op(B)(p, j) = B[j, p] is contiguous in p.
                for (int j = 0; j < cols; j++)
                {
                    double* s = b.P + (jr + j) * b.Cs;
                    for (int p = 0; p < kc; p++) d[p * nr + j] = s[p];
                }
                for (int j = cols; j < nr; j++)
                    for (int p = 0; p < kc; p++) d[p * nr + j] = 0;
            }
        }
    }
}
