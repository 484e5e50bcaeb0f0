using System.Diagnostics;
using System.Globalization;
using AttentionSpectra.Attention;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Bench;

/// <summary>Study A: SGD training steps per second of the rank-one softmax head (fresh Gaussian prompts, analytic
/// gradient, parallel over the batch). One step = sample batch x L tokens ~ N(0, Sigma) + forward + backward + update.
/// Usage: pca [--d 5,64] [--L 100] [--batch 256] [--steps 300] [--reps 3] [--seed 1] [--warmup max(10, steps/10)]
/// [--per-prompt] (the per-token sampler of 0.1) [--blocked] (the GEMM block sampler of early 0.2: X = Z C' formed)
/// [--stages] (sampling stage alone + a GEMM, same process)</summary>
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
        int warmup = int.Parse(Get("--warmup", "-1"), CultureInfo.InvariantCulture);
        foreach (int d in ds)
        {
            // lam 0.1 and lr 1e-4 up to d = 64; above, scaled down (lam ~ 1/d, lr ~ 1/d^4: the gradient grows like
            // lam d^3.5 for this Sigma) so the timed steps stay finite
            double shrink = Math.Min(1.0, 64.0 / d), lam = 0.1 * shrink, lr = 1e-4 * Math.Pow(shrink, 4);
            var sigma = PcaExperiments.RandomCovariance(new Rng(seed), d);
            IPromptSource source = new GaussianPromptSource(sigma);
            if (args.Contains("--per-prompt")) source = new PerPrompt(source); // previous sampler, for comparison
            var bg = new BatchGradient(source, HeadKind.Softmax, l, 1, lam, batch)
                { Whitened = !args.Contains("--blocked") }; // default: whitened (X never formed)
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
            Steps(warmup >= 0 ? warmup : Math.Max(10, steps / 10), 0); // warm-up (JIT, tiering)
            if (args.Contains("--stages")) Stages(d, l, batch, sigma, reps);
            var rates = new List<double>();
            for (int r = 0; r < reps; r++)
            {
                var sw = Stopwatch.StartNew();
                Steps(steps, 1_000_000 * (r + 1));
                rates.Add(steps / sw.Elapsed.TotalSeconds);
            }
            rates.Sort();
            Console.WriteLine(FormattableString.Invariant(
                $"{{\"impl\":\"csharp-analytic{(args.Contains("--per-prompt") ? "-per-prompt" : args.Contains("--blocked") ? "-blocked" : "")}\",\"d\":{d},\"L\":{l},\"batch\":{batch},\"steps\":{steps},\"reps\":{reps},\"steps_per_s_median\":{rates[rates.Count / 2]:F2},\"steps_per_s_best\":{rates[^1]:F2},\"threads\":{Environment.ProcessorCount}}}"));
        }
        return 0;
    }

    /// <summary>Hides the block interface: <see cref="BatchGradient"/> then samples prompt by prompt.</summary>
    private sealed class PerPrompt(IPromptSource inner) : IPromptSource
    {
        public int Dimension => inner.Dimension;
        public int ScratchLength(int l) => inner.ScratchLength(l);
        public void Sample(Rng rng, int l, Span<double> x, Span<double> scratch) => inner.Sample(rng, l, x, scratch);
    }

    /// <summary>Seconds of the sampling parts of one step (best of reps): the normals alone, and the blocked sampler
    /// (normals + GEMM) over the whole batch.</summary>
    private static void Stages(int d, int l, int batch, Matrix sigma, int reps)
    {
        var src = (IBlockPromptSource)new GaussianPromptSource(sigma);
        int per = l * d, block = Math.Clamp((1 << 22) / per, 1, batch);
        var x = new double[(long)block * per];
        var z = new double[(long)block * per];
        var rng = new Rng(9);
        double bestFill = double.MaxValue, bestBlock = double.MaxValue, bestGemm = double.MaxValue;
        var ga = Samplers.Gaussian(rng, 2000, 2000);
        var gc = new Matrix(2000, 2000);
        for (int r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew();
            for (int b = 0; b < batch; b++) rng.Split((ulong)b).FillGaussian(z.AsSpan((b % block) * per, per));
            bestFill = Math.Min(bestFill, sw.Elapsed.TotalSeconds);
            sw.Restart();
            for (int first = 0; first < batch; first += block)
                src.SampleBlock(rng, first, Math.Min(block, batch - first), l, x, z);
            bestBlock = Math.Min(bestBlock, sw.Elapsed.TotalSeconds);
            sw.Restart();
            Blas.Gemm(ga, ga, gc);
            bestGemm = Math.Min(bestGemm, sw.Elapsed.TotalSeconds);
        }
        Console.WriteLine(FormattableString.Invariant(
            $"{{\"stage\":\"sampling\",\"d\":{d},\"normals_serial_s\":{bestFill:F4},") + FormattableString.Invariant(
            $"\"sample_blocks_s\":{bestBlock:F4},\"gflop\":{(double)batch * l * d * d / 1e9:F1},") + FormattableString.Invariant(
            $"\"gemm2000_gflops_same_run\":{16.0 / bestGemm:F1}}}"));
    }
}
