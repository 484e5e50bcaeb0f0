using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

/// <summary>The two-core eigenvalue path for large tridiagonal blocks (split in the middle, QL on the halves tracking
/// one eigenvector component, deflation and the secular equation): against the root-free QL (dsterf port) on the
/// matrices of the eigenvector tests, forced to split at small sizes, with every sign and size of the coupling.</summary>
public class TridiagonalValuesTests
{
    private static double Norm1(double[] d, double[] e)
    {
        int n = d.Length;
        double norm = 0;
        for (int i = 0; i < n; i++)
            norm = Math.Max(norm, Math.Abs(d[i]) + (i > 0 ? Math.Abs(e[i - 1]) : 0) + (i < n - 1 ? Math.Abs(e[i]) : 0));
        return norm;
    }

    private static double[] SterfSorted(double[] d, double[] e)
    {
        var v = Tridiagonal.BlockEigenvalues(d, e, 0, d.Length);
        Array.Sort(v);
        return v;
    }

    private static double[] SplitValues(double[] d, double[] e, int b0, int b1)
    {
        int saved = TridiagonalDivideConquer.ValuesSplitMinimum;
        try
        {
            TridiagonalDivideConquer.ValuesSplitMinimum = 0;
            var v = TridiagonalDivideConquer.Values(d, e, b0, b1);
            Array.Sort(v);
            return v;
        }
        finally { TridiagonalDivideConquer.ValuesSplitMinimum = saved; }
    }

    private static void AssertClose(double[] expected, double[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol,
                $"value {i}: {actual[i]:R} against {expected[i]:R} (tolerance {tol:E2})");
    }

