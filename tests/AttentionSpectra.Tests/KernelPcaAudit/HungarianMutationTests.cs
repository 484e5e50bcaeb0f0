using AttentionSpectra.Numerics;
using AttentionSpectra.Studies.KernelPcaAudit;

namespace AttentionSpectra.Tests.KernelPcaAudit;

/// <summary>Hungarian assignment against brute force on hard cases (many ties, negative and large costs), the
/// trivial sizes and the input checks with their messages.</summary>
public class HungarianMutationTests
{
    private static double Cost(double[,] c, int[] a) => Enumerable.Range(0, a.Length).Sum(i => c[i, a[i]]);

    private static double BruteMin(double[,] c)
    {
        int n = c.GetLength(0);
        double best = double.PositiveInfinity;
        void Rec(int i, bool[] used, double acc)
        {
            if (i == n) { best = Math.Min(best, acc); return; }
            for (int j = 0; j < n; j++)
                if (!used[j]) { used[j] = true; Rec(i + 1, used, acc + c[i, j]); used[j] = false; }
        }
        Rec(0, new bool[n], 0);
        return best;
    }

    private static void AssertPermutation(int[] a) => Assert.Equal(Enumerable.Range(0, a.Length), a.Order());

    [Theory]
    [InlineData(1UL, 3, 2)]   // integer costs 0..2: many ties
    [InlineData(2UL, 6, 3)]
    [InlineData(3UL, 7, 1000)]
    [InlineData(4UL, 7, 0)]   // continuous costs with negative values
    public void MinimizeAndMaximizeAgreeWithBruteForce(ulong seed, int n, int levels)
    {
        var rng = new Rng(seed);
        var c = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                c[i, j] = levels > 0 ? rng.NextInt(levels + 1) : 100 * rng.NextGaussian();
        var a = Hungarian.Minimize(c);
        AssertPermutation(a);
        Assert.Equal(BruteMin(c), Cost(c, a), 9);
        var neg = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) neg[i, j] = -c[i, j];
        var b = Hungarian.Maximize(neg);
        AssertPermutation(b);
        Assert.Equal(-BruteMin(c), Cost(neg, b), 9);
    }

    [Fact]
    public void AntiDiagonalOptimumAndTrivialSizes()
    {
        // the identity assignment costs 2.5, the anti-diagonal 0.5 (the unique optimum)
        var c = new double[,] { { 1, 1, 0 }, { 1, 0.5, 1 }, { 0, 1, 1 } };
        Assert.Equal(new[] { 2, 1, 0 }, Hungarian.Minimize(c));
        Assert.Empty(Hungarian.Minimize(new double[0, 0]));
        Assert.Equal(new[] { 0 }, Hungarian.Minimize(new double[,] { { -5 } }));
        Assert.Equal(new[] { 1, 0 }, Hungarian.Maximize(new double[,] { { 0, 2 }, { 3, 0 } }));
    }

    [Fact]
    public void InputChecksNameTheProblem()
    {
        Assert.Contains("square", Assert.Throws<ArgumentException>(() => Hungarian.Minimize(new double[2, 3])).Message);
        Assert.Contains("2 x 3", Assert.Throws<ArgumentException>(() => Hungarian.Maximize(new double[2, 3])).Message);
        Assert.Contains("NaN or infinity", Assert.Throws<ArgumentException>(
            () => Hungarian.Minimize(new double[,] { { 1, double.PositiveInfinity }, { 0, 1 } })).Message);
        Assert.Throws<ArgumentNullException>(() => Hungarian.Minimize(null!));
    }
}
