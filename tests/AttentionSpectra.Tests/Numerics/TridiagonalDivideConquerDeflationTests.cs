using AttentionSpectra.Numerics;

namespace AttentionSpectra.Tests.Numerics;

/// <summary><see cref="TridiagonalDivideConquer.Deflate"/> on hand-built rank-one problems diag(ds) + r2 zs zs'. The
/// rule (LAPACK dlaed2): tol = 8 eps max(max|ds|, r2 max|zs|) with eps = 2^-53; a component with r2 |z_j| &lt;= tol
/// deflates as it is; two consecutive kept poles p &lt; j whose Givens rotation (c, s) = (z_j, -z_p) / hypot(z_p, z_j)
/// leaves an off-diagonal |(d_j - d_p) c s| &lt;= tol are rotated together and p deflates. Every expected flag below
/// follows from the rule by hand with a margin of a factor 2 or more from the threshold (worked out in each case's
/// comment), so that a tolerance computed any other way moves at least one flag.</summary>
public class TridiagonalDivideConquerDeflationTests
{
    private const double Eps = 1.0 / (1L << 53);

    private static (bool[] Deflated, List<int> Kept, List<(int Prev, int J, double C, double S)> Rotations) Run(
        double[] ds, double[] zs, double r2)
    {
        var rotations = new List<(int, int, double, double)>();
        var deflated = TridiagonalDivideConquer.Deflate(ds, zs, r2, (p, j, c, s) => rotations.Add((p, j, c, s)),
            out var kept);
        // the kept list is the complement of the flags, ascending in the (possibly rotated) poles
        Assert.Equal(Enumerable.Range(0, ds.Length).Where(i => !deflated[i]), kept.OrderBy(i => i));
        for (int i = 1; i < kept.Count; i++)
            Assert.True(ds[kept[i - 1]] <= ds[kept[i]], $"kept poles not ascending at {i}");
        return (deflated, kept, rotations);
    }

    /// <summary>The rank-one scale dominates the tolerance (r2 max|z| = 4 = 4 max|d|): tol = 8 eps * 4 = 32 eps, so a
    /// component deflates when |z| &lt;= tol / r2 = 4 eps. z_1 = 2 eps deflates (r2 |z_1| = 16 eps, half the tolerance)
    /// although it lies above 8 eps max|d| / r2 = eps (twice that): a tolerance from the poles alone (8 eps max|d| = 8
    /// eps) would keep it. The outer poles keep their components (r2 |z| = 4) and are 2 apart, so their rotation test
    /// |t c s| = 2 * 0.5 = 1 is far above the tolerance.</summary>
    [Fact]
    public void ToleranceScalesWithTheRankOneTermWhenItDominates()
    {
        double[] ds = [-1, 0, 1];
        double[] zs = [0.5, 2 * Eps, 0.5];
        var (deflated, kept, rotations) = Run(ds, zs, 8);
        Assert.Equal([false, true, false], deflated);
        Assert.Equal([0, 2], kept);
        Assert.Empty(rotations);
        // deflated as it is: no pole or component changes
        Assert.Equal([-1.0, 0.0, 1.0], ds);
        Assert.Equal([0.5, 2 * Eps, 0.5], zs);
    }

    /// <summary>The tolerance grows with r2 max|z|, not r2 / max|z|: max|z| = 0.5 and r2 = 8 give tol = 8 eps max(1, 4)
    /// = 32 eps (r2 / max|z| = 16 would give 128 eps). z_2 = 8 eps has r2 |z_2| = 64 eps, twice the tolerance: kept.
    /// Its rotation with the pole before (z_1 = 0.05, gap 1): c = 8 eps / hypot = 160 eps, |t c s| = 160 eps, five
    /// times the tolerance: no rotation. z_1 against z_0 = 0.5: |t c s| = 0.099, no rotation.</summary>
    [Fact]
    public void ComponentJustAboveTheToleranceIsKept()
    {
        double[] ds = [-1, 0, 1];
        double[] zs = [0.5, 0.05, 8 * Eps];
        var (deflated, kept, rotations) = Run(ds, zs, 8);
        Assert.Equal([false, false, false], deflated);
        Assert.Equal([0, 1, 2], kept);
        Assert.Empty(rotations);
        Assert.Equal([0.5, 0.05, 8 * Eps], zs);
    }

