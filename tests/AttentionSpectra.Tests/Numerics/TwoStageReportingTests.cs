using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

/// <summary>Runs alone: <see cref="TwoStageTridiagonal.Profile"/> and <see cref="TwoStageTridiagonal.Band"/> are
/// process-wide, so no other reduction may run while a test sets them.</summary>
[CollectionDefinition(nameof(TwoStageProfileCollection), DisableParallelization = true)]
public sealed class TwoStageProfileCollection;

/// <summary>What the two-stage reduction reports besides its result: progress per panel of the band reduction,
/// cancellation between panels, the wall time of its two stages and (bench only) of the four parts of stage 1.
/// Oracles: the panel schedule (one panel of b columns per step while columns remain below the band), and a
/// stopwatch around the call. Also other band widths than the default 32, whose symmetric product takes the general
/// GEMM path (the one machines without AVX-512 take for every width), against MathNet.</summary>
[Collection(nameof(TwoStageProfileCollection))]
public class TwoStageReportingTests
{
    private sealed class Recorder(CancellationTokenSource? cancelOnBand = null) : IProgress<ProgressUpdate>
    {
        public readonly List<ProgressUpdate> Updates = [];

        public void Report(ProgressUpdate value)
        {
            lock (Updates) Updates.Add(value);
            if (value.Task == "band reduction") cancelOnBand?.Cancel();
        }
    }

    [Theory]
    [InlineData(200)]
    [InlineData(97)]
    [InlineData(128)] // a multiple of b: the last panel ends at column n - b, no empty panel after it
    public void BandReductionReportsEveryPanelAndStopsAtTheNextPanelWhenCancelled(int n)
    {
        int b = TwoStageTridiagonal.Band;
        var a = EigenTestUtil.RandomSymmetric(new Rng(41), n);
        var rec = new Recorder();
        TwoStageTridiagonal.Reduce(a, rec);
        // panels start at j = 0, b, 2b, ... while j + b < n; each reports j + b of n columns done
        var expected = new List<double>();
        for (int j = 0; j + b < n; j += b) expected.Add(j + b);
        var band = rec.Updates.Where(u => u.Task == "band reduction").ToList();
        Assert.Equal(expected, band.Select(u => u.Completed));
        Assert.All(band, u => Assert.Equal(n, u.Total));
        // cancelled at the first panel's report: the next panel checks the token before any work, so nothing
        // else is reported and the call throws
        using var cts = new CancellationTokenSource();
        var rec2 = new Recorder(cts);
        Assert.ThrowsAny<OperationCanceledException>(() => TwoStageTridiagonal.Reduce(a, rec2, cts.Token));
        Assert.Equal([(double)b], rec2.Updates.Select(u => u.Completed));
    }

    [Fact]
    public void StageTimesAndStageOneProfileAddUpToTheCall()
    {
        int n = 600;
        var a = EigenTestUtil.RandomSymmetric(new Rng(42), n);
        var stages = new double[2];
        var profile = new double[4];
        var saved = TwoStageTridiagonal.Profile;
        try
        {
            TwoStageTridiagonal.Profile = profile;
            var sw = System.Diagnostics.Stopwatch.StartNew();
            TwoStageTridiagonal.Reduce(a, stages);
            double wall = sw.Elapsed.TotalSeconds;
            // each stage took some time, and the two together no more than the whole call
            Assert.True(stages[0] > 0 && stages[1] > 0, $"stage times {stages[0]}, {stages[1]}");
            Assert.True(stages[0] + stages[1] <= wall, $"stages {stages[0]} + {stages[1]} s > call {wall} s");
            // every part of stage 1 is timed; the parts on the calling thread cannot add up to more than stage 1
            // (part 0 also counts the look-ahead worker's panel factorisations, which overlap part 3)
            Assert.All(profile, p => Assert.True(p > 0, $"profile {string.Join(", ", profile)}"));
            Assert.True(profile[1] + profile[2] + profile[3] <= stages[0],
                $"parts {string.Join(", ", profile)} exceed stage 1 ({stages[0]} s)");
            Assert.True(profile[0] <= stages[0], $"part 0 {profile[0]} s > stage 1 ({stages[0]} s)");
        }
        finally { TwoStageTridiagonal.Profile = saved; }
    }

