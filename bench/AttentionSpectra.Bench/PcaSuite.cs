using System.Diagnostics;
using System.Globalization;
using AttentionSpectra.Attention;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Bench;

/// <summary>Study A: SGD training steps per second of the rank-one softmax head (fresh Gaussian prompts, analytic
/// gradient, parallel over the batch). One step = sample batch x L tokens ~ N(0, Sigma) + forward + backward + update.
/// Usage: pca [--d 5,64] [--L 100] [--batch 256] [--steps 300] [--reps 3] [--seed 1]</summary>
public sealed class PcaSuite : IBenchSuite
{
    public string Name => "pca";
    public string Description => "Study A: softmax-head SGD steps/s (sample+forward+backward+update), d=5 and d=64, L=100, batch 256";

    public int Run(string[] args)
    {
        string Get(string key, string def)
        {
            int i = Array.IndexOf(args, key);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : def;
        }
        var ds = Get("--d", "5,64").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        int l = int.Parse(Get("--L", "100"), CultureInfo.InvariantCulture);
        int batch = int.Parse(Get("--batch", "256"), CultureInfo.InvariantCulture);
        int steps = int.Parse(Get("--steps", "300"), CultureInfo.InvariantCulture);
        int reps = int.Parse(Get("--reps", "3"), CultureInfo.InvariantCulture);
        ulong seed = ulong.Parse(Get("--seed", "1"), CultureInfo.InvariantCulture);
        foreach (int d in ds)
        {
            double lam = 0.1, lr = 1e-4;
            var sigma = PcaExperiments.RandomCovariance(new Rng(seed), d);
            var bg = new BatchGradient(new GaussianPromptSource(sigma), HeadKind.Softmax, l, 1, lam, batch);
            var mu = PcaExperiments.Init(new Rng(seed + 1), 1, d, 0.01);
            var g = new double[d];
            var rng = new Rng(seed + 2);
            void Steps(int n, int offset)
            {
                for (int s = 0; s < n; s++)
                {
                    bg.Compute(mu, g, rng.Split((ulong)(offset + s)));
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(g, -lr, mu, mu);
                }
            }
            Steps(Math.Max(10, steps / 10), 0); // warm-up (JIT, tiering)
            var rates = new List<double>();
            for (int r = 0; r < reps; r++)
            {
                var sw = Stopwatch.StartNew();
                Steps(steps, 1_000_000 * (r + 1));
                rates.Add(steps / sw.Elapsed.TotalSeconds);
            }
            rates.Sort();
            Console.WriteLine(FormattableString.Invariant(
                $"{{\"impl\":\"csharp-analytic\",\"d\":{d},\"L\":{l},\"batch\":{batch},\"steps\":{steps},\"reps\":{reps},\"steps_per_s_median\":{rates[rates.Count / 2]:F2},\"steps_per_s_best\":{rates[^1]:F2},\"threads\":{Environment.ProcessorCount}}}"));
        }
        return 0;
    }
}