    /// <summary>The poles dominate (max|d| = 8 from a negative pole, r2 max|z| = 0.5): tol = 64 eps. z_2 = 32 eps
    /// (r2 |z| half the tolerance) deflates, z_3 = 128 eps (twice) is kept; z_3's rotation with its kept neighbour
    /// (pole 1, z = 0.5, gap 2) has |t c s| = 2 * 256 eps = 512 eps, eight times the tolerance.</summary>
    [Fact]
    public void ToleranceScalesWithTheLargestPoleWhenItDominates()
    {
        double[] ds = [-8, 0, 1, 2];
        double[] zs = [0.5, 0.5, 32 * Eps, 128 * Eps];
        var (deflated, kept, rotations) = Run(ds, zs, 1);
        Assert.Equal([false, false, true, false], deflated);
        Assert.Equal([0, 1, 3], kept);
        Assert.Empty(rotations);
    }

    /// <summary>Two poles 1 and 1 + 32 eps (16 ulps of 1) with components 0.75 and 1 (hypot 1.25 exactly), the
    /// largest pole 12: tol = 8 eps * 12 = 96 eps, the rotation (c, s) = (0.8, -0.6) leaves an off-diagonal |t c s| =
    /// 0.48 * 32 eps = 15.4 eps, a sixth of the tolerance: the pair is rotated, the first pole deflates. The rotation
    /// must map (z_p, z_j) to (0, hypot), the rotated poles are d_p c^2 + d_j s^2 = 1 + 5.76 ulps (deflated) and
    /// d_p s^2 + d_j c^2 = 1 + 10.24 ulps (kept), convex combinations of the two, and the rotated pole is then the
    /// kept neighbour of the next one (gap 11, no second rotation).</summary>
    [Fact]
    public void NearlyEqualPolesAreRotatedTogether()
    {
        double d1 = 1, d2 = 1 + 32 * Eps, z1 = 0.75, z2 = 1.0;
        double[] ds = [0, d1, d2, 12];
        double[] zs = [0.5, z1, z2, 0.5];
        var (deflated, kept, rotations) = Run(ds, zs, 1);
        Assert.Equal([false, true, false, false], deflated);
        Assert.Equal([0, 2, 3], kept);
        var (prev, j, c, s) = Assert.Single(rotations);
        Assert.Equal((1, 2), (prev, j));
        Assert.Equal(0.8, c, 1e-15);
        Assert.Equal(-0.6, s, 1e-15);
        Assert.Equal(1.0, c * c + s * s, 4 * Eps);
        // the rotation x <- c x + s y, y <- c y - s x applied to z zeroes the first component
        Assert.Equal(0.0, c * z1 + s * z2, 4 * Eps);
        Assert.Equal(1.25, c * z2 - s * z1, 4 * Eps);
        Assert.Equal(0.0, zs[1]);
        Assert.Equal(1.25, zs[2], 2 * Eps);
        Assert.Equal([0.5, 0.0, zs[2], 0.5], zs);
        // rotated poles: the diagonal of G diag(d1, d2) G'; both inside [d1, d2], to an ulp of 1 (2 eps)
        Assert.InRange(ds[1], d1, d2);
        Assert.InRange(ds[2], d1, d2);
        Assert.Equal(d1 + 0.36 * (d2 - d1), ds[1], 2 * Eps);
        Assert.Equal(d1 + 0.64 * (d2 - d1), ds[2], 2 * Eps);
        Assert.Equal(0.0, ds[0]);
        Assert.Equal(12.0, ds[3]);
    }

    /// <summary>Poles just too far apart to rotate: the same problem as
    /// <see cref="NearlyEqualPolesAreRotatedTogether"/> but a gap of 512 eps, |t c s| = 0.48 * 512 eps = 246 eps, 2.6
    /// times the tolerance 96 eps: nothing deflates.</summary>
    [Fact]
    public void PolesApartByMoreThanTheToleranceAreNotRotated()
    {
        double[] ds = [0, 1, 1 + 512 * Eps, 12];
        double[] zs = [0.5, 0.75, 1.0, 0.5];
        var (deflated, kept, rotations) = Run(ds, zs, 1);
        Assert.Equal([false, false, false, false], deflated);
        Assert.Equal([0, 1, 2, 3], kept);
        Assert.Empty(rotations);
        Assert.Equal([0, 1, 1 + 512 * Eps, 12], ds);
    }
}