    [Theory]
    [InlineData(8, 61)]
    [InlineData(16, 200)]
    [InlineData(24, 333)]
    [InlineData(10, 97)] // not a multiple of the 4-wide SIMD loops of the bulge chasing: their scalar tails run
    [InlineData(5, 41)]  // shorter than the 8-wide dot product: only its scalar loop runs
    public void OtherBandWidthsGiveTheSameEigenvalues(int band, int n)
    {
        var a = EigenTestUtil.RandomSymmetric(new Rng((ulong)(band * 1000 + n)), n);
        int saved = TwoStageTridiagonal.Band;
        try
        {
            TwoStageTridiagonal.Band = band;
            double err = EigenTestUtil.MaxAbsDiff(EigenTestUtil.TwoStageValues(a), EigenTestUtil.OracleValues(a));
            Assert.True(err <= 1e-12 * a.FrobeniusNorm(), $"band {band}, n {n}: max |dl| = {err:E2}");
        }
        finally { TwoStageTridiagonal.Band = saved; }
    }

    [Fact]
    public void BulgeChasingReportsEvery256thSweep()
    {
        // progress (and the cancellation check) once per 256 sweeps, not per sweep: sweeps 0, 256, 512 of n - 2 = 598,
        // claimed by either of the two workers (n >= ParallelChaseMinimum), so compared as a set
        int n = 600;
        Assert.True(n >= TwoStageTridiagonal.ParallelChaseMinimum);
        var a = EigenTestUtil.RandomSymmetric(new Rng(43), n);
        var rec = new Recorder();
        TwoStageTridiagonal.Reduce(a, rec);
        var chase = rec.Updates.Where(u => u.Task == "bulge chasing").ToList();
        Assert.Equal([0.0, 256, 512], chase.Select(u => u.Completed).Order());
        Assert.All(chase, u => Assert.Equal(n, u.Total));
    }

    private sealed class FailingSink(int atSweep) : IProgress<ProgressUpdate>
    {
        public void Report(ProgressUpdate value)
        {
            if (value.Task != "bulge chasing" || value.Completed != atSweep) return;
            Thread.Sleep(1000); // the other worker finishes its sweep and waits on this one, which never starts
            throw new InvalidOperationException("progress sink failed");
        }
    }

    [Fact]
    public async Task AnErrorInOneBulgeChasingWorkerReleasesTheOther()
    {
        // the worker whose progress report throws (before sweep 256) must tell the other, which waits on sweep
        // 256 for sweep 257, to stop: the error comes out of the call instead of a deadlock
        var a = EigenTestUtil.RandomSymmetric(new Rng(44), 900);
        var run = await EigenTestUtil.ReduceOnTwoChaseWorkers(a, new FailingSink(256));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => run);
        Assert.Equal("progress sink failed", ex.Message);
    }
}

/// <summary>The row blocking of the symmetric product (<see cref="TwoStageTridiagonal.RowBlocks"/>) against its
/// documented rule, found by search: the fewest even number of blocks, at least 8, whose height (a multiple of the
/// kernel's 6 rows) is at most <see cref="TwoStageTridiagonal.SymmRows"/>, but never below 96 rows; the blocks cover
/// the m rows with a non-empty last block.</summary>
[Collection(nameof(TwoStageProfileCollection))]
public class TwoStageRowBlockTests
{
    [Theory]
    [InlineData(384)]
    [InlineData(200)]
    public void RowBlocksFollowTheirRule(int symmRows)
    {
        int saved = TwoStageTridiagonal.SymmRows;
        try
        {
            TwoStageTridiagonal.SymmRows = symmRows;
            foreach (int m in Enumerable.Range(1, 4000).Concat([7999, 8000, 8001, 12345]))
            {
                int blocks = TwoStageTridiagonal.RowBlocks(m, out int rb);
                // the nominal count: the first even count from 8 on whose blocks of ceil(m / count) rows fit
                int count = 8;
                while ((m + count - 1) / count > symmRows) count += 2;
                // the height: the first multiple of 6 from 96 on that covers m rows in `count` blocks
                int height = 96;
                while ((long)height * count < m) height += 6;
                Assert.True(rb == height, $"m={m}: height {rb}, expected {height} ({count} blocks)");
                Assert.True((long)(blocks - 1) * rb < m && (long)blocks * rb >= m, $"m={m}: {blocks} x {rb} rows");
            }
        }
        finally { TwoStageTridiagonal.SymmRows = saved; }
    }
}
