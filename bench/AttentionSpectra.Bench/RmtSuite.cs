using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PooledSpectra;

namespace AttentionSpectra.Bench;

/// <summary>Study B benchmark: wall time of the phase diagram (default 40 SNR values x 10 trials at d = 1000,
/// V = N = 2000, T = 16, mean pooling, iid positions). Args: [--d D] [--V V] [--N N] [--T T] [--points P]
/// [--trials K] [--seed S] [--solver operator|gram] [--profile]. Prints one JSON line.</summary>
public sealed class RmtSuite : IBenchSuite
{
    public string Name => "rmt";
    public string Description => "Study B: pooled-model phase diagram (40 SNR x 10 trials, d=1000) wall time";

    public int Run(string[] args)
    {
        int d = 1000, v = 2000, n = 2000, t = 16, points = 40, trials = 10;
        ulong seed = 1;
        bool profile = false;
        var path = EigenPath.Operator;
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
                case "--solver": path = val switch { "operator" => EigenPath.Operator, "gram" => EigenPath.GramLanczos, _ => throw new ArgumentException("--solver operator|gram") }; break;
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
                var top = Lanczos.TopK(Lanczos.GramOperator(ws.Pooled, 1.0 / n), d, 2, PooledSimulator.TrialTolerances, r.Split(3), blockSize: 1);
                double lz = s1.Elapsed.TotalMilliseconds;
                Console.WriteLine(JsonSerializer.Serialize(new { rep, gaussian_table_ms = gauss, build_ms = build, lanczos_ms = lz, top = top.Values[0] }));
            }
            return 0;
        }
        // warm-up (JIT) on a tiny model
        var tiny = new PooledModel(50, 100, 100, w, Correlations.Independent(t));
        PooledSimulator.Phase(tiny, [0.0, 1.0], 2, new Rng(seed));
        var sw = Stopwatch.StartNew();
        var pts = PooledSimulator.Phase(model, snrs, trials, new Rng(seed), path: path);
        double secs = sw.Elapsed.TotalSeconds;
        double maxDevTop = pts.Where(p => p.Theory.SampleOutlier).Select(p => Math.Abs(p.TopMean / p.Theory.SampleTop - 1)).DefaultIfEmpty(0).Max();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            suite = Name, impl = "csharp", solver = path == EigenPath.Operator ? "lanczos-operator" : "syrk-then-Lanczos.TopK", d, V = v, N = n, T = t, points, trials, cores = Environment.ProcessorCount,
            seconds = Math.Round(secs, 3), per_trial_ms = Math.Round(1000 * secs / (points * trials), 2),
            max_rel_dev_outlier = Math.Round(maxDevTop, 4),
        }));
        return 0;
    }
}
