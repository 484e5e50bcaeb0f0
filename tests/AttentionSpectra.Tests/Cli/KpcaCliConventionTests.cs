using System.Text.Json;

namespace AttentionSpectra.Tests.Cli;

/// <summary><c>kpca synthetic</c>'s convention flags in-process, each against what it must do to the numbers: the two
/// Gram aggregations share their mean and nest their ranges, averaging the mean cosine over all 2^D column-sign
/// patterns gives exactly 0, aligned signs give 1 for the kernel-PCA head.</summary>
public sealed class KpcaCliConventionTests : InProcessCliTest
{
    private JsonElement[] Rows(string outDir, string file) =>
        Json(Path.Combine(outDir, "kpca", file)).EnumerateArray().ToArray();

    private static readonly string[] Small =
        ["kpca", "synthetic", "--tokens", "24", "--dim", "12", "--head-dim", "4", "--trials", "2", "--quiet"];

    [Fact]
    public void GramAggregate_PerHeadKeepsTheMeanAndWidensTheRange()
    {
        string pr = Path.Combine(Dir, "per-rank"), ph = Path.Combine(Dir, "per-head");
        Assert.Equal(0, Run([.. Small, "--gram-aggregate", "per-rank-first", "--out", pr]));
        Assert.Equal(0, Run([.. Small, "--gram-aggregate", "per-head", "--out", ph]));
        foreach (var kind in new[] { "kpca", "random" })
        {
            var a = Json(Path.Combine(pr, "kpca", $"synthetic-{kind}-summary.json")).GetProperty("gramEigen");
            var b = Json(Path.Combine(ph, "kpca", $"synthetic-{kind}-summary.json")).GetProperty("gramEigen");
            Assert.Equal("PerRankFirst", a.GetProperty("aggregation").GetString());
            Assert.Equal("PerHead", b.GetProperty("aggregation").GetString());
            // every head has D eigenvalues: the mean of the per-rank means is the mean of all eigenvalues
            Assert.Equal(a.GetProperty("mean").GetDouble(), b.GetProperty("mean").GetDouble(), 12);
            var perRank = a.GetProperty("meanPerRank").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(perRank.Max(), a.GetProperty("max").GetDouble(), 15);
            Assert.Equal(perRank.Average(), a.GetProperty("mean").GetDouble(), 12);
            // a mean over heads lies between the heads' extremes
            Assert.True(b.GetProperty("max").GetDouble() >= a.GetProperty("max").GetDouble() - 1e-15);
            Assert.True(b.GetProperty("min").GetDouble() <= a.GetProperty("min").GetDouble() + 1e-15);
        }
    }

    [Fact]
    public void CosineSigns_RandomAverageOverAllPatternsIsZero_AlignedIsOneForTheKpcaHead()
    {
        string avg = Path.Combine(Dir, "avg"), al = Path.Combine(Dir, "aligned");
        Assert.Equal(0, Run([.. Small, "--cosine-signs", "random-average", "--sign-draws", "16", "--out", avg]));
        Assert.Equal(0, Run([.. Small, "--cosine-signs", "aligned", "--out", al]));
        foreach (var h in Rows(avg, "synthetic-kpca-heads.json").Concat(Rows(avg, "synthetic-random-heads.json")))
        {
            // 2^4 = 16 patterns: every column's cosine appears with both signs equally often
            Assert.Equal("random-average", h.GetProperty("cosine_signs").GetString());
            Assert.Equal(0, h.GetProperty("mean_cos").GetDouble(), 12);
            Assert.InRange(Math.Abs(h.GetProperty("raw_mean_cos").GetDouble()), 0, 1 + 1e-12);
        }
        foreach (var h in Rows(al, "synthetic-kpca-heads.json"))
        {
            Assert.Equal(1, h.GetProperty("mean_cos").GetDouble(), 9); // V = V_KPCA up to column signs
            Assert.Equal(1, h.GetProperty("linear_cka").GetDouble(), 9);
        }
        Assert.Equal(2, Run([.. Small, "--cosine-signs", "flipped", "--out", al]));
        Assert.Equal(2, Run([.. Small, "--gram-std", "ddof2", "--out", al]));
        Assert.Equal(2, Run([.. Small, "--gram-aggregate", "max", "--out", al]));
        Assert.Equal(2, Run([.. Small, "--sign-draws", "0", "--out", al]));
    }
}