    public static IEnumerable<object[]> Cases() => TridiagonalDivideConquerTests.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void SplitValuesMatchRootFreeQl(string kind, int n)
    {
        var (d, e) = TridiagonalDivideConquerTests.Make(kind, n);
        AssertClose(SterfSorted(d, e), SplitValues(d, e, 0, n), 1e-13 * Norm1(d, e) * Math.Sqrt(n));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-1.0)]     // negative coupling: the merge solves the negated problem
    [InlineData(-1e-9)]
    [InlineData(1e-300)]   // every z component deflates
    [InlineData(0.0)]      // no coupling: the halves' values pass through
    public void EveryCouplingAtTheSplitGivesTheRootFreeQlValues(double coupling)
    {
        int n = 301, m = n / 2;
        var rng = new Rng(77);
        var d = new double[n];
        var e = new double[n - 1];
        rng.FillGaussian(d);
        rng.FillGaussian(e);
        e[m - 1] = coupling;
        AssertClose(SterfSorted(d, e), SplitValues(d, e, 0, n), 1e-13 * Norm1(d, e) * Math.Sqrt(n));
    }

    [Fact]
    public void BlockOffsetsAreHonoured()
    {
        // a block in the middle of longer arrays: only d[b0..b1) and e[b0..b1-1) may be read
        var (d, e) = TridiagonalDivideConquerTests.Make("random", 257);
        int b0 = 40, b1 = 200;
        var dBlock = d[b0..b1];
        var eBlock = e[b0..(b1 - 1)];
        AssertClose(SterfSorted(dBlock, eBlock), SplitValues(d, e, b0, b1), 1e-13 * Norm1(dBlock, eBlock) * 16);
    }

    [Fact]
    public void LargeBlocksSplitByDefaultAndSmallOnesDoNot()
    {
        // above the default threshold the split path runs (its values differ from dsterf's in the last bits);
        // below it the result is dsterf's exactly
        var (d, e) = TridiagonalDivideConquerTests.Make("random", 1500);
        var big = TridiagonalDivideConquer.Values(d, e, 0, 1500);
        Array.Sort(big);
        var reference = SterfSorted(d, e);
        AssertClose(reference, big, 1e-13 * Norm1(d, e) * Math.Sqrt(1500));
        if (Environment.ProcessorCount > 1 && TridiagonalDivideConquer.ValuesSplitMinimum <= 1500)
            Assert.NotEqual(reference, big);
        var small = TridiagonalDivideConquer.Values(d, e, 0, 300);
        Assert.Equal(Tridiagonal.BlockEigenvalues(d, e, 0, 300), small);
    }

    /// <summary><see cref="TridiagonalDivideConquer.ValuesSplitMinimum"/> is the first size that splits: a block of
    /// exactly that size takes the split path (close to dsterf's values, not bit for bit), one row fewer is dsterf's
    /// result exactly; a single row cannot be split even with a minimum of 0.</summary>
    [Fact]
    public void SplitMinimumIsTheFirstSizeThatSplits()
    {
        var (d, e) = TridiagonalDivideConquerTests.Make("random", 257);
        int saved = TridiagonalDivideConquer.ValuesSplitMinimum;
        try
        {
            TridiagonalDivideConquer.ValuesSplitMinimum = 200;
            var at = TridiagonalDivideConquer.Values(d, e, 0, 200);
            var below = TridiagonalDivideConquer.Values(d, e, 0, 199);
            Assert.Equal(Tridiagonal.BlockEigenvalues(d, e, 0, 199), below);
            var reference = Tridiagonal.BlockEigenvalues(d, e, 0, 200);
            if (Environment.ProcessorCount > 1) Assert.NotEqual(reference, at);
            Array.Sort(at);
            Array.Sort(reference);
            AssertClose(reference, at, 1e-13 * Norm1(d[..200], e[..199]) * Math.Sqrt(200));
            TridiagonalDivideConquer.ValuesSplitMinimum = 0;
            Assert.Equal(new[] { d[5] }, TridiagonalDivideConquer.Values(d, e, 5, 6));
        }
        finally { TridiagonalDivideConquer.ValuesSplitMinimum = saved; }
    }

    /// <summary>The split path on the smallest blocks, against closed forms: 2 x 2 [[a, b], [b, c]] has
    /// (a + c)/2 -+ hypot((a - c)/2, b) (two 1 x 1 halves, a secular equation with two poles, or, for a = c, one pole
    /// deflated by rotation and one root exactly at the bracket's end, a -+ b); tridiag(s, t, s) of size n has
    /// t + 2 s cos(k pi / (n + 1)) (n = 3: halves of 1 and 2 rows; n = 4, 5, 6; both signs of s).</summary>
    [Theory]
    [InlineData(1.0, 3.0, 0.5)]
    [InlineData(1.0, 3.0, -0.5)]
    [InlineData(-2.0, 7.0, 4.0)]
    [InlineData(2.0, 2.0, 0.75)]
    [InlineData(2.0, 2.0, -0.75)]
    [InlineData(5.0, -1.0, 1e-3)]
    public void TwoByTwoSplitIsTheClosedForm(double a, double c, double b)
    {
        var v = SplitValues([a, c], [b], 0, 2);
        double h = Math.Sqrt(0.25 * (a - c) * (a - c) + b * b), tol = 1e-15 * (Math.Abs(a) + Math.Abs(c) + Math.Abs(b));
        AssertClose([0.5 * (a + c) - h, 0.5 * (a + c) + h], v, tol);
    }

    [Theory]
    [InlineData(3, 2.0, -1.0)]
    [InlineData(4, 2.0, -1.0)]
    [InlineData(5, -1.0, 0.5)]
    [InlineData(6, 0.0, 1.0)]
    public void ToeplitzSplitIsTheClosedForm(int n, double t, double s)
    {
        var d = Enumerable.Repeat(t, n).ToArray();
        var e = Enumerable.Repeat(s, n - 1).ToArray();
        var expected = Enumerable.Range(1, n).Select(k => t + 2 * s * Math.Cos(k * Math.PI / (n + 1))).OrderBy(x => x).ToArray();
        AssertClose(expected, SplitValues(d, e, 0, n), 8e-16 * (Math.Abs(t) + 2 * Math.Abs(s)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(99)]
    [InlineData(199)]
    public void TrackedComponentIsTheEigenvectorMatrixColumn(int coordinate)
    {
        // the one-component QL applies the same rotations as the eigenvector QL, in the same order
        var (d, e) = TridiagonalDivideConquerTests.Make("random", 200);
        var vals = Tridiagonal.QlValuesAndComponent(d, e, 0, 200, coordinate, out var comp);
        var full = Tridiagonal.QlVectors(d, e, 0, 200, out var vt);
        Assert.Equal(full, vals);
        for (int r = 0; r < 200; r++) Assert.Equal(vt[r * 200 + coordinate], comp[r]);
    }
}
