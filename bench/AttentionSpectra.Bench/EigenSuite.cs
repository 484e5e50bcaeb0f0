using System.Diagnostics;
using System.Globalization;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Bench;

/// <summary>Quick Stopwatch harness for the symmetric eigensolver: best-of-N wall time for eigenvalues only
/// (eigvalsh), all pairs (eigh), top-10 pairs and Lanczos top-10, on a Wishart-like Gram matrix; also prints the
/// residual and orthogonality of the computed pairs so a fast-but-wrong run is visible.
/// Usage: eigen-quick [--n 1000,2000] [--reps 3] [--what eigvalsh,eigh,topk,lanczos,stages,ehalloc,kernel,small,smallparts,twostage,profile]
/// (default: the first four; stages/kernel/small/smallparts are diagnostics).</summary>
public sealed class EigenSuite : IBenchSuite
{
    public string Name => "eigen-quick";
    public string Description => "symmetric eigensolver timings (eigvalsh / eigh / top-k / Lanczos), best of N";

    public int Run(string[] args)
    {
        var sizes = new[] { 1000, 2000 };
        int reps = 3;
        var what = new HashSet<string> { "eigvalsh", "eigh", "topk", "lanczos" };
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--n": sizes = args[++i].Split(',').Select(int.Parse).ToArray(); break;
                case "--reps": reps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--what": what = args[++i].Split(',').ToHashSet(); break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
            }
        }
        if (what.Contains("smallparts"))
        {
            foreach (int n in new[] { 16, 50 })
            {
                var m = Blas.Gram(Samplers.Gaussian(new Rng(5), n, n));
                int calls = 2000;
                HouseholderTridiagonal? tri = null;
                double t1 = Best(reps, () => { for (int c = 0; c < calls; c++) tri = new HouseholderTridiagonal(m); }) / calls;
                double t2 = Best(reps, () => { for (int c = 0; c < calls; c++) Tridiagonal.BlockEigenvalues(tri!.D, tri.E, 0, n); }) / calls;
                double t3 = Best(reps, () => { for (int c = 0; c < calls; c++) SymmetricEigen.Validate(m); }) / calls;
                var starts = Tridiagonal.SplitBlocks(tri!.D, tri.E);
                var bv = Tridiagonal.BlockEigenvalues(tri.D, tri.E, 0, n); Array.Sort(bv);
                var targets = bv.Select((x, c) => new Tridiagonal.Target(0, x, c)).ToList();
                var z = new Matrix(n, n);
                double t4 = Best(reps, () => { for (int c = 0; c < calls; c++) Tridiagonal.InverseIteration(tri.D, tri.E, starts, targets, z); }) / calls;
                double t5 = Best(reps, () => { for (int c = 0; c < calls; c++) Tridiagonal.QlVectors(tri.D, tri.E, 0, n, out _); }) / calls;
                double t6 = Best(reps, () => { for (int c = 0; c < calls; c++) TridiagonalDivideConquer.Solve(tri.D, tri.E, 0, n, out _); }) / calls;
                double t7 = Best(reps, () => { for (int c = 0; c < calls; c++) tri.BackTransform(z); }) / calls;
                Console.WriteLine($"n {n} tridiag_us {t1 * 1e6:F1} sterf_us {t2 * 1e6:F1} validate_us {t3 * 1e6:F1} invit_us {t4 * 1e6:F1} ql_us {t5 * 1e6:F1} dc_us {t6 * 1e6:F1} back_us {t7 * 1e6:F1} starts {starts.Count}");
            }
        }
        if (what.Contains("small"))
        {
            // per-call cost for small matrices (Monte-Carlo studies call the solver many times)
            foreach (int n in new[] { 4, 16, 50, 100 })
            {
                var rng0 = new Rng(5);
                var m = Blas.Gram(Samplers.Gaussian(rng0, n, n));
                int calls = Math.Max(20, 200_000 / (n * n));
                double tv = Best(reps, () => { for (int c = 0; c < calls; c++) SymmetricEigen.Eigenvalues(m); }) / calls;
                double td = Best(reps, () => { for (int c = 0; c < calls; c++) SymmetricEigen.Decompose(m); }) / calls;
                Console.WriteLine($"{{\"suite\":\"eigen-quick\",\"op\":\"small\",\"n\":{n},\"eigvalsh_us\":{tv * 1e6:F1},\"eigh_us\":{td * 1e6:F1}}}");
            }
        }
        string input = Environment.GetEnvironmentVariable("INPUT") is { Length: > 0 } v ? v : "gram";
        if (input is not ("gram" or "goe")) throw new ArgumentException($"INPUT must be gram or goe, got '{input}'");
        foreach (int n in sizes)
        {
            var rng = new Rng(42);
            var g = Samplers.Gaussian(rng, n, n);
            // INPUT=goe: G + G' (the linalg suite's and numpy_bench's input) instead of the Wishart-like Gram G'G
            var a = input == "goe" ? g + g.Transpose() : Blas.Gram(g);
            double fro = a.FrobeniusNorm();
            if (what.Contains("kernel"))
            {
                // the level-3 kernel used by the back-transform: C (n x n) -= V (n x 32) W (32 x n), and W = V' Z
                var at = new double[32 * n]; var b = new double[32 * n]; var c = new double[n * n]; var zz = new double[n * n];
                new Rng(1).FillGaussian(at); new Rng(2).FillGaussian(b); new Rng(3).FillGaussian(zz);
                double t1 = Best(reps, () => { unsafe { fixed (double* pa = at, pb = b, pc = c) EigenKernels.AtBParallelRows(n, n, 32, pa, n, pb, n, pc, n, -1.0); } });
                var vc = new double[n * 32]; var w = new double[32 * n];
                new Rng(4).FillGaussian(vc);
                double t2 = Best(reps, () => { unsafe { fixed (double* pa = vc, pb = zz, pc = w) EigenKernels.AtBParallelColumns(32, n, n, pa, 32, pb, n, pc, n, 1.0); } });
                double gf = 2.0 * n * n * 32 / 1e9;
                Console.WriteLine($"{{\"suite\":\"eigen-quick\",\"op\":\"kernel\",\"n\":{n},\"update_gflops\":{gf / t1:F1},\"vtz_gflops\":{gf / t2:F1}}}");
            }
            if (what.Contains("ehalloc"))
            {
                // managed bytes allocated by each stage of eigh's path (one call each)
                long Alloc(Action f) { long b0 = GC.GetTotalAllocatedBytes(true); f(); return (GC.GetTotalAllocatedBytes(true) - b0) >> 20; }
                HouseholderTridiagonal? tri = null;
                long aTri = Alloc(() => tri = new HouseholderTridiagonal(a));
                long aDc = Alloc(() => TridiagonalDivideConquer.Solve(tri!.D, tri.E, 0, n, out _));
                var z = new Matrix(n, n);
                long aBack = Alloc(() => tri!.BackTransform(z));
                long aAll = Alloc(() => SymmetricEigen.Decompose(a));
                Console.WriteLine($"{{\"suite\":\"eigen-quick\",\"op\":\"ehalloc\",\"n\":{n},\"tridiag_mib\":{aTri},\"divconq_mib\":{aDc},\"backtransform_mib\":{aBack},\"eigh_mib\":{aAll}}}");
            }
            if (what.Contains("stages"))
            {
                for (int r = 0; r < reps; r++)
                {
                    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                    var sw = Stopwatch.StartNew();
                    var tri = new HouseholderTridiagonal(a);
                    double t1 = sw.Elapsed.TotalSeconds; sw.Restart();
                    var starts = Tridiagonal.SplitBlocks(tri.D, tri.E);
                    var vals = new List<double>();
                    var targets = new List<Tridiagonal.Target>();
                    for (int b = 0; b + 1 < starts.Count; b++)
                    {
                        var bv = Tridiagonal.BlockEigenvalues(tri.D, tri.E, starts[b], starts[b + 1]);
                        Array.Sort(bv);
                        foreach (var x in bv) targets.Add(new Tridiagonal.Target(b, x, targets.Count));
                    }
                    double t2 = sw.Elapsed.TotalSeconds; sw.Restart();
                    var z = new Matrix(n, n);
                    Tridiagonal.InverseIteration(tri.D, tri.E, starts, targets, z);
                    double t3 = sw.Elapsed.TotalSeconds; sw.Restart();
                    tri.BackTransform(z);
                    double t4 = sw.Elapsed.TotalSeconds; sw.Restart();
                    Tridiagonal.QlVectors(tri.D, tri.E, 0, n, out _);
                    double t5 = sw.Elapsed.TotalSeconds; sw.Restart();
                    TridiagonalDivideConquer.Solve(tri.D, tri.E, 0, n, out _);
                    double t6 = sw.Elapsed.TotalSeconds;
                    double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
                    Console.WriteLine($"{{\"suite\":\"eigen-quick\",\"op\":\"stages\",\"n\":{n},\"tridiag_s\":{t1:F3},\"sterf_s\":{t2:F3},\"invit_s\":{t3:F3},\"backtransform_s\":{t4:F3},\"qlvectors_s\":{t5:F3},\"divconq_s\":{t6:F3},\"cpu_s\":{cpu:F3}}}");
                }
            }
            if (what.Contains("eigvalsh"))
            {
                double[] vals = [];
                double best = Best(reps, () => vals = SymmetricEigen.Eigenvalues(a));
                double traceErr = Math.Abs(vals.Sum() - a.Trace()) / fro;
                Emit("eigvalsh", n, best, $"\"trace_rel_err\":{traceErr:E2}");
            }
            if (what.Contains("eigvalsh1"))
            {
                // the one-stage reduction, for comparison with the two-stage default
                int saved = SymmetricEigen.TwoStageMinimum;
                SymmetricEigen.TwoStageMinimum = int.MaxValue;
                double best = Best(reps, () => SymmetricEigen.Eigenvalues(a));
                SymmetricEigen.TwoStageMinimum = saved;
                Emit("eigvalsh-one-stage", n, best, "\"note\":\"HouseholderTridiagonal + dsterf\"");
            }
            if (what.Contains("twostage"))
            {
                var st = new double[2];
                var bands = (Environment.GetEnvironmentVariable("BANDS") ?? "32").Split(',').Select(int.Parse).ToArray();
                var srows = (Environment.GetEnvironmentVariable("SYMMROWS") ?? "384").Split(',').Select(int.Parse).ToArray();
                if (srows.Length > 1) bands = srows.Select(_ => bands[0]).ToArray();
                var b1 = bands.Select(_ => double.MaxValue).ToArray();
                var b2 = (double[])b1.Clone();
                for (int r = 0; r < reps; r++)
                    for (int bi = 0; bi < bands.Length; bi++)
                    {
                        TwoStageTridiagonal.Band = bands[bi];
                        TwoStageTridiagonal.SymmRows = srows[Math.Min(bi, srows.Length - 1)];
                        TwoStageTridiagonal.Reduce(a, st);
                        b1[bi] = Math.Min(b1[bi], st[0]); b2[bi] = Math.Min(b2[bi], st[1]);
                    }
                TwoStageTridiagonal.Band = 32;
                // bulge chasing on one thread, for comparison with the two-thread pipeline (band 32)
                int savedChase = TwoStageTridiagonal.ParallelChaseMinimum;
                TwoStageTridiagonal.ParallelChaseMinimum = int.MaxValue;
                double serial = double.MaxValue;
                for (int r = 0; r < reps; r++) { TwoStageTridiagonal.Reduce(a, st); serial = Math.Min(serial, st[1]); }
                TwoStageTridiagonal.ParallelChaseMinimum = savedChase;
                Console.WriteLine(FormattableString.Invariant(
                    $"{{\"suite\":\"eigen-quick\",\"op\":\"bulge-chasing-one-thread\",\"n\":{n},\"best_s\":{serial:F3}}}"));
                for (int bi = 0; bi < bands.Length; bi++)
                    Console.WriteLine(FormattableString.Invariant(
                        $"{{\"suite\":\"eigen-quick\",\"op\":\"twostage\",\"n\":{n},\"band\":{bands[bi]},") +
                        FormattableString.Invariant(
                        $"\"dense_to_band_s\":{b1[bi]:F3},\"bulge_chasing_s\":{b2[bi]:F3}}}"));
            }
            if (what.Contains("profile"))
            {
                // stage 1 by part (best of reps per part) and the whole eigvalsh; HUGEPAGES=0 turns the advice off
                NativeBuffer.UseHugePages = Environment.GetEnvironmentVariable("HUGEPAGES") != "0";
                using (var probe = new NativeBuffer((long)n * n))
                {
                    unsafe { new Span<double>(probe.Pointer, n * n).Fill(1); }
                    var huge = File.ReadLines("/proc/self/smaps_rollup").FirstOrDefault(l => l.StartsWith("AnonHugePages"));
                    Console.Error.WriteLine($"huge pages advised: {NativeBuffer.UseHugePages}; {huge}");
                }
                var best = new double[4]; Array.Fill(best, double.MaxValue);
                var st = new double[2];
                double s1 = double.MaxValue, s2 = double.MaxValue;
                for (int r = 0; r < reps; r++)
                {
                    var prof = new double[4];
                    TwoStageTridiagonal.Profile = prof;
                    TwoStageTridiagonal.Reduce(a, st);
                    TwoStageTridiagonal.Profile = null;
                    for (int i = 0; i < 4; i++) best[i] = Math.Min(best[i], prof[i]);
                    s1 = Math.Min(s1, st[0]); s2 = Math.Min(s2, st[1]);
                }
                double whole = Best(reps, () => SymmetricEigen.Eigenvalues(a));
                var (td, te) = TwoStageTridiagonal.Reduce(a);
                double sterf = Best(reps, () => Tridiagonal.BlockEigenvalues(td, te, 0, n));
                double dcValues = Best(reps, () => TridiagonalDivideConquer.Values(td, te, 0, n));
                {
                    var x = Tridiagonal.BlockEigenvalues(td, te, 0, n); Array.Sort(x);
                    var y = TridiagonalDivideConquer.Values(td, te, 0, n); Array.Sort(y);
                    double dmax = 0; for (int i = 0; i < n; i++) dmax = Math.Max(dmax, Math.Abs(x[i] - y[i]));
                    Console.Error.WriteLine($"values: max |sterf - dc| = {dmax:E2} (|l|max {x[^1]:E2})");
                    double half = Best(reps, () => Tridiagonal.QlValuesAndComponent(td, te, 0, n / 2, n / 2 - 1, out _));
                    double sterfHalf = Best(reps, () => Tridiagonal.BlockEigenvalues(td, te, 0, n / 2));
                    Console.Error.WriteLine($"half QL+component {half:F4} s, sterf on the half {sterfHalf:F4} s");
                }
                double cpu = double.MaxValue;
                for (int r = 0; r < reps; r++)
                {
                    var c0 = Process.GetCurrentProcess().TotalProcessorTime;
                    SymmetricEigen.Eigenvalues(a);
                    cpu = Math.Min(cpu, (Process.GetCurrentProcess().TotalProcessorTime - c0).TotalSeconds);
                }
                Console.WriteLine(FormattableString.Invariant(
                    $"{{\"suite\":\"eigen-quick\",\"op\":\"profile\",\"n\":{n},\"panel_s\":{best[0]:F4},") +
                    FormattableString.Invariant(
                    $"\"symm_s\":{best[1]:F4},\"small_s\":{best[2]:F4},\"update_s\":{best[3]:F4},") +
                    FormattableString.Invariant(
                    $"\"stage1_s\":{s1:F4},\"stage2_s\":{s2:F4},\"sterf_s\":{sterf:F4},\"dc_values_s\":{dcValues:F4},\"eigvalsh_s\":{whole:F4},\"eigvalsh_cpu_s\":{cpu:F4}}}"));
            }
            if (what.Contains("eigh"))
            {
                EigenDecomposition? ed = null;
                long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
                double best = Best(reps, () => ed = SymmetricEigen.Decompose(a));
                double allocMiB = (GC.GetTotalAllocatedBytes(precise: true) - alloc0) / (double)reps / (1 << 20);
                var (res, orth) = Check(a, ed!);
                Emit("eigh", n, best, FormattableString.Invariant(
                    $"\"residual_rel\":{res / fro:E2},\"orth\":{orth:E2},\"allocated_mib_per_call\":{allocMiB:F0}"));
            }
            if (what.Contains("topk"))
            {
                EigenDecomposition? ed = null;
                double best = Best(reps, () => ed = SymmetricEigen.TopK(a, 10));
                var (res, orth) = Check(a, ed!);
                Emit("topk10", n, best, $"\"residual_rel\":{res / fro:E2},\"orth\":{orth:E2}");
            }
            if (what.Contains("lanczos"))
            {
                EigenDecomposition? ed = null;
                double best = Best(reps, () => ed = Lanczos.TopK(a, 10, new Rng(7)));
                var (res, orth) = Check(a, ed!);
                Emit("lanczos10", n, best, $"\"residual_rel\":{res / fro:E2},\"orth\":{orth:E2}");
            }
        }
        return 0;
    }

    private static double Best(int reps, Action f)
    {
        double best = double.MaxValue;
        for (int r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew();
            f();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static (double Residual, double Orth) Check(Matrix a, EigenDecomposition ed)
    {
        var v = ed.Vectors;
        var av = Blas.Multiply(a, v);
        double res = 0;
        for (int i = 0; i < v.Rows; i++)
            for (int j = 0; j < v.Cols; j++) res = Math.Max(res, Math.Abs(av[i, j] - ed.Values[j] * v[i, j]));
        var vtv = Blas.Multiply(v, v, transA: true);
        double orth = 0;
        for (int i = 0; i < vtv.Rows; i++)
            for (int j = 0; j < vtv.Cols; j++) orth = Math.Max(orth, Math.Abs(vtv[i, j] - (i == j ? 1 : 0)));
        return (res, orth);
    }

    private static void Emit(string op, int n, double seconds, string extra) =>
        Console.WriteLine($"{{\"suite\":\"eigen-quick\",\"op\":\"{op}\",\"n\":{n},\"best_s\":{seconds.ToString("F3", CultureInfo.InvariantCulture)},{extra}}}");
}
