using AttentionSpectra.Attention;
using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.PcaAlignment;

namespace AttentionSpectra.Tests.PcaAlignment;

/// <summary>The blocked Gaussian prompt sampler (one GEMM per block of prompts) against per-prompt sampling: same
/// random stream, values equal up to rounding; the batch gradient through blocks against the per-prompt path.</summary>
public class BlockSamplingTests
{
    /// <summary>Hides the block interface, so <see cref="BatchGradient"/> takes the per-prompt path.</summary>
    private sealed class PerPrompt(IPromptSource inner) : IPromptSource
    {
        public int Dimension => inner.Dimension;
        public int ScratchLength(int l) => inner.ScratchLength(l);
        public void Sample(Rng rng, int l, Span<double> x, Span<double> scratch) => inner.Sample(rng, l, x, scratch);
    }

    private static double MaxAbs(ReadOnlySpan<double> a)
    {
        double m = 0;
        foreach (double v in a) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    [Theory]
    [InlineData(300, false)]  // Cholesky factor: column blocks of the triangle (300 > one 256-wide block)
    [InlineData(300, true)]   // full square factor (FromFactor)
    [InlineData(7, false)]
    public void BlockEqualsPerPromptSampling(int d, bool fromFactor)
    {
        var rng = new Rng(11);
        var sigma = PcaExperiments.RandomCovariance(rng.Split(0), d);
        IBlockPromptSource src = fromFactor
            ? (IBlockPromptSource)GaussianPromptSource.FromFactor(Samplers.Gaussian(rng.Split(1), d, d))
            : new GaussianPromptSource(sigma);
        Assert.Equal(d >= GaussianPromptSource.BlockMinimumDimension, src.PrefersBlocks);
        int l = 9, first = 5, count = 6;
        var step = rng.Split(2);
        var bx = new double[count * l * d];
        src.SampleBlock(step, first, count, l, bx, new double[bx.Length]);
        var x = new double[l * d];
        var scratch = new double[src.ScratchLength(l)];
        for (int i = 0; i < count; i++)
        {
            src.Sample(step.Split((ulong)(first + i)), l, x, scratch);
            var blk = bx.AsSpan(i * l * d, l * d);
            double scale = MaxAbs(x);
            Assert.True(scale > 0);
            for (int j = 0; j < x.Length; j++)
                Assert.True(Math.Abs(blk[j] - x[j]) <= 1e-13 * scale, $"prompt {i} entry {j}");
        }
    }

    [Fact]
    public void BlockedBatchGradientMatchesPerPromptPath()
    {
        int d = 70, l = 12, batch = 37, k = 2;
        var rng = new Rng(5);
        var source = new GaussianPromptSource(PcaExperiments.RandomCovariance(rng.Split(0), d));
        var m = PcaExperiments.Init(rng.Split(1), k, d, 0.5);
        // blocks of 3 prompts: blocks straddle the 8 accumulation chunks of the batch
        var blocked = new BatchGradient(source, HeadKind.Softmax, l, k, 0.01, batch)
            { BlockDoubles = 3 * l * d, Whitened = false };
        var reference = new BatchGradient(new PerPrompt(source), HeadKind.Softmax, l, k, 0.01, batch);
        var g1 = new double[k * d];
        var g2 = new double[k * d];
        var reports = new List<ProgressUpdate>();
        blocked.Progress = new SyncProgress(reports.Add);
        double l1 = blocked.Compute(m, g1, rng.Split(2));
        double l2 = reference.Compute(m, g2, rng.Split(2));
        Assert.True(Math.Abs(l1 - l2) <= 1e-11 * Math.Abs(l2), $"loss {l1} vs {l2}");
        double gs = MaxAbs(g2);
        for (int j = 0; j < g1.Length; j++) Assert.True(Math.Abs(g1[j] - g2[j]) <= 1e-10 * gs, $"grad {j}");
        Assert.Equal(13, reports.Count);
        Assert.Equal(batch, reports[^1].Completed);
        // deterministic: the same step twice gives bit-identical results
        var g3 = new double[k * d];
        Assert.Equal(l1, blocked.Compute(m, g3, rng.Split(2)));
        Assert.Equal(g1, g3);
    }

    /// <summary>The whitened path (loss and gradient in the coordinates of the normals, X never formed) against the
    /// per-prompt path that samples X = Z C' token by token: same normals, so equal up to rounding, for both heads,
    /// a Cholesky and a full square factor, and rank 1 and 3.</summary>
    [Theory]
    [InlineData(HeadKind.Softmax, false, 1)]
    [InlineData(HeadKind.Softmax, true, 3)]
    [InlineData(HeadKind.Linear, false, 3)]
    [InlineData(HeadKind.Linear, true, 1)]
    public void WhitenedBatchGradientMatchesPerPromptPath(HeadKind kind, bool fromFactor, int k)
    {
        int d = 45, l = 11, batch = 21;
        var rng = new Rng(8);
        var source = fromFactor ? GaussianPromptSource.FromFactor(Samplers.Gaussian(rng.Split(0), d, d))
            : new GaussianPromptSource(PcaExperiments.RandomCovariance(rng.Split(0), d));
        Assert.True(source.PrefersWhitened);
        var m = PcaExperiments.Init(rng.Split(1), k, d, 0.5);
        double lam = kind == HeadKind.Softmax ? 0.05 : 0.002;
        // groups of 4 prompts straddle the 8 accumulation chunks of the batch
        var whitened = new BatchGradient(source, kind, l, k, lam, batch) { BlockDoubles = 4 * l * d };
        var reference = new BatchGradient(new PerPrompt(source), kind, l, k, lam, batch);
        var g1 = new double[k * d];
        var g2 = new double[k * d];
        double l1 = whitened.Compute(m, g1, rng.Split(2));
        double l2 = reference.Compute(m, g2, rng.Split(2));
        Assert.True(Math.Abs(l1 - l2) <= 1e-11 * Math.Abs(l2), $"loss {l1} vs {l2}");
        double gs = MaxAbs(g2);
        Assert.True(gs > 0);
        for (int j = 0; j < g1.Length; j++) Assert.True(Math.Abs(g1[j] - g2[j]) <= 1e-10 * gs, $"grad {j}");
        // the serial and the parallel run agree bit for bit
        var g3 = new double[k * d];
        Assert.Equal(l1, whitened.Compute(m, g3, rng.Split(2), parallel: false));
        Assert.Equal(g1, g3);
    }

    private sealed class SyncProgress(Action<ProgressUpdate> a) : IProgress<ProgressUpdate>
    {
        public void Report(ProgressUpdate value) => a(value);
    }
}
