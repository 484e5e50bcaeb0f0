using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Bench;

/// <summary>Study B benchmark: wall time of the phase diagram (default 40 SNR values x 10 trials at d = 1000,
/// V = N = 2000, T = 16, mean pooling, iid positions). Args: [--d D] [--V V] [--N N] [--T T] [--points P]
/// [--trials K] [--seed S] [--solver auto|operator|gram] [--profile]. Prints one JSON line.</summary>
public sealed class RmtSuite : IBenchSuite
{
    public string Name => "rmt";
    public string Description => "Study B: pooled-model phase diagram (40 SNR x 10 trials, d=1000) wall time";

    public int Run(string[] args)
    {
        int d = 1000, v = 2000, n = 2000, t = 16, points = 40, trials = 10;
        ulong seed = 1;
        bool profile = false;
        var path = EigenPath.Auto;
        for (int i = 0; i < args.Length; i++) if (args[i] == "--profile") { profile = true; args = args.Where((_, k) => k != i).ToArray(); break; }
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string val = args[i + 1];
            switch (args[i])
            {
                case "--d": d = int.Parse(val, CultureInfo.InvariantCulture); break;
                case "--V": v = int.Parse(val, CultureInfo.InvariantCulture); break;
                case "--N": n = int.Parse(val, CultureInfo.InvariantCulture); break;
                case "--T": t = int.Parse(val, CultureInfo.InvariantCulture); break;
                case "--points": points = int.Parse(val, CultureInfo.InvariantCulture); break;
                case "--trials": trials = int.Parse(val, CultureInfo.InvariantCulture); break;
                case "--seed": seed = ulong.Parse(val, CultureInfo.InvariantCulture); break;
                case "--solver": path = val switch { "auto" => EigenPath.Auto, "operator" => EigenPath.Operator, "gram" => EigenPath.GramLanczos, _ => throw new ArgumentException("--solver auto|operator|gram") }; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        var w = PoolingWeights.Mean(t);
        var model = new PooledModel(d, v, n, w, Correlations.Independent(t));
        var th = model.Theory();
        // SNR grid in effective-SNR units from 0 to 3x the sample threshold
        double rhoMax = 3 * th.SampleThreshold;
        var snrs = Enumerable.Range(0, points).Select(i => model.SnrForRho(rhoMax * i / (points - 1))).ToArray();
        if (profile)
        {
            // whole trials, one after another on one thread (after one warm-up trial)
            var tws = new PooledSimulator.Workspace(model);
            for (int rep = 0; rep < 5; rep++)
            {
                var sw0 = Stopwatch.StartNew();
                PooledSimulator.Trial(model, snrs[^1], new Rng(seed).Split((ulong)rep), tws, path: path);
                Console.WriteLine(JsonSerializer.Serialize(new { rep, trial_ms = sw0.Elapsed.TotalMilliseconds, cpu_ms = Environment.CpuUsage.UserTime.TotalMilliseconds }));
            }
            // single-threaded breakdown of one trial: table + rows vs Lanczos
            var ws = new PooledSimulator.Workspace(model);
            for (int rep = 0; rep < 4; rep++)
            {
                var r = new Rng(seed).Split((ulong)rep);
                var s1 = Stopwatch.StartNew();
                r.Split(0).FillGaussian(ws.Table.Data);
                double gauss = s1.Elapsed.TotalMilliseconds;
                s1.Restart();
                PooledSimulator.BuildPooled(model, snrs[points / 2], r, ws);
                double build = s1.Elapsed.TotalMilliseconds;
                s1.Restart();
                int ops = 0;
                var gop = Lanczos.GramOperator(ws.Pooled, 1.0 / n);
                var top = Lanczos.TopK((x, y) => { ops++; gop(x, y); }, d, 2, PooledSimulator.TrialTolerances, r.Split(3), blockSize: 1);
                double lz = s1.Elapsed.TotalMilliseconds;
                s1.Restart();
                var sm = new Matrix(d, d);
                Blas.Syrk(ws.Pooled, sm, 1.0 / n, 0.0, trans: true);
                double syrk = s1.Elapsed.TotalMilliseconds;
                s1.Restart();
                int ops2 = 0;
                var top2 = Lanczos.TopK((x, y) => { ops2++; for (int i = 0; i < d; i++) y[i] = System.Numerics.Tensors.TensorPrimitives.Dot(sm.RowReadOnly(i), x); }, d, 2, PooledSimulator.TrialTolerances, r.Split(3), blockSize: 1);
                double lzs = s1.Elapsed.TotalMilliseconds;
                s1.Restart();
                var dense = SymmetricEigen.TopK(sm, 2);
                double dn = s1.Elapsed.TotalMilliseconds;
                Console.WriteLine(JsonSerializer.Serialize(new { rep, gaussian_table_ms = gauss, build_ms = build, lanczos_ms = lz, ops, syrk_ms = syrk, lanczos_s_ms = lzs, ops2, dense_top2_ms = dn, top = top.Values[0], top2 = top2.Values[0], topd = dense.Values[0] }));
            }
            return 0;
        }
        // warm-up: one untimed full-size trial per core, so that the timed trials run optimised (tier-1) code. A
        // real run (40 points x 10 trials) amortises the JIT; a 4-trial benchmark would otherwise mostly time it.
        Parallel.For(0, Environment.ProcessorCount, i => PooledSimulator.Trial(model, snrs[^1], new Rng(seed + 1).Split((ulong)i), path: path));
        var sw = Stopwatch.StartNew();
        var pts = PooledSimulator.Phase(model, snrs, trials, new Rng(seed), path: path);
        double secs = sw.Elapsed.TotalSeconds;
        double maxDevTop = pts.Where(p => p.Theory.SampleOutlier).Select(p => Math.Abs(p.TopMean / p.Theory.SampleTop - 1)).DefaultIfEmpty(0).Max();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            suite = Name, impl = "csharp", solver = path.ToString(), d, V = v, N = n, T = t, points, trials, cores = Environment.ProcessorCount,
            seconds = Math.Round(secs, 3), per_trial_ms = Math.Round(1000 * secs / (points * trials), 2),
            max_rel_dev_outlier = Math.Round(maxDevTop, 4),
        }));
        return 0;
    }
}
