using System.Diagnostics;
using System.Text.Json;
using AttentionSpectra.Numerics;

namespace AttentionSpectra.Bench;

/// <summary>Linear-algebra core benchmark: dgemm 2000^3 (GFLOP/s), eigvalsh and eigh n = 1000/2000 with whatever
/// SymmetricEigen implementation of the checkout, best-of-N wall time. One JSON object per line on stdout.
/// Usage: linalg [--reps N] [--gemm-n N] [--eig-sizes 1000,2000] [--only gemm|syrk|eig|chol|rng|shapes] [--max-seconds S]
///        linalg tune   (sweeps kernel and KC/MC on gemm 2000^3)</summary>
public sealed class LinalgSuite : IBenchSuite
{
    public string Name => "linalg";
    public string Description => "dgemm 2000^3, syrk, cholesky, eigvalsh/eigh n=1000/2000, RNG throughput (best of N)";

    public int Run(string[] args)
    {
        int reps = 3, gemmN = 2000;
        _maxSeconds = 20;
        int[] eigSizes = [1000, 2000];
        string? only = null;
        bool tune = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--reps": reps = int.Parse(args[++i]); break;
                case "--gemm-n": gemmN = int.Parse(args[++i]); break;
                case "--eig-sizes": eigSizes = args[++i].Split(',').Select(int.Parse).ToArray(); break;
                case "--only": only = args[++i]; break;
                case "--max-seconds": _maxSeconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "tune": tune = true; break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
            }
        }
        Emit(new { bench = "env", kernel = GemmCore.Config.Kind.ToString(), mr = GemmCore.Config.MR, nr = GemmCore.Config.NR, kc = GemmCore.Config.KC, mc = GemmCore.Config.MC, nc = GemmCore.Config.NC,
            cores = Environment.ProcessorCount, runtime = Environment.Version.ToString() });
        if (tune) { Tune(gemmN); return 0; }
        var rng = new Rng(12345);
        bool Do(string s) => only == null || only == s;
        if (Do("gemm")) Gemm(rng, gemmN, reps);
        if (Do("shapes")) Shapes(rng, reps);
        if (Do("syrk")) Syrk(rng, gemmN, reps);
        if (Do("chol")) Chol(rng, gemmN, reps);
        if (Do("rng")) RngBench(reps);
        if (Do("eig"))
            foreach (int n in eigSizes)
            {
                var g = Samplers.Gaussian(rng, n, n);
                var a = (g + g.Transpose());
                double tv = Best(reps, () => SymmetricEigen.Eigenvalues(a));
                Emit(new { bench = "eigvalsh", n, seconds = tv });
                double te = Best(reps, () => SymmetricEigen.Decompose(a));
                Emit(new { bench = "eigh", n, seconds = te });
            }
        return 0;
    }

    private static void Gemm(Rng rng, int n, int reps)
    {
        var a = Samplers.Gaussian(rng, n, n); var b = Samplers.Gaussian(rng, n, n); var c = new Matrix(n, n);
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            double t = Best(reps, () => Blas.Gemm(a, b, c, 1, 0, ta, tb));
            Emit(new { bench = "gemm", m = n, n, k = n, transA = ta, transB = tb, seconds = t, gflops = 2.0 * n * n * (double)n / t / 1e9 });
            if (reps <= 1) break;
        }
    }

    private static void Shapes(Rng rng, int reps)
    {
        foreach (var (m, k, n) in new[] { (2000, 32, 2000), (2000, 2000, 32), (32, 2000, 2000), (4000, 64, 64), (500, 500, 500), (200, 200, 200), (64, 64, 64) })
        {
            var a = Samplers.Gaussian(rng, m, k); var b = Samplers.Gaussian(rng, k, n); var c = new Matrix(m, n);
            int inner = Math.Max(1, (int)(2e8 / ((double)m * n * k)));
            double t = Best(reps, () => { for (int r = 0; r < inner; r++) Blas.Gemm(a, b, c); }) / inner;
            var proc = System.Diagnostics.Process.GetCurrentProcess();
            proc.Refresh(); var c0 = proc.TotalProcessorTime;
            for (int r = 0; r < inner; r++) Blas.Gemm(a, b, c);
            proc.Refresh(); double cpu = (proc.TotalProcessorTime - c0).TotalSeconds / inner;
            Emit(new { bench = "gemm-shape", m, n, k, seconds = t, gflops = 2.0 * m * n * (double)k / t / 1e9, gflops_per_cpu_second = 2.0 * m * n * (double)k / cpu / 1e9 });
        }
    }

    private static void Syrk(Rng rng, int n, int reps)
    {
        var a = Samplers.Gaussian(rng, n, n); var c = new Matrix(n, n);
        double t = Best(reps, () => Blas.Syrk(a, c, 1, 0, trans: false));
        Emit(new { bench = "syrk", n, k = n, seconds = t, gflops_effective = 1.0 * n * n * (double)n / t / 1e9 });
    }

    private static void Chol(Rng rng, int n, int reps)
    {
        var g = Samplers.Gaussian(rng, n, n);
        var s = Blas.Gram(g); for (int i = 0; i < n; i++) s[i, i] += n;
        double t = Best(reps, () => Cholesky.Factor(s));
        Emit(new { bench = "cholesky", n, seconds = t, gflops = n * (double)n * n / 3.0 / t / 1e9 });
    }

    private static void RngBench(int reps)
    {
        var buf = new double[1 << 22];
        var rng = new Rng(7);
        double t = Best(reps, () => rng.FillGaussian(buf));
        Emit(new { bench = "fill-gaussian", count = buf.Length, seconds = t, ns_per_sample = t / buf.Length * 1e9 });
        double tu = Best(reps, () => rng.FillUniform(buf));
        Emit(new { bench = "fill-uniform", count = buf.Length, seconds = tu, ns_per_sample = tu / buf.Length * 1e9 });
    }

    private static void Tune(int n)
    {
        var rng = new Rng(1);
        var a = Samplers.Gaussian(rng, n, n); var b = Samplers.Gaussian(rng, n, n); var c = new Matrix(n, n);
        var kinds = (Environment.GetEnvironmentVariable("TUNE_KINDS") ?? "Avx512x8x24,Avx512x6x32,Avx2").Split(',').Select(Enum.Parse<GemmKernelKind>);
        var kcs = (Environment.GetEnvironmentVariable("TUNE_KC") ?? "128,192,256,384").Split(',').Select(int.Parse).ToArray();
        var mcs = (Environment.GetEnvironmentVariable("TUNE_MC") ?? "48,96,192").Split(',').Select(int.Parse).ToArray();
        foreach (var kind in kinds)
            foreach (int kc in kcs)
                foreach (int mc in mcs)
                {
                    if (!GemmConfig.Supported(kind)) continue;
                    var cfg = GemmConfig.For(kind);
                    GemmCore.Config = cfg with { KC = kc, MC = Math.Max(1, mc / cfg.MR) * cfg.MR };
                    double t = Best(3, () => Blas.Gemm(a, b, c));
                    // single-thread CPU time: less sensitive to other processes than wall time on a shared box
                    GemmCore.MaxThreads = 1;
                    var proc = System.Diagnostics.Process.GetCurrentProcess();
                    double cpuBest = double.PositiveInfinity;
                    for (int r = 0; r < 3; r++)
                    {
                        proc.Refresh(); var c0 = proc.TotalProcessorTime;
                        Blas.Gemm(a, b, c);
                        proc.Refresh(); cpuBest = Math.Min(cpuBest, (proc.TotalProcessorTime - c0).TotalSeconds);
                    }
                    GemmCore.MaxThreads = Environment.ProcessorCount;
                    Emit(new { bench = "tune", kernel = kind.ToString(), kc, mc = GemmCore.Config.MC, gflops = 2.0 * n * n * (double)n / t / 1e9,
                        gflops_per_cpu_second_1thread = 2.0 * n * n * (double)n / cpuBest / 1e9 });
                }
    }

    private static double _maxSeconds = 20;

    /// <summary>Best of (warm-up + reps) wall times; if the warm-up alone exceeds --max-seconds it is the only run.</summary>
    private static double Best(int reps, Action f)
    {
        var sw0 = Stopwatch.StartNew();
        f(); // warm-up (JIT, buffers)
        double best = sw0.Elapsed.TotalSeconds;
        if (best > _maxSeconds) return best;
        for (int r = 0; r < Math.Max(1, reps); r++)
        {
            var sw = Stopwatch.StartNew();
            f();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static void Emit(object o) => Console.WriteLine(JsonSerializer.Serialize(o));
}
